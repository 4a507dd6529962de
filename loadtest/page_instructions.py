"""Instructions the CPU runs for one request of a page, counted by valgrind's callgrind.

A machine's speed moved the same page's time by up to twice within a session here; the number of
instructions a request takes doesn't depend on it, so two versions of the code can be compared on
any machine, one after the other. The page is requested in one process through Django's WSGI
handler with production settings (DEBUG off, cached templates, hashed static files), as wrk asks
for it in list_throughput.py: signed in as `bench`'s admin, with the session and CSRF cookies a
browser holds after its first page. Counted twice, for WARM_UP + FEW and WARM_UP + FEW + N
requests, the difference divided by N, so that starting Python and Django drops out.

    apt-get install -y valgrind
    .venv/bin/python loadtest/page_instructions.py \\
        --database-url postgres://postgres@127.0.0.1:5432/perf1m --path /customers/

The numbers measured on a million customers are in docs/performance.md.
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys

from list_throughput import HOST, PROJECT, environment, manage

VALGRIND = shutil.which("valgrind")
WARM_UP = 5
FEW = 10


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--path", default="/customers/", help="the page to request")
    parser.add_argument("--requests", type=int, default=30, help="requests counted (N)")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if not options.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    if not 0 < options.requests <= 200:
        parser.error("keep it bounded: --requests up to 200")
    return options


def request_page(path: str, times: int) -> None:
    """Run inside valgrind: set Django up, sign in, then request `path` WARM_UP + `times` times."""
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_admin.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    from network_admin.management.commands.bench import Command

    client = Client()
    client.force_login(Command()._admin())
    cookies = [
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ]
    handler = WSGIHandler()
    path, _, query = path.partition("?")
    answers = []

    def start_response(status, headers, exc_info=None):
        answers.append((status, headers))

    def request():
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": HOST,
            "SERVER_PORT": "80",
            "HTTP_HOST": HOST,
            "HTTP_COOKIE": "; ".join(cookies),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": HOST,
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": "http",
        }
        response = handler(environ, start_response)
        b"".join(response)
        response.close()
        status, headers = answers.pop()
        if not status.startswith("200"):
            sys.exit(f"{path} answered {status}")
        return headers

    first = request()
    cookies += [
        value.split(";")[0]
        for name, value in first
        if name == "Set-Cookie" and "csrftoken=" in value
    ]
    for _ in range(WARM_UP + times):
        request()


def instructions(options, env: dict, times: int) -> int:
    done = subprocess.run(  # noqa: S603 (valgrind and this script, fixed arguments)
        [
            VALGRIND,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--database-url",
            options.database_url,
            "--path",
            options.path,
            "--run",
            str(times),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(re.search(r"Collected : (\d+)", done.stderr)[1])


def main():
    options = arguments()
    if options.run is not None:
        request_page(options.path, options.run)
        return
    if VALGRIND is None:
        sys.exit("valgrind is not installed (apt-get install -y valgrind)")
    env = environment(options)
    manage(env, "collectstatic", "--noinput", "-v0")
    few = instructions(options, env, FEW)
    more = instructions(options, env, FEW + options.requests)
    print(f"{options.path}: {(more - few) / options.requests:,.0f} instructions a request")


if __name__ == "__main__":
    main()

"""Requests per second of the customer list with gunicorn and two workers, measured with wrk.

Starts gunicorn (production settings: DEBUG off, persistent connections, cached templates) on
127.0.0.1 against an existing database, logs a network admin in, checks the list answers 200,
then drives it with wrk for a bounded time (at most 30 s) and stops the server.

    apt-get install -y wrk
    .venv/bin/python loadtest/list_throughput.py \\
        --database-url postgres://postgres@127.0.0.1:5432/perf1m

The numbers measured on a million customers are in docs/performance.md.
"""

import argparse
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WRK = shutil.which("wrk")
HOST = "127.0.0.1"
PAGE = "/customers/"
# Logs in the admin the benchmark browses as and prints the session cookie (name=value).
LOGIN = """
from django.conf import settings
from django.test import Client
from network_admin.management.commands.bench import Command
client = Client()
client.force_login(Command()._admin())
print(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
"""


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--port", type=int, default=8304)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8, help="concurrent wrk connections")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--path", default=PAGE, help="the page to request")
    options = parser.parse_args()
    if not options.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    if not (0 < options.seconds <= 30 and 0 < options.connections <= 64):
        parser.error("keep it bounded: --seconds up to 30, --connections up to 64")
    if WRK is None:
        parser.error("wrk is not installed (apt-get install -y wrk)")
    return options


def environment(options) -> dict:
    return os.environ | {
        "DATABASE_URL": options.database_url,
        "ENV_FILE": os.devnull,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP on 127.0.0.1: cookies can't be Secure-only here.
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (127.0.0.1 only)
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    sys.exit("gunicorn did not answer within 30 s")


def browser_cookies(url: str, session_cookie: str) -> str:
    """The cookies a browser sends once the admin has seen a page: the session's and the CSRF
    cookie that first page set, if it has a form (without it every request of a page with a form
    would make and set a new one)."""
    request = urllib.request.Request(url, headers={"Cookie": session_cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if response.status != 200 or response.url != url:
            sys.exit(f"{url} did not answer the logged-in admin (ended at {response.url})")
        set_cookies = response.headers.get_all("Set-Cookie") or []
    csrf = [cookie.split(";")[0] for cookie in set_cookies if "csrftoken=" in cookie]
    return "; ".join([session_cookie, *csrf])


def main():
    options = arguments()
    env = environment(options)
    manage(env, "collectstatic", "--noinput", "-v0")
    session_cookie = manage(env, "shell", "-c", LOGIN).strip().splitlines()[-1]
    base = f"http://{HOST}:{options.port}"
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            GUNICORN,
            "network_admin.wsgi",
            "--workers",
            str(options.workers),
            "--bind",
            f"{HOST}:{options.port}",
        ],
        cwd=PROJECT,
        env=env,
    )
    try:
        wait_until_up(f"{base}/healthz", server)
        cookies = browser_cookies(f"{base}{options.path}", session_cookie)
        report = subprocess.run(  # noqa: S603 (fixed arguments)
            [
                WRK,
                "--threads",
                "2",
                "--connections",
                str(options.connections),
                "--duration",
                f"{options.seconds}s",
                "--latency",
                "--header",
                f"Cookie: {cookies}",
                f"{base}{options.path}",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=options.seconds + 30,
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(report)
    if re.search(r"Non-2xx or 3xx responses", report):
        sys.exit("Some requests failed: the numbers above are not valid.")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", report)[1])
    # gunicorn runs on this interpreter, whose build moves the number (docs/deployment.md).
    print(
        f"{options.path} with {options.workers} gunicorn workers: {rate:,.0f} requests/s "
        f"(Python {platform.python_version()}, {sys.executable})"
    )


if __name__ == "__main__":
    main()

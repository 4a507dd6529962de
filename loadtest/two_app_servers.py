"""Throughput of the customer list on one app server, then on two sharing the same PostgreSQL.

Prepares a database (migrations, a demo network, an admin account), collects the static files,
starts two gunicorn servers on 127.0.0.1, logs in once on the first and checks the second accepts
the same session (sessions live in the database), then drives the customer list with a fixed
number of client threads for a fixed time: once against the first server alone and once taking
turns between both. Prints requests per second and latencies. Everything stays on 127.0.0.1 and
every run is bounded (--seconds, at most 60).

    .venv/bin/python loadtest/two_app_servers.py \\
        --database-url postgres://postgres@127.0.0.1:5432/network_admin_load

The numbers measured on the development machine are in docs/deployment.md.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import environ
import psutil
import psycopg

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
HOST = "127.0.0.1"
USERNAME = "loadtest-admin"
PAGE = "/customers/"


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/network_admin_load"
    )
    parser.add_argument("--replica-url", default="", help="DATABASE_REPLICA_URLS for the servers")
    parser.add_argument(
        "--customers", type=int, default=2000, help="demo network size, for an empty database"
    )
    parser.add_argument("--ports", type=int, nargs=2, default=[8311, 8312])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes per server")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=20, help="length of each run")
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate one and two servers this many times"
    )
    options = parser.parse_args()
    if not (0 < options.seconds <= 60 and 0 < options.clients <= 64 and 0 < options.rounds <= 5):
        parser.error("keep it bounded: --seconds up to 60, --clients up to 64, --rounds up to 5")
    return options


def server_environment(options, password: str) -> dict:
    return os.environ | {
        "DATABASE_URL": options.database_url,
        "DATABASE_REPLICA_URLS": options.replica_url,
        "ENV_FILE": os.devnull,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP on 127.0.0.1: cookies can't be Secure-only here.
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
        "LOADTEST_PASSWORD": password,
    }


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [PYTHON, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


# Creates (or resets the password of) the admin the clients log in as; prints the customer count.
ADMIN_SNIPPET = f"""
import os
from customers.models import Customer, User
user, _ = User.objects.get_or_create(username={USERNAME!r})
user.is_staff = user.is_superuser = True
user.set_password(os.environ["LOADTEST_PASSWORD"])
user.save()
print(Customer.objects.count())
"""


def prepare_database(options, env: dict) -> int:
    """Make the database ready; return how many customers it has."""
    database = environ.Env.db_url_config(options.database_url)
    server = {key.lower(): database[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{database["NAME"]}"')
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    customers = int(manage(env, "shell", "-c", ADMIN_SNIPPET).split()[-1])
    if not customers:
        print(f"Loading a demo network of {options.customers} customers...", flush=True)
        manage(env, "seed_demo", "--customers", str(options.customers), "--seed", "1")
        customers = options.customers
    return customers


def start_server(env: dict, port: int, options, log: Path) -> subprocess.Popen:
    command = [
        GUNICORN,
        "network_admin.wsgi",
        f"--bind={HOST}:{port}",
        "--worker-class=gthread",
        f"--workers={options.workers}",
        f"--threads={options.threads}",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=output)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz").status == 200:
                return server
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn on port {port} did not answer /healthz; see {log}")


@dataclass
class Response:
    status: int
    body: str
    cookies: SimpleCookie


def request(port: int, method: str, path: str, *, cookies=None, form=None, conn=None) -> Response:
    connection = conn or http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Host": HOST}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://{HOST}:{port}/login/"
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    text = answer.read().decode()
    received = SimpleCookie()
    for header in answer.headers.get_all("Set-Cookie") or []:
        received.load(header)
    if conn is None:
        connection.close()
    return Response(answer.status, text, received)


def log_in(port: int, password: str) -> dict:
    page = request(port, "GET", "/login/")
    cookies = {name: morsel.value for name, morsel in page.cookies.items()}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    form = {"username": USERNAME, "password": password, "csrfmiddlewaretoken": token}
    answer = request(port, "POST", "/login/", cookies=cookies, form=form)
    if answer.status != 302:
        raise SystemExit(f"Logging in failed: HTTP {answer.status}")
    cookies |= {name: morsel.value for name, morsel in answer.cookies.items()}
    return cookies


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def app_server_cpu_seconds(servers: list[subprocess.Popen]) -> float:
    """CPU time used so far by the servers' gunicorn processes (master and workers)."""
    total = 0.0
    for server in servers:
        master = psutil.Process(server.pid)
        for process in [master, *master.children()]:
            times = process.cpu_times()
            total += times.user + times.system
    return total


def database_cpu_seconds(database_url: str) -> float | None:
    """CPU time used so far by the PostgreSQL backends connected to the load-test database (the
    app servers' persistent connections); None when they run as a user we can't inspect."""
    database = environ.Env.db_url_config(database_url)
    server = {key.lower(): database[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    with psycopg.connect(dbname=database["NAME"], **server) as connection:
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    total = 0.0
    for (pid,) in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        except psutil.AccessDenied:
            return None
        total += times.user + times.system
    return total


def drive(ports: list[int], cookies: dict, options, servers: list[subprocess.Popen]) -> dict:
    """`options.clients` threads request the page for `options.seconds`, taking turns between
    the servers, each over its own keep-alive connections (as a load balancer would)."""
    tally = Tally()
    stop_at = time.monotonic() + options.seconds

    def client(number: int):
        connections = {port: http.client.HTTPConnection(HOST, port, timeout=30) for port in ports}
        turn = number
        while time.monotonic() < stop_at:
            port = ports[turn % len(ports)]
            turn += 1
            started = time.perf_counter()
            try:
                status = request(port, "GET", PAGE, cookies=cookies, conn=connections[port]).status
            except (OSError, http.client.HTTPException):
                connections[port].close()
                status = 0
            took = time.perf_counter() - started
            with tally.lock:
                if status == 200:
                    tally.ok += 1
                    tally.latencies.append(took)
                else:
                    tally.failed += 1
        for connection in connections.values():
            connection.close()

    started, cpu_before = time.monotonic(), time.process_time()
    server_cpu_before = app_server_cpu_seconds(servers)
    database_cpu_before = database_cpu_seconds(options.database_url)
    threads = [threading.Thread(target=client, args=[n]) for n in range(options.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    client_cpu = (time.process_time() - cpu_before) / elapsed
    server_cpu = app_server_cpu_seconds(servers) - server_cpu_before
    database_cpu_after = database_cpu_seconds(options.database_url)
    database_cpu = None if database_cpu_after is None else database_cpu_after - database_cpu_before
    latencies = tally.latencies or [0.0]
    return {
        "requests per second": tally.ok / elapsed,
        "ok": tally.ok,
        "failed": tally.failed,
        "median ms": statistics.median(latencies) * 1000,
        "p95 ms": statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else 0,
        "client CPU": client_cpu,
        "server CPU ms per request": server_cpu * 1000 / max(tally.ok, 1),
        "database CPU ms per request": None
        if database_cpu is None
        else database_cpu * 1000 / max(tally.ok, 1),
    }


def main():
    options = arguments()
    password = secrets.token_urlsafe(16)
    env = server_environment(options, password)
    customers = prepare_database(options, env)
    servers = []
    logs = Path(tempfile.mkdtemp(prefix="two_app_servers-"))
    try:
        for port in options.ports:
            servers.append(start_server(env, port, options, logs / f"gunicorn-{port}.log"))
        first, second = options.ports
        cookies = log_in(first, password)
        # The session was created through the first server; the second must accept it.
        if request(second, "GET", PAGE, cookies=cookies).status != 200:
            raise SystemExit("The second server did not accept the first one's session.")
        for port in options.ports:  # warm up every worker's connections and caches
            for _ in range(options.workers * options.threads * 2):
                request(port, "GET", PAGE, cookies=cookies)
        results = {"1 app server": [], "2 app servers": []}
        # Alternating the runs spreads any outside load on the machine over both.
        for _ in range(options.rounds):
            results["1 app server"].append(drive([first], cookies, options, servers))
            results["2 app servers"].append(drive([first, second], cookies, options, servers))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    # The servers' logs only matter when something went wrong.
    shutil.rmtree(logs)
    print(
        f"\nGET {PAGE}, {customers} customers, {options.clients} clients, "
        f"{options.seconds:g} s per run, gunicorn gthread {options.workers} workers x "
        f"{options.threads} threads per server, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end\n"
    )
    print(
        "| servers | requests/s | requests | median ms | p95 ms | failed "
        "| CPU per request: app server | PostgreSQL | load generator CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        for result in runs:
            print(
                f"| {name} | {result['requests per second']:.1f} | {result['ok']} "
                f"| {result['median ms']:.0f} "
                f"| {result['p95 ms']:.0f} | {result['failed']} "
                f"| {result['server CPU ms per request']:.0f} ms "
                f"| {_ms(result['database CPU ms per request'])} "
                f"| {result['client CPU']:.2f} cores |"
            )


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


if __name__ == "__main__":
    main()

"""`manage.py screenshots`: PNGs of the main pages for the README, in docs/screenshots/.

It builds a small fixed demo network (`seed_demo --customers 30 --seed 7`) in the configured
database, serves the app with runserver on 127.0.0.1, signs in as a network admin in Debian's
Chromium (driven by Playwright, which downloads nothing) and saves each page. It writes demo data,
so it refuses a database that already has customers: `make screenshots` runs it on a throwaway
SQLite database in a temporary directory.
"""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse

from customers.models import Customer, User
from memberships.models import Membership
from payments.models import Payment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SERVER_START_SECONDS = 30
# The part of the showcase payment refunded on camera, so the payment page shows a refund.
REFUND_SHARE = 4
REFUND_REASON = "Goodwill: the site was down for a week"


class Command(BaseCommand):
    help = (
        "Save screenshots of the main pages into docs/screenshots/, from a fixed demo network. "
        "Run it on an empty, throwaway database: `make screenshots` does."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=settings.BASE_DIR / "docs" / "screenshots",
            help="Folder for the PNG files (default docs/screenshots/).",
        )

    def handle(self, *args, output: Path, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise CommandError("Playwright is missing: run `make install-dev` first.") from error
        if not CHROMIUM.exists():
            raise CommandError(f"{CHROMIUM} is missing: apt-get install chromium")
        tables = connection.introspection.table_names()
        if Customer._meta.db_table in tables and Customer.objects.exists():
            raise CommandError(
                "This database already has customers. The screenshots build their own demo "
                "network: run `make screenshots`, which uses a throwaway database."
            )
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", customers=30, seed=7, verbosity=0)
        password = secrets.token_urlsafe(16)
        self._create_admin(password)
        showcase = _showcase()
        # The browser's requests go to the server process; this one is done with the database.
        connection.close()
        output.mkdir(parents=True, exist_ok=True)
        with _server() as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                shooter = Shooter(browser, base_url, output)
                shooter.sign_in(password)
                shooter.shoot_all(showcase)
            finally:
                browser.close()
        for path in sorted(output.glob("*.png")):
            self.stdout.write(f"{path}: {path.stat().st_size // 1024} KB")

    def _create_admin(self, password: str) -> None:
        admin = User.objects.create_user(
            username="admin",
            email="admin@example.com",
            password=password,
            first_name="Jane",
            last_name="Admin",
            is_staff=True,
        )
        admin.groups.add(Group.objects.get(name="Network admin"))


def _showcase() -> dict:
    """The customer the screenshots follow: the first one with a completed manual payment
    for a membership (it can be refunded on the spot) and a site."""
    payment = (
        Payment.objects.filter(
            status=Payment.Status.COMPLETED,
            gateway=Membership.Gateway.MANUAL,
            membership__isnull=False,
            customer__sites__isnull=False,
        )
        .select_related("customer__user", "membership")
        .order_by("pk")
        .first()
    )
    if payment is None:
        raise CommandError("The demo network has no customer to show: seed_demo changed?")
    customer = payment.customer
    return {
        "customer": customer,
        "payment": payment,
        "membership": payment.membership,
        "site": customer.sites.order_by("pk").first(),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _server():
    """runserver on 127.0.0.1 with the same database; yields its URL, stops it afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    # DEBUG serves the stylesheet without collectstatic and allows cookies over plain HTTP.
    env = {**os.environ, "DEBUG": "true"}
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 - our own manage.py, no shell
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_up(f"{base_url}{reverse('healthz')}", server, log)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_up(url: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise CommandError(f"The server stopped:\n{log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - http://127.0.0.1 only
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise CommandError(f"The server didn't answer {url} within {SERVER_START_SECONDS} s.")


class Shooter:
    """One signed-in browser page, saving a PNG of what it shows."""

    def __init__(self, browser, base_url: str, output: Path):
        self.browser, self.base_url, self.output = browser, base_url, output
        self.context = browser.new_context(base_url=base_url, viewport=DESKTOP)
        self.page = self.context.new_page()

    def sign_in(self, password: str) -> None:
        page = self.page
        page.goto(reverse("login"))
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Log out").wait_for()

    def save(self, name: str, url: str | None = None) -> None:
        if url is not None:
            self.page.goto(url)
        self.page.screenshot(path=self.output / f"{name}.png")

    def shoot_all(self, showcase: dict) -> None:
        page, customer = self.page, showcase["customer"]
        customer_url = reverse("customers:detail", args=[customer.pk])
        self.save("customers-cards", reverse("customers:list"))
        page.get_by_role("button", name="Rows").click()
        self.save("customers-rows")
        # Back to cards: the admin's choice is remembered, and the phone shot shows cards.
        page.get_by_role("button", name="Cards").click()
        self.save("customer", customer_url)
        self.save("customer-delete", reverse("customers:delete", args=[customer.pk]))
        self.save("membership", reverse("memberships:detail", args=[showcase["membership"].pk]))
        payment = showcase["payment"]
        self._refund_part_of(payment)
        # From the top, where Refunded and Refundable are (the refund's redirect scrolls down).
        self.save("payment", reverse("payments:detail", args=[payment.pk]))
        self.save("site", reverse("sites:detail", args=[showcase["site"].pk]))
        page.goto(customer_url)
        page.get_by_role("button", name=f"Switch to {customer.name}").click()
        page.get_by_role("button", name="Switch back").wait_for()
        self.save("account-switched-to")
        page.get_by_role("button", name="Switch back").click()
        self.save("events", reverse("events:list"))
        page.set_viewport_size(PHONE)
        self.save("customers-phone", reverse("customers:list"))
        page.set_viewport_size(DESKTOP)
        page.emulate_media(color_scheme="dark")
        self.save("customer-dark", customer_url)

    def _refund_part_of(self, payment: Payment) -> None:
        page = self.page
        page.goto(reverse("payments:refund", args=[payment.pk]))
        page.get_by_label(f"Amount ({payment.currency})").fill(
            f"{payment.total / REFUND_SHARE:.2f}"
        )
        page.get_by_label("Reason").fill(REFUND_REASON)
        page.get_by_role("button", name="Refund", exact=True).click()
        # Back on the payment page, the new refund is listed.
        page.get_by_role("cell", name=REFUND_REASON).wait_for()

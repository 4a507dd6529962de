"""Browser tests: Debian's Chromium driven by Playwright against the app on `live_server`.

Nothing is downloaded: Playwright's own browsers are never installed; the system Chromium is
launched instead (CI installs it with apt). One browser serves the whole session, each test gets
a fresh context (cookies, storage) and builds its data with factories.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from memberships.models import Membership
from tests.e2e.helpers import log_in
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    NoteFactory,
    PaymentFactory,
    ProductFactory,
    SiteFactory,
    UserFactory,
)

# Playwright's sync API keeps an event loop running in this thread, so Django would refuse the
# ORM calls of the tests themselves (SynchronousOnlyOperation). Set here, not in the unit-test
# conftest, because it turns a Django safety check off (LIBRARIES.md §1.4).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"no browser: {CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, django_db_setup, live_server):
    # The test database first: the live server shares an in-memory SQLite connection with the
    # tests only if that database exists when the server starts.
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def network(transactional_db):
    """A network admin, Ada Lovelace with a bit of everything, and Grace Hopper."""
    admin = UserFactory(
        username="jane", first_name="Jane", last_name="Admin", is_staff=True, role="Network admin"
    )
    ada = CustomerFactory(
        user__username="ada",
        user__first_name="Ada",
        user__last_name="Lovelace",
        user__email="ada.lovelace@example.com",
        company_name="Analytical Engines",
        last_login=timezone.now() - timedelta(days=16, hours=3),
    )
    membership = MembershipFactory(customer=ada, plan=ProductFactory(name="Business"))
    pending = MembershipFactory(
        customer=ada, plan=ProductFactory(name="Starter"), status=Membership.Status.PENDING
    )
    payment = PaymentFactory(customer=ada, membership=membership, lines=[Decimal("100.00")])
    site = SiteFactory(customer=ada, membership=membership, title="Engine Works")
    NoteFactory(customer=ada, text="Prefers email")
    grace = CustomerFactory(
        user__username="grace",
        user__first_name="Grace",
        user__last_name="Hopper",
        user__email="grace.hopper@example.com",
        last_login=timezone.now() - timedelta(days=45),
    )
    return SimpleNamespace(
        admin=admin,
        ada=ada,
        membership=membership,
        pending=pending,
        payment=payment,
        site=site,
        grace=grace,
        grace_membership=MembershipFactory(customer=grace, plan=ProductFactory(name="Premium")),
    )


@pytest.fixture
def admin_page(page, network):
    """The browser, signed in as the network admin."""
    log_in(page, network.admin.username)
    return page


@pytest.fixture(params=[True, False], ids=["with JavaScript", "without JavaScript"])
def javascript(request) -> bool:
    return request.param


@pytest.fixture
def visitor(new_context, network, javascript):
    """A browser that has signed in to nothing yet, with JavaScript on or off."""
    return new_context(java_script_enabled=javascript).new_page()

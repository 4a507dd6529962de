"""Against a real PostgreSQL streaming replica (CI starts one on port 5433, see .ci/run).

REPLICA_TEST_URL names a hot standby of the server in DATABASE_URL. The tests read, through it,
the test database pytest-django created on the primary, which the standby replicated like any
other. REPLICA_TEST_PG_CTL, a pg_ctl command for the standby, lets one test stop and restart it.
"""

import copy
import os
import shlex
import subprocess
import time
from contextlib import contextmanager

import environ
import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from tests.factories import (
    CustomerFactory,
    EventFactory,
    MembershipFactory,
    PaymentFactory,
    SiteFactory,
    UserFactory,
)
from tests.replicas.conftest import customer_queries, database_alias, warnings_in

REPLICA = "replica_stream"
REPLICA_URL = os.environ.get("REPLICA_TEST_URL", "")
PG_CTL = os.environ.get("REPLICA_TEST_PG_CTL", "")
WAIT_SECONDS = 30

pytestmark = [
    pytest.mark.skipif(
        not REPLICA_URL,
        reason="needs REPLICA_TEST_URL, a streaming replica of DATABASE_URL's server (.ci/run "
        "starts one)",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]


def query(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_until(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {WAIT_SECONDS} s")
        time.sleep(0.01)


def replica_answers() -> bool:
    try:
        return query(REPLICA, "SELECT pg_is_in_recovery()")
    except OperationalError:
        # Still starting, or the test database has not been replayed yet.
        connections[REPLICA].close()
        return False


def wait_for_replica(done: str = "replay"):
    """Wait until the replica has replayed (or only received) all the primary committed so far."""
    lsn = query("default", "SELECT pg_current_wal_lsn()")
    sql = f"SELECT pg_last_wal_{done}_lsn() >= %s::pg_lsn"
    wait_until(lambda: replica_answers() and query(REPLICA, sql, [lsn]), f"{done} of {lsn}")


@contextmanager
def replay_paused():
    """The replica keeps receiving the primary's changes but applies none: it lags."""
    query(REPLICA, "SELECT pg_wal_replay_pause()")
    paused = "SELECT pg_get_wal_replay_pause_state() = 'paused'"
    wait_until(lambda: query(REPLICA, paused), "pausing replay")
    try:
        yield
    finally:
        query(REPLICA, "SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def streaming_replica(django_db_setup, django_db_blocker):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the streaming replica tests need PostgreSQL in DATABASE_URL")
    server = environ.Env.db_url_config(REPLICA_URL)
    replica = copy.deepcopy(connections["default"].settings_dict)
    replica.update({key: server[key] for key in ("HOST", "PORT", "USER", "PASSWORD")})
    with database_alias(REPLICA, replica):
        with django_db_blocker.unblock():
            wait_until(replica_answers, "the replica serving the test database")
        yield REPLICA


@pytest.fixture
def replica_client(settings, streaming_replica, admin_client):
    settings.DATABASE_REPLICAS = [REPLICA]
    return admin_client


def test_the_replica_is_a_standby_of_the_primary(streaming_replica):
    assert query(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert query("default", "SELECT pg_is_in_recovery()") is False


def test_the_customer_list_is_read_from_the_replica(replica_client):
    CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    wait_for_replica()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = replica_client.get(reverse("customers:list"), {"q": "Hopper"})
    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert customer_queries(on_replica)
    assert customer_queries(on_primary) == []
    assert query(REPLICA, "SELECT pg_is_in_recovery()") is True


def test_a_save_goes_to_the_primary_and_the_next_page_shows_it_while_the_replica_lags(
    replica_client, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 3600  # the paused replica stays in use
    customer = CustomerFactory(vip=False)
    colleague = Client()
    colleague.force_login(UserFactory(is_staff=True, role="Network admin"))
    wait_for_replica()
    vip_list = reverse("customers:list") + "?tab=vip"

    with replay_paused():
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            response = replica_client.post(
                reverse("customers:vip", args=[customer.pk]), {"customer-vip": "on"}
            )
        assert response.status_code == 302
        assert on_replica.captured_queries == []
        assert Customer.objects.using("default").get(pk=customer.pk).vip
        assert not Customer.objects.using(REPLICA).get(pk=customer.pk).vip

        assert customer.name in replica_client.get(vip_list).text
        # A colleague who saved nothing reads the lagging replica.
        assert customer.name not in colleague.get(vip_list).text


def test_the_page_of_a_customer_the_replica_has_not_received_yet_is_read_from_the_primary(
    replica_client, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 3600  # the paused replica stays in use
    wait_for_replica()
    with replay_paused():
        customer = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
        response = replica_client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    assert "Grace Hopper" in response.text


def test_a_replica_lagging_beyond_the_limit_is_skipped_with_a_warning(
    replica_client, settings, caplog
):
    settings.REPLICA_MAX_LAG_SECONDS = 0.2
    wait_for_replica()
    with replay_paused():
        CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
        wait_for_replica("receive")
        time.sleep(0.5)
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            response = replica_client.get(reverse("customers:list"))
    assert "Grace Hopper" in response.text
    assert customer_queries(on_replica) == []
    [warning] = warnings_in(caplog)
    assert f"Read replica {REPLICA} skipped" in warning
    assert "behind the primary" in warning


def pg_ctl(*arguments: str) -> None:
    # The command comes from the CI script that started the replica.
    subprocess.run([*shlex.split(PG_CTL), *arguments], check=True, capture_output=True)  # noqa: S603


@pytest.fixture
def stop_replica(streaming_replica):
    """Stops the replica when called; it is started again after the test."""
    if not PG_CTL:
        pytest.skip("needs REPLICA_TEST_PG_CTL, a pg_ctl command for the replica (.ci/run sets it)")
    yield lambda: pg_ctl("stop", "-m", "fast", "-w")
    pg_ctl("start", "-w")
    wait_for_replica()


def test_every_page_works_with_the_replica_stopped(replica_client, stop_replica, caplog):
    membership = MembershipFactory(customer__user__last_name="Hopper")
    customer = membership.customer
    payment = PaymentFactory(customer=customer, membership=membership)
    site = SiteFactory(customer=customer)
    event = EventFactory(customer=customer)
    wait_for_replica()
    # The replica serves a first page, then stops while the app holds a connection to it.
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert replica_client.get(reverse("customers:list")).status_code == 200
    assert customer_queries(on_replica)
    stop_replica()

    pages = [
        reverse("customers:list") + "?q=Hopper",
        reverse("home"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("memberships:list"),
        reverse("memberships:detail", args=[membership.pk]),
        reverse("memberships:products"),
        reverse("memberships:product_detail", args=[membership.plan_id]),
        reverse("payments:list"),
        reverse("payments:detail", args=[payment.pk]),
        reverse("sites:list"),
        reverse("sites:detail", args=[site.pk]),
        reverse("events:list"),
        reverse("events:detail", args=[event.pk]),
    ]
    for page in pages:
        response = replica_client.get(page)
        assert response.status_code == 200, page
    assert customer.name in replica_client.get(pages[0]).text
    export = replica_client.get(reverse("customers:export"))
    assert "Hopper" in b"".join(export.streaming_content).decode()
    assert any(f"Read replica {REPLICA} skipped" in warning for warning in warnings_in(caplog))

"""Which database each query goes to: replicas for the reads of read-only pages, the primary for
everything else, and the primary for a while after an admin saved something."""

import datetime
import time

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from customers.models import Customer
from events.models import Event
from network_admin import db_router
from network_admin.db_router import ReadRouting, ReplicaHealth, ReplicaRouter, routing
from network_admin.models import UserSession
from network_admin.replica_routing import PIN_COOKIE, REPLICA_PAGES
from tests.factories import CustomerFactory, PaymentFactory
from tests.replicas.conftest import FAKE_REPLICA, customer_queries, sql_on_every_thread

router = ReplicaRouter()


@pytest.fixture
def two_replicas(settings, all_replicas_healthy):
    settings.DATABASE_REPLICAS = ["replica1", "replica2"]


def test_reads_outside_a_request_go_to_the_primary(two_replicas):
    assert router.db_for_read(Customer) == "default"


def test_reads_of_a_replica_page_go_to_a_healthy_replica(two_replicas):
    with routing(ReadRouting(replica_reads=True)):
        assert router.db_for_read(Customer) in {"replica1", "replica2"}


def test_one_request_keeps_its_replica_and_the_next_request_takes_the_other(two_replicas):
    with routing(ReadRouting(replica_reads=True)):
        first = {router.db_for_read(Customer), router.db_for_read(Event)}
    with routing(ReadRouting(replica_reads=True)):
        second = {router.db_for_read(Customer), router.db_for_read(Event)}
    assert len(first) == len(second) == 1
    assert first | second == {"replica1", "replica2"}


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_go_to_the_primary(two_replicas):
    with routing(ReadRouting(replica_reads=True)):
        with transaction.atomic():
            assert router.db_for_read(Customer) == "default"
        assert router.db_for_read(Customer) != "default"


def test_sessions_are_always_read_from_the_primary(two_replicas):
    # A session created by logging in a moment ago may not have reached the replicas yet.
    with routing(ReadRouting(replica_reads=True)):
        assert router.db_for_read(UserSession) == "default"
        assert router.db_for_read(Session) == "default"
        assert router.db_for_read(Customer) != "default"


def test_writes_go_to_the_primary_and_are_noted(two_replicas):
    with routing(ReadRouting(replica_reads=True)) as state:
        assert router.db_for_write(Customer) == "default"
    assert state.wrote


def test_without_a_healthy_replica_reads_go_to_the_primary(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica1"]
    monkeypatch.setattr(db_router, "replica_health", ReplicaHealth(probe=lambda alias: "down"))
    with routing(ReadRouting(replica_reads=True)):
        assert router.db_for_read(Customer) == "default"


def test_migrations_run_on_the_primary_only(two_replicas):
    assert router.allow_migrate("default", "customers")
    assert not router.allow_migrate("replica1", "customers")


def test_objects_from_the_primary_and_a_replica_may_be_related(two_replicas):
    on_replica, on_primary, elsewhere = Customer(), Customer(), Customer()
    on_replica._state.db, on_primary._state.db, elsewhere._state.db = "replica1", "default", "x"
    assert router.allow_relation(on_replica, on_primary)
    assert router.allow_relation(on_replica, elsewhere) is None


def test_every_replica_page_is_a_named_url():
    def exists(name):
        for args in ([], [1]):
            try:
                reverse(name, args=args)
            except NoReverseMatch:
                continue
            return True
        return False

    assert [name for name in REPLICA_PAGES if not exists(name)] == []


@pytest.fixture
def replica_client(settings, all_replicas_healthy, fake_replica, admin_client):
    settings.DATABASE_REPLICAS = [FAKE_REPLICA]
    return admin_client


pages = pytest.mark.django_db(transaction=True, databases=["default", FAKE_REPLICA])


@pages
def test_the_customer_list_and_its_search_are_read_from_the_replica(replica_client):
    CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    with CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica:
        response = replica_client.get(reverse("customers:list"), {"q": "Hopper"})
    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert customer_queries(on_replica)
    assert PIN_COOKIE not in response.cookies


@pages
def test_the_export_streams_its_rows_from_the_replica_and_records_on_the_primary(
    replica_client,
):
    CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    response = replica_client.get(reverse("customers:export"))
    # The rows are read while the file is sent, after the view has returned (PostgreSQL reads
    # each next chunk on a second connection).
    with sql_on_every_thread(FAKE_REPLICA) as on_replica:
        csv = b"".join(response.streaming_content).decode()
    assert "Hopper" in csv
    assert [sql for sql in on_replica if "customers_customer" in sql]
    assert Event.objects.filter(action="customer.exported").count() == 1


@pages
def test_a_page_not_found_on_the_replica_is_looked_up_on_the_primary(replica_client):
    with (
        CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = replica_client.get(reverse("customers:detail", args=[404]))
    assert response.status_code == 404
    assert customer_queries(on_replica)
    assert customer_queries(on_primary)


@pages
def test_a_refund_confirmation_is_read_from_the_primary(replica_client):
    payment = PaymentFactory()
    with CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica:
        response = replica_client.get(reverse("payments:refund", args=[payment.pk]))
    assert response.status_code == 200
    assert on_replica.captured_queries == []


@pages
def test_after_a_save_the_admin_reads_the_primary_for_a_few_seconds(replica_client, settings):
    customer = CustomerFactory()
    response = replica_client.post(
        reverse("customers:vip", args=[customer.pk]), {"customer-vip": "on"}
    )
    assert response.status_code == 302
    assert response.cookies[PIN_COOKIE]["max-age"] == settings.REPLICA_PIN_SECONDS
    with CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica:
        response = replica_client.get(reverse("customers:list"), {"tab": "vip"})
    assert customer.name in response.text
    assert on_replica.captured_queries == []

    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=6)
    with time_machine.travel(later), CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica:
        replica_client.get(reverse("customers:list"), {"tab": "vip"})
    assert customer_queries(on_replica)


@pages
def test_a_page_that_wrote_pins_the_admin_to_the_primary(replica_client):
    # The export records an event, so the events list opened next must show it.
    response = replica_client.get(reverse("customers:export"))
    b"".join(response.streaming_content)
    assert PIN_COOKIE in response.cookies
    with CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica:
        response = replica_client.get(reverse("events:list"))
    assert on_replica.captured_queries == []


@pages
@pytest.mark.parametrize("pin", ["not a time", "inf", str(time.time() - 10)])
def test_a_forged_or_stale_pin_is_ignored(replica_client, pin):
    replica_client.cookies[PIN_COOKIE] = pin
    with CaptureQueriesContext(connections[FAKE_REPLICA]) as on_replica:
        replica_client.get(reverse("customers:list"))
    assert customer_queries(on_replica)


@pytest.mark.django_db
def test_without_replicas_nothing_changes_for_the_browser(admin_client, settings):
    settings.DATABASE_REPLICAS = []
    customer = CustomerFactory()
    response = admin_client.post(
        reverse("customers:vip", args=[customer.pk]), {"customer-vip": "on"}
    )
    assert response.status_code == 302
    assert PIN_COOKIE not in response.cookies

"""A replica that is down, lagging or not a standby is skipped with a warning, never a 500."""

import logging

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from network_admin import db_router
from network_admin.db_router import ReadRouting, ReplicaHealth, ReplicaRouter, routing
from tests.factories import CustomerFactory
from tests.replicas.conftest import DOWN_REPLICA, warnings_in

router = ReplicaRouter()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Probe:
    """A replica's answers to health checks, in order; the last one repeats."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, alias):
        self.calls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_a_replica_that_is_down_is_skipped_with_a_warning(
    settings, down_replica, django_db_blocker, caplog
):
    settings.DATABASE_REPLICAS = [DOWN_REPLICA]
    with django_db_blocker.unblock(), routing(ReadRouting(replica_reads=True)):
        assert router.db_for_read(Customer) == "default"
    [warning] = warnings_in(caplog)
    assert warning.startswith(f"Read replica {DOWN_REPLICA} skipped, reads go to the primary")
    assert "unreachable" in warning


@pytest.mark.django_db
def test_a_database_that_is_not_a_standby_is_not_used_as_a_replica():
    if connections["default"].vendor != "postgresql":
        pytest.skip("pg_is_in_recovery() needs PostgreSQL")
    assert db_router.probe_replica("default") == "not a standby: pg_is_in_recovery() is false"


def test_a_lagging_replica_is_skipped_until_it_catches_up(caplog):
    caplog.set_level(logging.INFO)
    clock, probe = Clock(), Probe("9.0 s behind the primary", None)
    health = ReplicaHealth(probe=probe, clock=clock)
    assert not health.is_usable("replica1")
    clock.now += db_router.CHECK_EVERY_SECONDS
    assert health.is_usable("replica1")
    assert [record.getMessage() for record in caplog.records] == [
        "Read replica replica1 skipped, reads go to the primary: 9.0 s behind the primary",
        "Read replica replica1 is back in use.",
    ]


def test_a_replica_is_checked_at_most_every_two_seconds():
    clock, probe = Clock(), Probe(None)
    health = ReplicaHealth(probe=probe, clock=clock)
    for _ in range(5):
        assert health.is_usable("replica1")
    clock.now += 1.9
    health.is_usable("replica1")
    assert probe.calls == 1
    clock.now += 0.1
    health.is_usable("replica1")
    assert probe.calls == 2


def test_a_replica_that_stays_down_is_reported_once(caplog):
    clock = Clock()
    health = ReplicaHealth(probe=Probe("unreachable"), clock=clock)
    for _ in range(3):
        assert not health.is_usable("replica1")
        clock.now += db_router.CHECK_EVERY_SECONDS
    assert len(warnings_in(caplog)) == 1


@pytest.mark.django_db(transaction=True, databases=["default", DOWN_REPLICA])
def test_a_replica_failing_during_a_page_is_skipped_and_the_page_answered_from_the_primary(
    settings, monkeypatch, down_replica, admin_client, caplog
):
    # The last health check passed, but the replica has gone down since.
    health = ReplicaHealth(probe=Probe(None))
    monkeypatch.setattr(db_router, "replica_health", health)
    settings.DATABASE_REPLICAS = [DOWN_REPLICA]
    CustomerFactory(user__first_name="Grace", user__last_name="Hopper")

    with CaptureQueriesContext(connections["default"]) as on_primary:
        response = admin_client.get(reverse("customers:list"))

    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert any("customers_customer" in query["sql"] for query in on_primary.captured_queries)
    [warning] = warnings_in(caplog)
    assert warning.startswith(f"Read replica {DOWN_REPLICA} skipped")
    assert "a query failed" in warning
    assert not health.is_usable(DOWN_REPLICA)

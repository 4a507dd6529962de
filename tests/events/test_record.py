import pytest
from django.db import transaction

from customers.services import customer_update
from events.models import AppendOnlyError, Event
from events.services import SYSTEM, Actor, record
from tests.factories import CustomerFactory, EventFactory

pytestmark = pytest.mark.django_db


def test_an_update_records_exactly_one_event_with_old_and_new_values(network_admin):
    customer = CustomerFactory(vip=False, city="Oslo")
    actor = Actor(user=network_admin, ip_address="203.0.113.9")

    customer_update(actor=actor, customer=customer, values={"vip": True, "city": "Bergen"})

    event = Event.objects.get()
    assert event.action == "customer.updated"
    assert event.payload == {
        "changes": {"vip": {"old": False, "new": True}, "city": {"old": "Oslo", "new": "Bergen"}}
    }
    assert (event.actor, event.actor_repr) == (network_admin, "Jane Admin")
    assert (event.customer_id, event.object_type, event.object_id) == (
        customer.pk,
        "customer",
        customer.pk,
    )
    assert event.object_repr == str(customer)
    assert event.ip_address == "203.0.113.9"
    assert event.initiator == Event.Initiator.MANUAL


def test_an_update_that_changes_nothing_records_nothing():
    customer = CustomerFactory(vip=True)
    customer_update(actor=SYSTEM, customer=customer, values={"vip": True})
    assert not Event.objects.exists()


def test_a_failed_update_records_no_event_and_changes_nothing(monkeypatch):
    customer = CustomerFactory(city="Oslo")

    def explode(*args, **kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("customers.services.record", explode)
    with pytest.raises(RuntimeError):
        customer_update(actor=SYSTEM, customer=customer, values={"city": "Bergen"})

    customer.refresh_from_db()
    assert customer.city == "Oslo"
    assert not Event.objects.exists()


def test_an_event_never_exists_without_its_change():
    customer = CustomerFactory(city="Oslo")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        customer_update(actor=SYSTEM, customer=customer, values={"city": "Bergen"})
        1 / 0  # noqa: B018 - the change's transaction fails after the event was written
    assert not Event.objects.exists()
    customer.refresh_from_db()
    assert customer.city == "Oslo"


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record("customer.updated", actor=SYSTEM)


def test_secrets_never_reach_the_payload():
    with transaction.atomic():
        event = record(
            "customer.updated",
            actor=SYSTEM,
            payload={"changes": {"password": {"old": "a", "new": "b"}}, "api_token": "t"},
        )
    assert "a" not in str(event.payload["changes"]["password"])
    assert event.payload["api_token"] != "t"


def test_events_cannot_be_changed_or_deleted():
    event = EventFactory()
    event.action = "customer.deleted"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()
    assert Event.objects.get().action == "customer.updated"


def test_events_outlive_their_customer_and_actor(network_admin):
    customer = CustomerFactory()
    customer_id = customer.pk
    with transaction.atomic():
        record("customer.updated", actor=Actor(user=network_admin), obj=customer)
    customer.delete()
    network_admin.delete()
    event = Event.objects.get()
    assert event.actor_repr == "Jane Admin"
    assert event.customer_id == customer_id

"""On PostgreSQL the database itself refuses to change or delete an event, whoever asks."""

import pytest
from django.db import DatabaseError, connection, models, transaction

from events.models import Event
from tests.factories import CustomerFactory, EventFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
    ),
]


def refused(statement) -> bool:
    """Run `statement` in a savepoint; True when the database refused it as append-only."""
    try:
        with transaction.atomic():
            statement()
    except DatabaseError as error:
        return "append-only" in str(error)
    return False


def raw(sql: str, *params):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


def test_raw_sql_cannot_update_or_delete_an_event():
    event = EventFactory(action="customer.updated")
    assert refused(raw("UPDATE events_event SET action = %s WHERE id = %s", "x", event.pk))
    assert refused(raw("DELETE FROM events_event WHERE id = %s", event.pk))
    assert refused(raw("DELETE FROM events_event"))
    assert Event.objects.get(pk=event.pk).action == "customer.updated"


def test_the_orm_cannot_update_or_delete_an_event_even_past_the_model_guards():
    event = EventFactory(action="customer.updated")
    # Plain QuerySet methods skip EventQuerySet's refusals and reach the database.
    events = Event.objects.filter(pk=event.pk)
    assert refused(lambda: models.QuerySet.update(events, action="x"))
    assert refused(lambda: models.QuerySet.delete(events))
    assert refused(lambda: models.Model.save(event, force_update=True))
    assert Event.objects.get(pk=event.pk).action == "customer.updated"


def test_events_can_still_be_added_and_their_customer_deleted():
    customer = CustomerFactory()
    EventFactory(customer_id=customer.pk, object_type="customer", object_id=customer.pk)
    customer.user.delete()
    EventFactory()
    assert Event.objects.count() == 2

"""Query expressions of network_admin.expressions: what they find, and how PostgreSQL plans them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer, LoginRecord
from events.forms import EventFilterForm
from events.models import Event
from network_admin.expressions import InlinedValue, RelatedRows
from payments.models import Payment
from tests.factories import (
    CustomerFactory,
    EventFactory,
    LoginRecordFactory,
    NoteFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's plans and arrays"
)


def test_an_inlined_value_matches_as_a_parameter_would_even_with_quotes_in_it():
    awkward = CustomerFactory(company_name="O'Brien's \\ Sons; DROP TABLE x; --")
    CustomerFactory(company_name="Other")

    found = Customer.objects.filter(company_name=InlinedValue(awkward.company_name))

    assert list(found) == [awkward]


@postgresql_only
def test_an_inlined_value_is_written_into_the_statement_not_sent_beside_it():
    sql, params = Customer.objects.filter(company_name=InlinedValue("Acme")).query.sql_with_params()
    assert "'Acme'" in sql and "Acme" not in params


@postgresql_only
def test_the_events_severity_filter_is_planned_for_its_own_value(network_admin):
    form = EventFilterForm({"severity": "error"}, user=network_admin)
    sql, params = form.filter(Event.objects.all()).query.sql_with_params()
    assert "'error'" in sql and "error" not in params


def newest(model, limit: int, **where):
    related = RelatedRows("pk", model=model, field="customer", limit=limit)
    return Customer.objects.filter(**where).annotate(newest=related).get().newest


def values(rows, *names):
    return [tuple(getattr(row, name) for name in names) for row in rows]


def test_related_rows_are_the_newest_as_the_orm_reads_them():
    customer = CustomerFactory()
    now = timezone.now()
    for minutes, ip, country in [
        (5, "203.0.113.9", "DE"),
        (1, "2001:db8::1", ""),
        (9, None, "BR"),
        (3, "198.51.100.7", "FR"),
    ]:
        LoginRecordFactory(
            customer=customer,
            created_at=now - timedelta(minutes=minutes),
            ip_address=ip,
            country=country,
        )
    LoginRecordFactory(created_at=now)  # another customer's

    rows = newest(LoginRecord, 3, pk=customer.pk)

    names = ["pk", "customer_id", "created_at", "ip_address", "country", "user_agent"]
    assert values(rows, *names) == values(customer.logins.all()[:3], *names)
    assert [row.created_at for row in rows] == [now - timedelta(minutes=m) for m in (1, 3, 5)]
    assert rows[0].created_at.tzinfo is not None and rows[1].country.name == "France"


def test_related_rows_keep_exact_amounts_and_missing_references():
    payment = PaymentFactory(lines=[Decimal("19.99")])
    note = NoteFactory(customer=payment.customer, author=None)

    [row] = newest(Payment, 5, pk=payment.customer_id)
    [note_row] = newest("customers.Note", 5, pk=payment.customer_id)

    assert payment.total == Decimal("19.99")
    assert row.total == payment.total and isinstance(row.total, Decimal)
    assert row.status == payment.status and row.created_at == payment.created_at
    assert note_row.author_id is None and note_row.text == note.text


def test_related_rows_read_json_as_the_orm_does():
    customer = CustomerFactory()
    now = timezone.now()
    payloads = [
        {"changes": {"status": ["active", "cancelled"]}, "rate": 20.5, "total": "19.99"},
        {"items": [1, 2.25, None, True], "note": 'quote " and accent é'},
        {},
    ]
    for minutes, payload in enumerate(payloads):
        EventFactory(
            customer_id=customer.pk, payload=payload, created_at=now - timedelta(minutes=minutes)
        )

    rows = newest(Event, 5, pk=customer.pk)

    assert [row.payload for row in rows] == payloads
    assert isinstance(rows[0].payload["rate"], float)
    names = ["pk", "created_at", "action", "severity", "object_type", "object_id", "payload"]
    assert values(rows, *names) == values(Event.objects.filter(customer_id=customer.pk), *names)


def test_a_customer_without_related_rows_has_an_empty_list():
    LoginRecordFactory()
    assert newest(LoginRecord, 10, pk=CustomerFactory().pk) == []


def test_related_rows_of_a_model_without_an_order_are_refused():
    with pytest.raises(ValueError, match="Meta.ordering"):
        RelatedRows("pk", model="memberships.MembershipAddon", field="membership", limit=5)

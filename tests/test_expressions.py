"""Query expressions of network_admin.expressions that shape how PostgreSQL plans a query."""

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from events.forms import EventFilterForm
from events.models import Event
from network_admin.expressions import FoundFirst, InlinedValue
from tests.factories import CustomerFactory, EventFactory

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


@postgresql_only
def test_rows_found_first_are_the_subquerys_rows_in_the_outer_querys_order():
    now = timezone.now()
    online = [CustomerFactory(last_seen=now), CustomerFactory(last_seen=now)]
    CustomerFactory(last_seen=None)

    found = Customer.objects.filter(
        FoundFirst("pk", Customer.objects.online().order_by().values("pk"))
    ).order_by("pk")

    assert list(found) == sorted(online, key=lambda customer: customer.pk)
    assert "= ANY(ARRAY(SELECT" in str(found.query)


@postgresql_only
def test_rows_found_first_in_an_empty_subquery_are_none():
    EventFactory()
    none = Event.objects.filter(FoundFirst("pk", Event.objects.none().values("pk")))
    assert list(none) == []

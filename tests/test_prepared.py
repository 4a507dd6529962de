"""Prepared querysets: built and compiled once, run with new values, read as Django reads any."""

from decimal import Decimal

import pytest
from django.db import connection, models
from django.db.models import Count, Sum
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from memberships.models import Membership
from network_admin.prepared import PRIMARY_KEY, Param, prepared
from payments.models import Payment
from tests.factories import CustomerFactory, MembershipFactory, PaymentFactory

pytestmark = pytest.mark.django_db

CUSTOMER = Param("customer", models.BigIntegerField())


@prepared
def newest_memberships(count):
    return (
        Membership.objects.filter(customer=CUSTOMER)
        .select_related("customer__user", "plan")
        .annotate(payment_count=Count("payments"))
        .order_by("-created_at", "-id")[:count]
    )


@prepared
def paid_by_currency():
    at_least = Param("at_least", models.DecimalField())
    return (
        Payment.objects.filter(customer=CUSTOMER, total__gte=at_least)
        .values("currency")
        .annotate(paid=Sum("total"))
        .order_by("currency")
    )


@pytest.fixture
def compiles(monkeypatch):
    """How many statements Django compiles."""
    count = [0]
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        count[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return count


def test_rows_are_the_querysets_own_with_their_related_objects_and_annotations(
    django_assert_num_queries,
):
    ann = CustomerFactory(user__first_name="Ann")
    older, newer = MembershipFactory(customer=ann), MembershipFactory(customer=ann)
    PaymentFactory(customer=ann, membership=newer)
    MembershipFactory()  # someone else's

    with django_assert_num_queries(1):
        rows = list(newest_memberships(5, customer=ann.pk))
        names = [(row.customer.user.first_name, row.plan.name) for row in rows]

    assert rows == [newer, older]
    assert [row.payment_count for row in rows] == [1, 0]
    assert names == [("Ann", newer.plan.name), ("Ann", older.plan.name)]
    assert rows[0].expires_at == newer.expires_at  # an aware datetime, converted as Django does


def test_it_is_compiled_once_and_runs_again_with_other_values(compiles):
    ann, bob = CustomerFactory(), CustomerFactory()
    anns, bobs = MembershipFactory(customer=ann), MembershipFactory(customer=bob)
    list(newest_memberships(5, customer=ann.pk))
    compiled = compiles[0]

    with CaptureQueriesContext(connection) as ran:
        assert list(newest_memberships(5, customer=bob.pk)) == [bobs]
        assert list(newest_memberships(5, customer=ann.pk)) == [anns]

    assert compiles[0] == compiled
    assert len(ran.captured_queries) == 2


def test_its_functions_arguments_make_a_statement_of_their_own():
    ann = CustomerFactory()
    newer = [MembershipFactory(customer=ann) for _ in range(3)][::-1]

    assert list(newest_memberships(1, customer=ann.pk)) == newer[:1]
    assert list(newest_memberships(2, customer=ann.pk)) == newer[:2]
    assert list(newest_memberships(1, customer=ann.pk)) == newer[:1]


def test_values_are_prepared_for_their_field_and_rows_converted():
    ann = CustomerFactory()
    PaymentFactory(customer=ann, lines=[Decimal("10.50")])
    PaymentFactory(customer=ann, lines=[Decimal("20.25")], currency="EUR")
    PaymentFactory(customer=ann, lines=[Decimal("1.00")])

    rows = list(paid_by_currency(customer=ann.pk, at_least=Decimal("5")))

    assert rows == [
        {"currency": "EUR", "paid": Decimal("20.25")},
        {"currency": "USD", "paid": Decimal("10.50")},
    ]


def test_rows_are_what_values_list_asked_for():
    ann = CustomerFactory()
    PaymentFactory(customer=ann, lines=[Decimal("10.50")])

    @prepared
    def paid():
        return Payment.objects.filter(customer=CUSTOMER).values_list("currency", "total")

    assert list(paid(customer=ann.pk)) == [("USD", Decimal("10.50"))]


def test_a_value_left_out_is_refused():
    with pytest.raises(TypeError, match="no value for Param 'at_least'"):
        list(paid_by_currency(customer=1))


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: rows.filter(currency="EUR"),
        lambda rows: rows.exclude(paid=0),
        lambda rows: rows.get(),
        lambda rows: rows.first(),
        lambda rows: rows.values_list("currency"),
        lambda rows: rows.count(),
        lambda rows: rows.exists(),
        lambda rows: Payment.objects.filter(currency__in=rows),
    ],
)
def test_a_prepared_queryset_cant_be_changed_counted_or_used_in_another(change):
    with pytest.raises(TypeError, match="compiled once"):
        change(paid_by_currency(customer=1, at_least=0))


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1])
def test_a_number_no_column_can_hold_matches_nothing(pk):
    assert list(newest_memberships(5, customer=pk)) == []


def test_one_or_404_reads_the_row_or_is_not_found():
    membership = MembershipFactory()

    @prepared
    def by_pk():
        return Membership.objects.filter(pk=PRIMARY_KEY)

    assert by_pk.one_or_404(pk=membership.pk) == membership
    with pytest.raises(Http404):
        by_pk.one_or_404(pk=membership.pk + 1)

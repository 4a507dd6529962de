import io
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import iptocc
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from customers.models import Customer, LoginRecord, User
from events.models import Event
from memberships.models import Membership, Product
from network_admin.management.commands import seed_demo
from network_admin.references import normalize_reference
from payments.models import InvoiceCounter, LineItem, Payment, Refund
from sites.models import Site

pytestmark = pytest.mark.django_db

INVOICED = [Payment.Status.COMPLETED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED]


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{"customers": 30, "seed": 1} | options)
    return out.getvalue()


def snapshot() -> dict:
    """What two runs with the same seed must agree on."""
    return {
        "users": list(User.objects.order_by("username").values_list("username", "email")),
        "customers": list(
            Customer.objects.order_by("reference").values_list(
                "reference", "vip", "company_name", "city", "country"
            )
        ),
        "memberships": list(
            Membership.objects.order_by("reference").values_list(
                "reference", "status", "plan__slug", "amount", "times_billed"
            )
        ),
        "payments": list(
            Payment.objects.order_by("reference").values_list(
                "reference", "status", "total", "invoice_number"
            )
        ),
        "refunds": sorted(Refund.objects.values_list("idempotency_key", "amount")),
        "sites": list(Site.objects.order_by("domain").values_list("domain", "type")),
        "events": Counter(Event.objects.values_list("action", flat=True)),
    }


def test_builds_the_requested_network():
    output = seed()

    assert Customer.objects.count() == 30
    assert User.objects.filter(is_staff=False).count() == 30
    assert Membership.objects.exists()
    assert Payment.objects.exists()
    assert LoginRecord.objects.exists()
    assert Event.objects.filter(action="customer.created").count() == 30
    assert "Created 30 users, 30 customers" in output
    assert "[########################################] 30/30 customers" in output


def test_memberships_are_consistent():
    seed()

    memberships = Membership.objects.all()
    assert len({membership.status for membership in memberships}) >= 3
    assert {m.status for m in memberships} <= set(Membership.Status.values)
    assert not memberships.exclude(plan__type=Product.Type.PLAN).exists()
    for membership in memberships.filter(status=Membership.Status.CANCELLED):
        assert membership.cancelled_at is not None
        assert membership.auto_renew is False
    assert memberships.filter(addon_lines__isnull=False).exists()
    for membership in memberships.annotate(
        completed=Count("payments", filter=~Q(payments__status=Payment.Status.FAILED))
    ):
        assert membership.times_billed <= membership.completed


def test_sites_belong_to_their_memberships_customer():
    seed()

    for site in Site.objects.exclude(membership=None).select_related("membership"):
        assert site.customer_id == site.membership.customer_id
    assert not Site.objects.filter(type=Site.Type.CUSTOMER_OWNED, customer=None).exists()
    unowned = Site.objects.exclude(type=Site.Type.CUSTOMER_OWNED)
    assert not unowned.filter(Q(customer__isnull=False) | Q(membership__isnull=False)).exists()
    assert Site.objects.filter(type=Site.Type.MAIN).count() == 1
    assert set(Site.objects.values_list("type", flat=True)) == set(Site.Type.values)


def test_payment_totals_come_from_their_line_items():
    seed()

    payments = Payment.objects.prefetch_related("line_items")
    for payment in payments:
        lines = list(payment.line_items.all())
        assert lines
        for line in lines:
            stored = (line.subtotal, line.tax_total, line.total)
            line.compute_totals()
            assert stored == (line.subtotal, line.tax_total, line.total)
        products = sum((line.subtotal for line in lines if not line.is_deduction), Decimal(0))
        deductions = sum((line.subtotal for line in lines if line.is_deduction), Decimal(0))
        taxes = sum((line.tax_total for line in lines), Decimal(0))
        assert (payment.subtotal, payment.discount_total, payment.tax_total) == (
            products,
            deductions,
            taxes,
        )
        assert payment.total == products - deductions + taxes > 0
    assert LineItem.objects.filter(type=LineItem.Type.FEE).exists()


def test_payments_keep_their_customers_billing_snapshot():
    seed()

    for payment in Payment.objects.select_related("customer__user"):
        snapshot = payment.customer.billing_snapshot()
        assert snapshot == {
            "billing_name": payment.billing_name,
            "billing_email": payment.billing_email,
            "billing_address": payment.billing_address,
            "billing_country": payment.billing_country.code or "",
        }


def test_refunds_never_exceed_the_payment_and_set_its_status():
    seed(customers=60)

    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).exists()
    for payment in Payment.objects.prefetch_related("refunds"):
        refunds = [r for r in payment.refunds.all() if r.status != Refund.Status.FAILED]
        refunded = sum((refund.amount for refund in refunds), Decimal(0))
        assert refunded <= payment.total
        assert all(refund.amount > 0 for refund in refunds)
        if not refunds:
            assert payment.status not in Payment.REFUND_STATUSES
        elif refunded == payment.total:
            assert payment.status == Payment.Status.REFUNDED
        else:
            assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    keys = list(Refund.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))


def test_invoice_numbers_are_sequential_and_match_the_counter():
    seed()

    numbers = sorted(Payment.objects.filter(status__in=INVOICED).values_list("invoice_number"))
    assert [number for (number,) in numbers] == list(range(1, len(numbers) + 1))
    assert not Payment.objects.exclude(status__in=INVOICED).exclude(invoice_number=None).exists()
    assert InvoiceCounter.objects.get().last_number == len(numbers)


def test_memberships_payments_and_sites_carry_their_owners_words():
    seed()
    for model in (Membership, Payment, Site):
        rows = model.objects.select_related("customer")
        assert rows.filter(customer__isnull=False).exists()
        for row in rows:
            owners_words = row.customer.search_text if row.customer else ""
            assert row.owner_search_text == owners_words, row


def test_customers_logins_and_presence_are_consistent():
    seed()

    now = timezone.now()
    for customer in Customer.objects.select_related("user").annotate(
        newest=Max("logins__created_at")
    ):
        assert customer.last_login == customer.newest == customer.user.last_login
        if customer.last_seen:
            assert customer.last_login <= customer.last_seen <= now
        assert customer.search_text == customer.compose_search_text()
        assert (customer.first_name, customer.last_name) == (
            customer.user.first_name,
            customer.user.last_name,
        )
        assert customer.user.has_usable_password() is False
    for login in LoginRecord.objects.all():
        assert (login.country.code or None) == iptocc.country_code(login.ip_address)
    assert Customer.objects.online().exists()
    assert Customer.objects.vip().exists()


def test_usernames_emails_and_references_are_unique():
    seed()

    emails = [email.lower() for email in User.objects.values_list("email", flat=True)]
    assert len(emails) == len(set(emails))
    for model in (Customer, Membership, Payment, Site):
        references = list(model.objects.values_list("reference", flat=True))
        assert len(references) == len(set(references))
        assert all(normalize_reference(reference) == reference for reference in references)


def test_events_tell_each_customers_history():
    seed()

    now = timezone.now()
    customers = set(Customer.objects.values_list("pk", flat=True))
    events = Event.objects.all()
    assert events.count() >= 8 * len(customers)
    assert set(events.exclude(customer=None).values_list("customer_id", flat=True)) == customers
    oldest = events.order_by("created_at").first().created_at
    assert now - timedelta(days=740) < oldest < now - timedelta(days=365)
    assert not events.filter(created_at__gt=now).exists()
    for event in events.filter(action__endswith=".updated"):
        assert event.payload["changes"]
    assert not events.filter(initiator=Event.Initiator.MANUAL, actor_repr="").exists()
    assert not events.filter(initiator=Event.Initiator.SYSTEM).exclude(actor=None).exists()
    for event in events.filter(object_type="payment", action="payment.created"):
        assert event.object_repr == Payment.objects.get(pk=event.object_id).reference
    actions = set(events.values_list("action", flat=True))
    assert {"customer.created", "customer.updated", "membership.created"} <= actions
    assert {"payment.created", "payment.refunded", "site.created"} <= actions


def test_same_seed_gives_the_same_network():
    with transaction.atomic():
        seed()
        first = snapshot()
        transaction.set_rollback(True)

    seed()

    assert snapshot() == first


def test_different_seeds_give_different_networks():
    seed(seed=1)
    usernames = set(User.objects.values_list("username", flat=True))

    seed(seed=2, force_more=True)

    assert len(set(User.objects.values_list("username", flat=True)) - usernames) == 30


def test_rerun_adds_nothing():
    seed()
    before = snapshot()

    output = seed()

    assert "already has 30 customers" in output
    assert snapshot() == before


def test_rerun_with_force_more_adds_next_to_the_existing_network():
    seed()

    seed(force_more=True)

    assert Customer.objects.count() == 60
    assert Site.objects.filter(type=Site.Type.MAIN).count() == 1
    assert Site.objects.filter(domain__startswith="help.").count() == 1
    numbers = list(Payment.objects.exclude(invoice_number=None).values_list("invoice_number"))
    assert InvoiceCounter.objects.get().last_number == len(numbers)
    assert Product.objects.count() == 12


def test_heavy_customers_get_exact_sizes():
    seed(customers=5, heavy=2, heavy_memberships=3, heavy_payments=20, heavy_events=150)

    heavy = Customer.objects.annotate(memberships_count=Count("memberships")).filter(
        memberships_count=3
    )
    assert len(heavy) == 2
    for customer in heavy:
        assert customer.payments.count() == 20
        assert Event.objects.for_customer(customer).count() == 150
        assert customer.vip


def test_quiet_under_verbosity_zero():
    assert seed(verbosity=0) == ""


@pytest.mark.parametrize(
    "options", [{"customers": -1}, {"batch_size": 0}, {"heavy": 1, "heavy_payments": 1}]
)
def test_refuses_bad_sizes(options):
    with pytest.raises(CommandError):
        seed(**options)


def schema_checks() -> set[tuple]:
    """Every index and foreign key, with its definition and whether it is valid."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), indisvalid
            FROM pg_index
            UNION ALL
            SELECT conname, pg_get_constraintdef(oid), convalidated
            FROM pg_constraint WHERE contype = 'f'
            """
        )
        return set(cursor.fetchall())


def analyze_counts() -> dict[str, int]:
    """How many times each demo table has been analyzed."""
    tables = [model._meta.db_table for model in seed_demo.MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        return dict(cursor.fetchall())


# Skipped by marker, not in the body: the serialized rollback's setup must not run elsewhere.
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: elsewhere batches are written in the calling thread.",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_big_first_load_on_postgresql_writes_in_a_thread_and_restores_checks(monkeypatch):
    monkeypatch.setattr(seed_demo, "SUSPEND_CHECKS_FROM", 10)
    checks, analyzed = schema_checks(), analyze_counts()

    output = seed(customers=40, batch_size=15)

    assert "Indexing and checking foreign keys" in output
    assert schema_checks() == checks
    assert Customer.objects.count() == 40
    # Every table analyzed, so the planner plans the first page views for the new sizes.
    now_analyzed = analyze_counts()
    assert [table for table in analyzed if now_analyzed[table] <= analyzed[table]] == []
    numbers = Payment.objects.filter(status__in=INVOICED).values_list("invoice_number", flat=True)
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert InvoiceCounter.objects.get().last_number == len(numbers)
    for site in Site.objects.exclude(membership=None).select_related("membership"):
        assert site.customer_id == site.membership.customer_id


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: elsewhere rows are bulk_created."
)
def test_copy_writes_payloads_and_ip_addresses_as_generated():
    """The COPY writer's own dumpers (orjson, addresses from text) store what json.dumps and
    ipaddress would have: nested and non-ASCII payloads, IPv4 and IPv6, and no address."""
    payloads = [{"changes": {"city": {"old": "Zürich", "new": "Genève"}}}, {}, {"count": 2}]
    addresses = ["203.0.113.7", "2001:db8::1", None]
    now = timezone.now()
    rows = [
        dict.fromkeys(seed_demo.COLUMNS[Event], "")
        | {
            "created_at": now,
            "action": "customer.updated",
            "severity": "info",
            "initiator": "system",
            "actor_id": None,
            "object_id": None,
            "customer_id": None,
            "ip_address": address,
            "payload": payload,
        }
        for payload, address in zip(payloads, addresses, strict=True)
    ]

    seed_demo.Writer().write(Event, [list(row.values()) for row in rows])

    stored = Event.objects.order_by("pk").values_list("payload", "ip_address")
    assert list(stored) == list(zip(payloads, addresses, strict=True))

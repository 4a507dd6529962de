"""The membership page: what it shows, and saving status, billing, gateway and dates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from memberships.models import Membership
from payments.models import Payment
from tests.factories import (
    EventFactory,
    MembershipAddonFactory,
    PaymentFactory,
    RefundFactory,
    SiteFactory,
)
from tests.test_pages import _assert_csp_safe

pytestmark = pytest.mark.django_db


def url(membership):
    return reverse("memberships:detail", args=[membership.pk])


def save_data(membership, **overrides):
    """The Save Membership form as the page renders it, with `overrides` typed in."""
    data = {
        "status": membership.status,
        "cancellation_reason": membership.cancellation_reason,
        "initial_amount": str(membership.initial_amount),
        "amount": str(membership.amount),
        "recurring": "on" if membership.recurring else "",
        "duration": str(membership.duration),
        "duration_unit": membership.duration_unit,
        "billing_cycles": str(membership.billing_cycles),
        "auto_renew": "on" if membership.auto_renew else "",
        "gateway": membership.gateway,
        "gateway_customer_id": membership.gateway_customer_id,
        "gateway_subscription_id": membership.gateway_subscription_id,
    }
    for name in ("expires_at", "renewed_at", "trial_ends_at", "cancelled_at"):
        value = getattr(membership, name)
        data[name] = value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""
    data = {key: value for key, value in data.items() if value != ""}
    return data | overrides


def test_the_page_shows_glance_products_customer_and_blocks(admin_client, gold_membership):
    membership = gold_membership
    MembershipAddonFactory(membership=membership, product__name="Daily backups", quantity=3)
    payment = PaymentFactory(
        customer=membership.customer, membership=membership, lines=[Decimal("100.00")]
    )
    RefundFactory(payment=payment, amount=Decimal("25.00"))
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PARTIALLY_REFUNDED)
    site = SiteFactory(customer=membership.customer, membership=membership, title="Engine Works")
    EventFactory(
        action="membership.updated",
        object_type="membership",
        object_id=membership.pk,
        object_repr=membership.reference,
        actor_repr="Jane Admin",
        payload={"changes": {"amount": {"old": "19.00", "new": "29.00"}}},
    )

    page = admin_client.get(url(membership)).content.decode()

    for text in [
        "Edit Membership",
        "At a Glance",
        membership.reference,
        # Total paid: 100.00 minus the 25.00 refunded.
        '75.00 <span class="currency">USD</span>',
        "Gold",
        "Daily backups",
        'value="3"',
        "Ada Lovelace",
        payment.reference,
        reverse("payments:detail", args=[payment.pk]),
        site.reference,
        reverse("sites:detail", args=[site.pk]),
        "Engine Works",
        f"Jane Admin updated membership {membership.reference} (billing amount)",
        "Save Membership",
        "Make lifetime",
        "Timestamps",
        "Be careful. This action is irreversible.",
    ]:
        assert text in page, text


def test_an_unknown_membership_is_not_found(admin_client):
    assert admin_client.get(reverse("memberships:detail", args=[999999])).status_code == 404


def test_totals_count_every_payment_per_currency_though_the_block_shows_the_newest(
    admin_client, gold_membership
):
    membership = gold_membership
    created = timezone.now() - timedelta(days=30)

    def payment(currency, amount, **fields):
        nonlocal created
        created += timedelta(hours=1)
        return PaymentFactory(
            customer=membership.customer,
            membership=membership,
            currency=currency,
            created_at=created,
            lines=[Decimal(amount)],
            **fields,
        )

    # Older than the ten newest payments: their totals count all the same.
    payment("EUR", "10.10")
    refunded = payment("EUR", "20.00")
    RefundFactory(payment=refunded, amount=Decimal("5.00"))
    Payment.objects.filter(pk=refunded.pk).update(status=Payment.Status.PARTIALLY_REFUNDED)
    # A payment that took no money adds no currency.
    payment("GBP", "99.00", status=Payment.Status.PENDING)
    newest = [payment("USD", "5.05") for _ in range(12)][::-1]

    response = admin_client.get(url(membership))
    page = response.content.decode()

    assert response.context["total_paid"] == {"EUR": Decimal("25.10"), "USD": Decimal("60.60")}
    assert '25.10 <span class="currency">EUR</span>' in page
    assert '60.60 <span class="currency">USD</span>' in page
    # No GBP amount anywhere (not the bare letters: a random payment reference can hold them).
    assert '<span class="currency">GBP</span>' not in page
    assert list(response.context["payments"]) == newest[:10]
    assert "Newest 10 of 15" in page


def test_the_payments_block_shows_the_newest_of_all_currencies_together(
    admin_client, gold_membership
):
    membership = gold_membership
    started = timezone.now() - timedelta(days=30)
    # 12 in each of two currencies, taking turns: the newest ten are five of each.
    payments = [
        PaymentFactory(
            customer=membership.customer,
            membership=membership,
            currency=currency,
            created_at=started + timedelta(hours=number),
            lines=[Decimal("1.00")],
        )
        for number, currency in enumerate(["USD", "EUR"] * 12)
    ]

    response = admin_client.get(url(membership))

    assert list(response.context["payments"]) == payments[::-1][:10]
    assert response.context["total_paid"] == {"EUR": Decimal("12.00"), "USD": Decimal("12.00")}
    assert "Newest 10 of 24" in response.content.decode()


def test_the_sites_block_shows_the_newest_sites_and_how_many_there_are(
    admin_client, gold_membership
):
    membership = gold_membership
    started = timezone.now() - timedelta(days=30)
    sites = [
        SiteFactory(
            customer=membership.customer,
            membership=membership,
            created_at=started + timedelta(hours=number),
        )
        for number in range(12)
    ]

    response = admin_client.get(url(membership))

    assert list(response.context["sites"]) == sites[::-1][:10]
    assert "Newest 10 of 12" in response.content.decode()


def test_a_membership_without_payments_shows_nothing_paid_in_its_currency(
    admin_client, gold_membership
):
    response = admin_client.get(url(gold_membership))
    assert response.context["total_paid"] == {}
    assert '0.00 <span class="currency">USD</span>' in response.content.decode()


def test_the_page_uses_as_many_queries_for_few_related_rows_as_for_many(
    admin_client, gold_membership
):
    membership = gold_membership

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url(membership)).status_code == 200
        return [query["sql"] for query in captured]

    def add_related_rows(currency="USD"):
        MembershipAddonFactory(membership=membership)
        PaymentFactory(customer=membership.customer, membership=membership, currency=currency)
        SiteFactory(customer=membership.customer, membership=membership)
        EventFactory(object_type="membership", object_id=membership.pk)

    add_related_rows()
    few = queries()
    # 30 of each, in three currencies, with as many add-on products in the catalogue.
    for number in range(29):
        add_related_rows(currency=["USD", "EUR", "GBP"][number % 3])
    many = queries()
    # Session, user with their permissions, membership, products with the add-on lines, payments
    # with their count and totals, sites with their count, events.
    assert len(few) <= 7, "\n".join(few)
    assert len(many) == len(few), "\n".join(many)


def test_saving_records_one_event_with_each_changed_field(admin_client, gold_membership):
    membership = gold_membership
    response = admin_client.post(
        url(membership),
        save_data(
            membership,
            amount="12.50",
            duration="3",
            billing_cycles="12",
            gateway="stripe",
            gateway_customer_id="cus_123",
            gateway_subscription_id="sub_456",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url(membership)
    membership.refresh_from_db()
    assert (membership.amount, membership.duration, membership.gateway_customer_id) == (
        Decimal("12.50"),
        3,
        "cus_123",
    )
    event = Event.objects.get()
    assert event.action == "membership.updated"
    assert event.payload["changes"] == {
        "amount": {"old": "29.00", "new": "12.50"},
        "duration": {"old": 1, "new": 3},
        "billing_cycles": {"old": 0, "new": 12},
        "gateway": {"old": "manual", "new": "stripe"},
        "gateway_customer_id": {"old": "", "new": "cus_123"},
        "gateway_subscription_id": {"old": "", "new": "sub_456"},
    }
    assert "Membership saved." in admin_client.get(url(membership)).content.decode()


def test_saving_untouched_dates_changes_nothing(admin_client, gold_membership):
    # Stored times have seconds and microseconds that the form's inputs don't show.
    Membership.objects.filter(pk=gold_membership.pk).update(
        renewed_at=timezone.now() - timedelta(days=3, microseconds=123_457)
    )
    gold_membership.refresh_from_db()
    response = admin_client.post(url(gold_membership), save_data(gold_membership), follow=True)
    assert "Nothing to save" in response.content.decode()
    assert not Event.objects.exists()


def test_changing_a_date_records_it(admin_client, gold_membership):
    admin_client.post(
        url(gold_membership), save_data(gold_membership, trial_ends_at="2030-01-02T03:04:05")
    )
    gold_membership.refresh_from_db()
    assert gold_membership.trial_ends_at.isoformat() == "2030-01-02T03:04:05+00:00"
    change = Event.objects.get().payload["changes"]["trial_ends_at"]
    assert change == {"old": None, "new": "2030-01-02T03:04:05+00:00"}


def test_cancelling_needs_a_reason(admin_client, gold_membership):
    response = admin_client.post(
        url(gold_membership), save_data(gold_membership, status="cancelled")
    )
    assert response.status_code == 200
    assert "Say why the membership is cancelled." in response.content.decode()
    gold_membership.refresh_from_db()
    assert gold_membership.status == Membership.Status.ACTIVE
    assert not Event.objects.exists()


def test_cancelling_sets_the_time_turns_auto_renew_off_and_records_it(
    admin_client, gold_membership
):
    before = timezone.now()
    response = admin_client.post(
        url(gold_membership),
        save_data(gold_membership, status="cancelled", cancellation_reason="Too expensive"),
        follow=True,
    )
    assert "Membership cancelled." in response.content.decode()
    gold_membership.refresh_from_db()
    assert gold_membership.status == Membership.Status.CANCELLED
    assert gold_membership.cancelled_at >= before
    assert gold_membership.auto_renew is False
    assert gold_membership.cancellation_reason == "Too expensive"
    event = Event.objects.get()
    assert event.action == "membership.cancelled"
    assert set(event.payload["changes"]) == {
        "status",
        "cancellation_reason",
        "cancelled_at",
        "auto_renew",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-1", "Ensure this value is greater than or equal to 0."),
        ("initial_amount", "-0.01", "Ensure this value is greater than or equal to 0."),
        ("duration", "0", "Ensure this value is greater than or equal to 1."),
        ("billing_cycles", "-3", "Ensure this value is greater than or equal to 0."),
        ("amount", "lots", "Enter a number."),
        ("status", "paused", "Select a valid choice."),
        ("expires_at", "next tuesday", "Enter a valid date/time."),
    ],
)
def test_bad_input_is_shown_by_its_field_and_changes_nothing(
    admin_client, gold_membership, field, value, message
):
    response = admin_client.post(url(gold_membership), save_data(gold_membership, **{field: value}))
    assert response.status_code == 200
    assert "Nothing was saved." in response.content.decode()
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    stored = Membership.objects.get(pk=gold_membership.pk)
    assert (stored.amount, stored.duration, stored.status) == (Decimal("29.00"), 1, "active")
    assert not Event.objects.exists()


def test_a_rule_across_fields_is_explained_and_nothing_changes(admin_client, customer, catalog):
    membership = Membership.objects.create(
        customer=customer,
        plan=catalog.gold,
        status=Membership.Status.CANCELLED,
        cancelled_at=timezone.now(),
        auto_renew=False,
    )
    response = admin_client.post(url(membership), save_data(membership, auto_renew="on"))
    assert "needs a cancellation time and no auto-renew" in response.content.decode()
    membership.refresh_from_db()
    assert membership.auto_renew is False
    assert not Event.objects.exists()


def test_make_lifetime_removes_the_expiry_and_records_it(admin_client, gold_membership):
    expires_at = gold_membership.expires_at
    response = admin_client.post(reverse("memberships:make_lifetime", args=[gold_membership.pk]))
    assert response["Location"] == url(gold_membership)
    gold_membership.refresh_from_db()
    assert gold_membership.expires_at is None
    change = Event.objects.get().payload["changes"]["expires_at"]
    assert change == {"old": expires_at.isoformat(), "new": None}
    page = admin_client.get(url(gold_membership)).content.decode()
    assert "The membership is now lifetime." in page
    assert "Make lifetime" not in page


def test_make_lifetime_needs_a_post(admin_client, gold_membership):
    response = admin_client.get(reverse("memberships:make_lifetime", args=[gold_membership.pk]))
    assert response.status_code == 405


def test_support_agents_see_the_page_read_only(agent_client, gold_membership):
    response = agent_client.get(url(gold_membership))
    page = response.content.decode()
    assert response.status_code == 200
    assert all(field.disabled for field in response.context["form"].fields.values())
    for action in ["Save Membership", "Make lifetime", "Change plan", "Transfer", "Delete"]:
        assert action not in page, action


@pytest.mark.parametrize(
    "name", ["detail", "make_lifetime", "change_plan", "addon_set", "addon_remove", "delete"]
)
def test_support_agents_cannot_change_a_membership(agent_client, gold_membership, name):
    data = save_data(gold_membership, amount="1.00") if name == "detail" else {}
    response = agent_client.post(reverse(f"memberships:{name}", args=[gold_membership.pk]), data)
    assert response.status_code == 403
    gold_membership.refresh_from_db()
    assert gold_membership.amount == Decimal("29.00")
    assert not Event.objects.exclude(action="auth.permission_denied").exists()


@pytest.mark.parametrize(
    "name",
    ["memberships:detail", "memberships:delete", "memberships:transfer", "memberships:add"],
)
def test_membership_pages_are_csp_safe(admin_client, gold_membership, name):
    args = [] if name == "memberships:add" else [gold_membership.pk]
    MembershipAddonFactory(membership=gold_membership)
    SiteFactory(customer=gold_membership.customer, membership=gold_membership)
    response = admin_client.get(reverse(name, args=args), {"to": "nobody"})
    assert response.status_code == 200
    _assert_csp_safe(response.content.decode())

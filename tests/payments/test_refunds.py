"""The refund service: rules, idempotency, gateways and concurrency."""

import time
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from events.models import Event
from memberships.models import Membership
from payments import gateways
from payments.models import Payment, Refund
from payments.services import PaymentError, RefundFailed, refund_create
from tests.factories import PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db


def refund(actor, payment, amount, **kwargs):
    kwargs.setdefault("reason", "Customer asked")
    kwargs.setdefault("idempotency_key", uuid.uuid4())
    return refund_create(actor=actor, payment=payment, amount=Decimal(amount), **kwargs)


def assert_nothing_changed(payment, status=Payment.Status.COMPLETED, refunds=0):
    assert Payment.objects.get(pk=payment.pk).status == status
    assert Refund.objects.count() == refunds
    assert not Event.objects.exists()


class FakeStripe:
    def __init__(self, answer=None, *, delay=0.0):
        self.answer, self.delay, self.calls = answer, delay, []

    def refund(self, payment, amount, idempotency_key):
        self.calls.append((payment.pk, amount, idempotency_key))
        time.sleep(self.delay)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def stripe(monkeypatch, paid):
    """The paid payment, made through Stripe, with a fake Stripe adapter to script."""
    adapter = FakeStripe("re_123")
    monkeypatch.setitem(gateways.ADAPTERS, Membership.Gateway.STRIPE, adapter)
    Payment.objects.filter(pk=paid.pk).update(gateway=Membership.Gateway.STRIPE)
    paid.refresh_from_db()
    return adapter


# Refunds that go through


def test_a_manual_refund_succeeds_at_once_and_records_who_refunded_how_much(
    actor, paid, network_admin
):
    made = refund(actor, paid, "20.00")
    made.refresh_from_db()
    assert (made.status, made.amount, made.reason) == (
        "succeeded",
        Decimal("20.00"),
        "Customer asked",
    )
    assert (made.created_by, made.created_by_repr) == (network_admin, "Jane Admin")
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.PARTIALLY_REFUNDED
    event = Event.objects.get()
    assert (event.action, event.severity, event.actor_repr) == (
        "payment.refunded",
        "success",
        "Jane Admin",
    )
    assert (event.object_repr, event.customer_id) == (paid.reference, paid.customer_id)
    assert event.payload == {
        "amount": "20.00",
        "currency": "USD",
        "refund": made.pk,
        "reason": "Customer asked",
    }


def test_refunding_what_is_left_makes_the_payment_refunded(actor, paid):
    refund(actor, paid, "20")
    refund(actor, paid, "30.00")
    paid.refresh_from_db()
    assert paid.status == Payment.Status.REFUNDED
    assert paid.refundable() == Decimal("0")
    assert Event.objects.filter(action="payment.refunded").count() == 2


def test_a_gateway_refund_keeps_the_gateways_refund_id_and_passes_the_key(actor, paid, stripe):
    key = uuid.uuid4()
    made = refund(actor, paid, "50.00", idempotency_key=key)
    assert Refund.objects.get(pk=made.pk).gateway_refund_id == "re_123"
    assert stripe.calls == [(paid.pk, Decimal("50.00"), key)]
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.REFUNDED


def test_cancelling_the_membership_goes_with_the_refund(actor, paid):
    refund(actor, paid, "50.00", cancel_membership=True, reason="Moved away")
    membership = Membership.objects.get(pk=paid.membership_id)
    assert membership.status == Membership.Status.CANCELLED
    assert membership.cancelled_at is not None
    assert not membership.auto_renew
    assert membership.cancellation_reason == "Moved away"
    assert list(Event.objects.order_by("id").values_list("action", flat=True)) == [
        "payment.refunded",
        "membership.cancelled",
    ]


def test_the_membership_stays_unless_asked(actor, paid):
    refund(actor, paid, "50.00")
    assert Membership.objects.get(pk=paid.membership_id).status == Membership.Status.ACTIVE


def test_cancelling_needs_a_membership(actor, paid):
    Payment.objects.filter(pk=paid.pk).update(membership=None)
    paid.refresh_from_db()
    with pytest.raises(ValidationError, match="no membership to cancel"):
        refund(actor, paid, "10.00", cancel_membership=True)
    assert_nothing_changed(paid)


# The same form twice


def test_the_same_key_twice_refunds_once_and_returns_the_first_refund(actor, paid):
    key = uuid.uuid4()
    first = refund(actor, paid, "20.00", idempotency_key=key)
    again = refund(actor, paid, "20.00", idempotency_key=key)
    assert again == first
    assert Refund.objects.count() == 1
    assert Event.objects.count() == 1
    assert paid.refundable() == Decimal("30.00")


def test_a_key_replayed_after_a_full_refund_still_returns_its_refund(actor, paid):
    key = uuid.uuid4()
    first = refund(actor, paid, "50.00", idempotency_key=key)
    assert refund(actor, paid, "50.00", idempotency_key=key) == first
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("other", ["amount", "payment"])
def test_a_key_reused_for_a_different_refund_is_refused(actor, paid, customer, other):
    key = uuid.uuid4()
    refund(actor, paid, "20.00", idempotency_key=key)
    target = PaymentFactory(customer=customer) if other == "payment" else paid
    amount = "20.00" if other == "payment" else "25.00"
    with pytest.raises(PaymentError, match="already used for another refund"):
        refund(actor, target, amount, idempotency_key=key)
    assert Refund.objects.count() == 1
    assert Event.objects.count() == 1


# Refusals


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Payment.Status.PENDING, "is pending: only completed or partially refunded"),
        (Payment.Status.FAILED, "is failed: only completed or partially refunded"),
        (Payment.Status.DRAFT, "is draft: only completed"),
        (Payment.Status.CANCELLED, "is cancelled: only completed"),
        (Payment.Status.PARTIALLY_PAID, "is partially paid: only completed"),
        (Payment.Status.REFUNDED, "already fully refunded"),
    ],
)
def test_only_completed_or_partially_refunded_payments_can_be_refunded(
    actor, customer, status, message
):
    payment = PaymentFactory(customer=customer, status=status)
    with pytest.raises(PaymentError, match=message):
        refund(actor, payment, "10.00")
    assert_nothing_changed(payment, status=status)


def test_a_partially_refunded_payment_can_be_refunded_again(actor, paid):
    refund(actor, paid, "10.00")
    refund(actor, paid, "10.00")
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.PARTIALLY_REFUNDED
    assert paid.refundable() == Decimal("30.00")


def test_a_cent_after_a_full_refund_is_refused(actor, paid):
    refund(actor, paid, "50.00")
    with pytest.raises(PaymentError, match="already fully refunded"):
        refund(actor, paid, "0.01")
    assert Refund.objects.count() == 1
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "must be more than zero"),
        ("0.00", "must be more than zero"),
        ("-1", "must be more than zero"),
        ("0.001", "USD amounts have at most 2 decimal places"),
        ("20.0000000000000000000000000001", "at most 2 decimal places"),
        ("50.01", "at most 50.00 USD"),
        ("1E+309", "at most 50.00 USD"),
        ("NaN", "plain number"),
        ("Infinity", "plain number"),
        ("-Infinity", "plain number"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(actor, paid, amount, message):
    with pytest.raises(ValidationError, match=message) as refused:
        refund(actor, paid, amount)
    assert set(refused.value.message_dict) == {"amount"}
    assert_nothing_changed(paid)


def test_an_amount_with_trailing_zeros_is_fine(actor, paid):
    assert refund(actor, paid, "20.000").amount == Decimal("20.00")


def test_a_float_is_never_taken_for_money(actor, paid):
    with pytest.raises(TypeError, match="never floats"):
        refund_create(
            actor=actor,
            payment=paid,
            amount=20.0,
            reason="",
            idempotency_key=uuid.uuid4(),
        )
    assert_nothing_changed(paid)


def test_zero_decimal_currencies_refuse_fractions(actor, customer):
    payment = PaymentFactory(customer=customer, currency="JPY", lines=[Decimal("5000")])
    with pytest.raises(ValidationError, match="JPY amounts have no decimal places"):
        refund(actor, payment, "100.50")
    assert refund(actor, payment, "100").amount == Decimal("100")


def test_pending_refunds_count_against_what_is_left(actor, paid):
    RefundFactory(payment=paid, amount=Decimal("40.00"), status=Refund.Status.PENDING)
    with pytest.raises(ValidationError, match="at most 10.00 USD"):
        refund(actor, paid, "20.00")
    assert refund(actor, paid, "10.00").status == Refund.Status.SUCCEEDED


def test_failed_refunds_do_not_count_against_what_is_left(actor, paid):
    RefundFactory(payment=paid, amount=Decimal("40.00"), status=Refund.Status.FAILED)
    refund(actor, paid, "50.00")
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.REFUNDED


# Gateway failures


def assert_failed_and_nothing_else_changed(paid, error_text):
    failed = Refund.objects.get()
    assert failed.status == Refund.Status.FAILED
    stored = Payment.objects.get(pk=paid.pk)
    assert (stored.status, stored.updated_at) == (Payment.Status.COMPLETED, paid.updated_at)
    assert Membership.objects.get(pk=paid.membership_id).status == Membership.Status.ACTIVE
    event = Event.objects.get()
    assert (event.action, event.severity) == ("payment.refund_failed", "error")
    assert event.payload == {
        "amount": "20.00",
        "currency": "USD",
        "refund": failed.pk,
        "reason": "Customer asked",
        "error": event.payload["error"],
    }
    assert error_text in event.payload["error"]
    assert paid.refundable() == Decimal("50.00")


@pytest.mark.parametrize("gateway", [Membership.Gateway.PAYPAL, Membership.Gateway.NONE])
def test_a_gateway_without_an_adapter_leaves_a_failed_refund_and_nothing_else(actor, paid, gateway):
    Payment.objects.filter(pk=paid.pk).update(gateway=gateway)
    paid.refresh_from_db()
    with pytest.raises(RefundFailed, match="The refund of 20.00 USD failed") as failed:
        refund(actor, paid, "20.00", cancel_membership=True)
    assert "aren't connected yet, so nothing was refunded" in str(failed.value)
    assert failed.value.refund.status == Refund.Status.FAILED
    assert_failed_and_nothing_else_changed(paid, "aren't connected yet")


def test_a_gateway_refusal_is_shown_as_the_gateway_said(actor, paid, stripe):
    stripe.answer = gateways.GatewayError("Stripe: the charge was disputed.")
    with pytest.raises(RefundFailed, match="the charge was disputed"):
        refund(actor, paid, "20.00", cancel_membership=True)
    assert_failed_and_nothing_else_changed(paid, "Stripe: the charge was disputed.")


def test_an_adapter_that_crashes_leaves_a_failed_refund_without_leaking_details(
    actor, paid, stripe, caplog
):
    stripe.answer = ConnectionError("https://api.example/v1?key=sk_live_secret")
    with pytest.raises(RefundFailed, match="failed unexpectedly \\(ConnectionError\\)") as failed:
        refund(actor, paid, "20.00", cancel_membership=True)
    assert "sk_live_secret" not in str(failed.value)
    assert_failed_and_nothing_else_changed(paid, "ConnectionError")
    assert "sk_live_secret" not in str(Event.objects.get().payload)


def test_an_adapter_that_times_out_leaves_a_failed_refund(actor, paid, stripe, monkeypatch):
    monkeypatch.setattr(gateways, "TIMEOUT_SECONDS", 0.05)
    stripe.delay = 0.5
    with pytest.raises(RefundFailed, match="did not answer within"):
        refund(actor, paid, "20.00", cancel_membership=True)
    assert_failed_and_nothing_else_changed(paid, "did not answer")


def test_a_failed_refunds_key_replays_the_failure_without_calling_the_gateway_again(
    actor, paid, stripe
):
    stripe.answer = gateways.GatewayError("Declined.")
    key = uuid.uuid4()
    with pytest.raises(RefundFailed):
        refund(actor, paid, "20.00", idempotency_key=key)
    assert refund(actor, paid, "20.00", idempotency_key=key).status == Refund.Status.FAILED
    assert len(stripe.calls) == 1
    assert Event.objects.count() == 1

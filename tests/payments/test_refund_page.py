"""The refund page: the form, what it refuses, double submits and who may use it."""

import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from events.models import Event
from memberships.models import Membership
from payments.models import Payment, Refund
from tests.factories import PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db


def url(payment, name="refund"):
    return reverse(f"payments:{name}", args=[payment.pk])


def form_data(**values):
    return {"amount": "20.00", "reason": "Asked nicely", "idempotency_key": uuid.uuid4()} | values


def key_on(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]


def assert_nothing_changed(payment, status=Payment.Status.COMPLETED):
    assert Payment.objects.get(pk=payment.pk).status == status
    assert not Refund.objects.exists()
    assert not Event.objects.exclude(action="auth.permission_denied").exists()


def test_the_form_offers_the_refundable_amount_and_a_one_time_key(admin_client, paid):
    RefundFactory(payment=paid, amount=Decimal("12.50"))
    first = admin_client.get(url(paid)).content.decode()
    second = admin_client.get(url(paid)).content.decode()
    assert 'name="amount" value="37.50"' in first
    assert "Amount (USD)" in first
    assert f"Also cancel membership {paid.membership.reference}" in first
    assert uuid.UUID(key_on(first)) != uuid.UUID(key_on(second))
    # Looking at the form changes nothing.
    assert Refund.objects.count() == 1
    assert not Event.objects.exists()


def test_a_payment_without_membership_offers_no_cancelling(admin_client, customer):
    payment = PaymentFactory(customer=customer)
    page = admin_client.get(url(payment)).content.decode()
    assert "cancel_membership" not in page


def test_refunding_records_it_and_returns_to_the_payment(admin_client, paid):
    response = admin_client.post(url(paid), form_data(cancel_membership="on"))
    made = Refund.objects.get()
    assert response["Location"] == f"{url(paid, 'detail')}#refund-{made.pk}"
    page = admin_client.get(response["Location"]).content.decode()
    assert f"Refunded 20.00 USD of payment {paid.reference}." in page
    assert f"Membership {paid.membership.reference} is cancelled." in page
    assert f'id="refund-{made.pk}"' in page and "Asked nicely" in page
    assert (made.amount, made.created_by_repr) == (Decimal("20.00"), "Jane Admin")
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.PARTIALLY_REFUNDED
    assert Membership.objects.get(pk=paid.membership_id).status == Membership.Status.CANCELLED
    assert Event.objects.get(action="payment.refunded").ip_address == "127.0.0.1"


def test_submitting_the_same_form_twice_refunds_once_and_shows_that_refund(admin_client, paid):
    data = form_data()
    first = admin_client.post(url(paid), data)
    second = admin_client.post(url(paid), data, follow=True)
    made = Refund.objects.get()
    assert first["Location"] == second.redirect_chain[-1][0]
    page = second.content.decode()
    assert f"Refunded 20.00 USD of payment {paid.reference}." in page
    assert page.count(f'id="refund-{made.pk}"') == 1
    assert Event.objects.filter(action="payment.refunded").count() == 1
    assert Payment.objects.get(pk=paid.pk).refundable() == Decimal("30.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "A refund must be more than zero."),
        ("-1", "A refund must be more than zero."),
        ("0.001", "USD amounts have at most 2 decimal places."),
        ("1e309", "Enter the amount as a plain number, like 20.00."),
        ("NaN", "Enter the amount as a plain number, like 20.00."),
        ("Infinity", "Enter the amount as a plain number, like 20.00."),
        ("", "Enter the amount to refund."),
        ("   ", "Enter the amount to refund."),
        ("1,000.00", "Leave out the thousands separators: type 1000.00, not 1,000.00."),
        ("1" * 25, "That amount is too large."),
        ("0." + "0" * 40 + "1", "That amount has more decimal places than any currency."),
        ("0.0000000000000000001", "USD amounts have at most 2 decimal places."),
        ("--5", "Enter the amount as a plain number, like 20.00."),
        ("50.01", "You can refund at most 50.00 USD of this payment"),
        ("20,50", "Enter the amount as a plain number, like 20.00."),
        ("$20", "Enter the amount as a plain number, like 20.00."),
        ("２０", "Enter the amount as a plain number, like 20.00."),
    ],
)
def test_bad_amounts_are_explained_next_to_the_field_and_change_nothing(
    admin_client, paid, amount, message
):
    response = admin_client.post(url(paid), form_data(amount=amount))
    assert response.status_code == 200
    field = response.context["form"]["amount"]
    assert field.errors == [message] or field.errors[0].startswith(message)
    assert 'aria-invalid="true"' in response.content.decode()
    assert_nothing_changed(paid)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Payment.Status.PENDING, "is pending: only completed or partially refunded"),
        (Payment.Status.FAILED, "is failed: only completed or partially refunded"),
        (Payment.Status.REFUNDED, "is already fully refunded"),
    ],
)
def test_payments_that_cannot_be_refunded_say_why(admin_client, customer, status, message):
    payment = PaymentFactory(customer=customer, status=status)
    page = admin_client.get(url(payment)).content.decode()
    assert message in page
    assert 'name="amount"' not in page

    response = admin_client.post(url(payment), form_data(), follow=True)
    assert message in response.content.decode()
    assert_nothing_changed(payment, status=status)


def test_a_cent_after_a_full_refund_is_refused(admin_client, paid):
    admin_client.post(url(paid), form_data(amount="50.00"))
    response = admin_client.post(url(paid), form_data(amount="0.01"), follow=True)
    assert "already fully refunded: nothing is left to refund" in response.content.decode()
    assert Refund.objects.count() == 1
    assert Event.objects.count() == 1


def test_refunds_in_progress_leave_nothing_to_offer(admin_client, paid):
    RefundFactory(payment=paid, amount=Decimal("50.00"), status=Refund.Status.PENDING)
    page = admin_client.get(url(paid)).content.decode()
    assert "Nothing is left to refund" in page
    assert 'name="amount"' not in page


@pytest.mark.parametrize("key", ["", "not-a-uuid"])
def test_a_form_without_its_key_is_refused(admin_client, paid, key):
    response = admin_client.post(url(paid), form_data(idempotency_key=key))
    assert "This form has expired. Open the refund form again." in response.content.decode()
    assert_nothing_changed(paid)


def test_a_gateway_failure_says_so_and_shows_the_failed_refund(admin_client, paid):
    Payment.objects.filter(pk=paid.pk).update(gateway=Membership.Gateway.PAYPAL)
    response = admin_client.post(url(paid), form_data(cancel_membership="on"), follow=True)
    page = response.content.decode()
    assert "The refund of 20.00 USD failed and nothing else changed." in page
    assert "Refunds through PayPal aren&#x27;t connected yet" in page
    assert 'class="badge badge-failed">Failed</span>' in page
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.COMPLETED
    assert Membership.objects.get(pk=paid.membership_id).status == Membership.Status.ACTIVE
    assert Event.objects.get().action == "payment.refund_failed"


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_payments_are_404(admin_client, method):
    for pk in (999, 2**63 - 1):
        response = getattr(admin_client, method)(f"/payments/{pk}/refund/", form_data())
        assert response.status_code == 404
    assert not Refund.objects.exists()


def test_support_agents_cannot_refund_nor_see_the_button(agent_client, paid):
    assert agent_client.get(url(paid)).status_code == 403
    assert agent_client.post(url(paid), form_data()).status_code == 403
    page = agent_client.get(url(paid, "detail")).content.decode()
    assert url(paid) not in page
    assert_nothing_changed(paid)


def test_network_admins_see_the_refund_button(admin_client, paid):
    assert url(paid) in admin_client.get(url(paid, "detail")).content.decode()

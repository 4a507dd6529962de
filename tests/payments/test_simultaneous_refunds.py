"""Refunds at the same moment on PostgreSQL: never more than was paid, one refund per form.

Each thread has its own connection, so these tests commit for real; the flush after them empties
every table, the roles the migrations made included. So the acting admin here needs no role: the
services take an actor, and permissions are the views' business.
"""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from events.models import Event
from events.services import Actor
from memberships.models import Membership
from payments import gateways
from payments.models import Payment, Refund
from payments.services import PaymentError, refund_create
from tests.factories import MembershipFactory, PaymentFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs row locks between real connections"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def actor():
    return Actor(user=UserFactory(is_staff=True, first_name="Jane", last_name="Admin"))


def refund(actor, payment, amount, **kwargs):
    return refund_create(
        actor=actor,
        payment=payment,
        amount=Decimal(amount),
        reason="",
        idempotency_key=kwargs.get("idempotency_key") or uuid.uuid4(),
    )


def _at_once(count: int, attempt) -> list:
    """Run `attempt(i)` in `count` threads released together, each on its own connection."""
    start = threading.Barrier(count)

    def run(i):
        try:
            start.wait()
            return attempt(i)
        except (PaymentError, ValidationError) as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


class SlowManualGateway:
    """Keeps each refund in flight a moment, so the others check while it is still pending."""

    def refund(self, payment, amount, idempotency_key):
        time.sleep(0.05)
        return ""


@pytest.mark.parametrize("slow_gateway", [False, True])
@pytest.mark.parametrize("amount", ["20.00", "50.00", "7.00"])
def test_admins_refunding_at_the_same_moment_never_refund_more_than_was_paid(
    actor, monkeypatch, amount, slow_gateway
):
    if slow_gateway:
        monkeypatch.setitem(gateways.ADAPTERS, Membership.Gateway.MANUAL, SlowManualGateway())
    payment = PaymentFactory(membership=MembershipFactory(), lines=[Decimal("50.00")])

    def attempt(_i):
        return refund(actor, Payment.objects.get(pk=payment.pk), amount)

    results = _at_once(8, attempt)
    refunded = Refund.objects.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))
    succeeded = [result for result in results if isinstance(result, Refund)]
    assert refunded["s"] <= payment.total
    # As many as fit went through; every other one was refused, not lost.
    assert len(succeeded) == min(8, int(payment.total // Decimal(amount)))
    refused = [result for result in results if not isinstance(result, Refund)]
    assert all(
        "You can refund at most" in str(error) or "fully refunded" in str(error)
        for error in refused
    )
    assert Event.objects.filter(action="payment.refunded").count() == len(succeeded)
    payment.refresh_from_db()
    assert payment.refundable() == payment.total - refunded["s"]


def test_one_form_submitted_many_times_at_once_refunds_once(actor):
    payment = PaymentFactory(lines=[Decimal("50.00")])
    key = uuid.uuid4()

    def attempt(_i):
        return refund(actor, Payment.objects.get(pk=payment.pk), "20.00", idempotency_key=key)

    results = _at_once(6, attempt)
    assert {result.pk for result in results} == {Refund.objects.get().pk}
    assert Event.objects.filter(action="payment.refunded").count() == 1
    assert Payment.objects.get(pk=payment.pk).refundable() == Decimal("30.00")

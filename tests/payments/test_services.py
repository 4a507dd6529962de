import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from events.models import Event
from events.services import Actor
from payments.models import InvoiceCounter, LineItem, Payment
from payments.services import (
    PaymentError,
    assign_invoice_number,
    line_item_add,
    line_item_remove,
    line_item_update,
    payment_create,
    payment_delete,
    payment_update,
)
from tests.factories import (
    CustomerFactory,
    LineItemFactory,
    MembershipFactory,
    PaymentFactory,
    RefundFactory,
)

pytestmark = pytest.mark.django_db

PLAN_LINE = {"title": "Gold plan", "unit_price": Decimal("100.00"), "tax_rate": Decimal("10")}


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin, ip_address="198.51.100.7")


@pytest.fixture
def pending(customer):
    return PaymentFactory(customer=customer, status=Payment.Status.PENDING)


def totals(payment: Payment) -> tuple:
    payment.refresh_from_db()
    return payment.subtotal, payment.discount_total, payment.tax_total, payment.total


# Creating payments


def test_creating_a_payment_copies_the_billing_snapshot_and_computes_totals(actor, customer):
    membership = MembershipFactory(customer=customer)
    payment = payment_create(
        actor=actor,
        customer=customer,
        membership=membership,
        lines=[
            PLAN_LINE,
            {"title": "Setup", "type": LineItem.Type.FEE, "unit_price": Decimal("5.00")},
            {"title": "Welcome", "type": LineItem.Type.DISCOUNT, "unit_price": Decimal("15.00")},
        ],
    )
    assert totals(payment) == (
        Decimal("105.00"),
        Decimal("15.00"),
        Decimal("10.00"),
        Decimal("100.00"),
    )
    snapshot = customer.billing_snapshot()
    assert payment.billing_name == snapshot["billing_name"]
    assert payment.billing_email == snapshot["billing_email"]
    assert payment.billing_address == snapshot["billing_address"]
    assert payment.billing_country.code == "US"
    assert (payment.status, payment.invoice_number) == (Payment.Status.PENDING, None)
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("payment.created", customer.pk)
    assert event.payload == {
        "status": "pending",
        "total": "100.00",
        "currency": "USD",
        "lines": 3,
        "invoice_number": None,
    }


def test_creating_a_completed_payment_assigns_an_invoice_number(actor, customer):
    payment = payment_create(
        actor=actor, customer=customer, lines=[PLAN_LINE], status=Payment.Status.COMPLETED
    )
    payment.refresh_from_db()
    assert payment.invoice_number == 1
    assert Event.objects.get().payload["invoice_number"] == 1


def test_invoice_numbers_are_sequential_and_never_reused(actor, customer, pending):
    numbers = [
        payment_create(
            actor=actor, customer=customer, lines=[PLAN_LINE], status=Payment.Status.COMPLETED
        ).invoice_number
        for _ in range(3)
    ]
    payment_update(actor=actor, payment=pending, values={"status": Payment.Status.COMPLETED})
    numbers.append(pending.invoice_number)
    payment_update(actor=actor, payment=pending, values={"status": Payment.Status.PENDING})
    payment_update(actor=actor, payment=pending, values={"status": Payment.Status.COMPLETED})
    assert numbers == [1, 2, 3, 4]
    assert Payment.objects.get(pk=pending.pk).invoice_number == 4
    assert InvoiceCounter.objects.get().last_number == 4


def test_an_existing_invoice_number_is_kept(pending):
    pending.invoice_number = 7
    pending.save()
    assert assign_invoice_number(pending) == 7
    assert not InvoiceCounter.objects.exists()


@pytest.mark.parametrize("status", Payment.REFUND_STATUSES)
def test_a_payment_cannot_be_created_with_a_refund_status(actor, customer, status):
    with pytest.raises(PaymentError, match="only through refunds"):
        payment_create(actor=actor, customer=customer, lines=[PLAN_LINE], status=status)
    assert not Payment.objects.exists()
    assert not Event.objects.exists()


def test_totals_cannot_be_typed_in(actor, customer):
    with pytest.raises(ValidationError, match="set by the system and can't be typed in"):
        payment_create(actor=actor, customer=customer, lines=[], total=Decimal("5.00"))
    assert not Payment.objects.exists()
    assert not Event.objects.exists()


def test_a_payment_cannot_be_for_another_customers_membership(actor, customer):
    with pytest.raises(ValidationError, match="belongs to another customer"):
        payment_create(
            actor=actor, customer=customer, membership=MembershipFactory(), lines=[PLAN_LINE]
        )
    assert not Payment.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"title": "Gift", "type": LineItem.Type.CREDIT, "unit_price": Decimal("500")},
            "more than",
        ),
        ({**PLAN_LINE, "quantity": 0}, "quantity must be at least 1"),
        ({**PLAN_LINE, "tax_rate": Decimal("150")}, "percentage from 0 to 100"),
        ({**PLAN_LINE, "type": LineItem.Type.DISCOUNT}, "aren't taxed"),
        ({**PLAN_LINE, "unit_price": Decimal("-1")}, "greater than or equal to 0"),
        ({"title": "No price"}, "cannot be null"),
    ],
)
def test_an_invalid_line_refuses_the_whole_payment(actor, customer, line, message):
    with pytest.raises(ValidationError, match=message):
        payment_create(actor=actor, customer=customer, lines=[PLAN_LINE, line])
    assert not Payment.objects.exists()
    assert not LineItem.objects.exists()
    assert not Event.objects.exists()


def test_a_failing_audit_trail_creates_nothing_and_hands_out_no_number(
    actor, customer, monkeypatch
):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        payment_create(
            actor=actor, customer=customer, lines=[PLAN_LINE], status=Payment.Status.COMPLETED
        )
    assert not Payment.objects.exists()
    assert not InvoiceCounter.objects.exists()


# Updating payments


def test_updating_a_payment_records_each_changed_field_old_and_new(actor, pending):
    changes = payment_update(
        actor=actor,
        payment=pending,
        values={"gateway_payment_id": "pi_123", "status": Payment.Status.FAILED},
    )
    pending.refresh_from_db()
    assert (pending.gateway_payment_id, pending.status) == ("pi_123", Payment.Status.FAILED)
    event = Event.objects.get()
    assert event.action == "payment.updated"
    assert (
        event.payload["changes"]
        == changes
        == {
            "gateway_payment_id": {"old": "", "new": "pi_123"},
            "status": {"old": "pending", "new": "failed"},
        }
    )


def test_completing_a_payment_assigns_the_next_invoice_number_in_the_same_event(actor, pending):
    InvoiceCounter.objects.create(pk=1, last_number=41)
    payment_update(actor=actor, payment=pending, values={"status": Payment.Status.COMPLETED})
    assert Payment.objects.get(pk=pending.pk).invoice_number == 42
    event = Event.objects.get()
    assert event.payload["changes"]["invoice_number"] == {"old": None, "new": 42}


@pytest.mark.parametrize("status", Payment.REFUND_STATUSES)
def test_refund_statuses_cannot_be_picked_by_hand(actor, customer, status):
    payment = PaymentFactory(customer=customer)
    with pytest.raises(PaymentError, match="only through refunds; it can't be picked by hand"):
        payment_update(actor=actor, payment=payment, values={"status": status})
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.COMPLETED
    assert not Event.objects.exists()


def test_a_refunded_payments_status_cannot_be_changed_by_hand(actor, customer):
    payment = PaymentFactory(customer=customer, status=Payment.Status.REFUNDED)
    with pytest.raises(PaymentError, match="follows its refunds"):
        payment_update(actor=actor, payment=payment, values={"status": Payment.Status.COMPLETED})
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED
    assert not Event.objects.exists()


def test_a_refunded_payment_can_still_get_other_changes(actor, customer):
    payment = PaymentFactory(customer=customer, status=Payment.Status.PARTIALLY_REFUNDED)
    payment_update(
        actor=actor,
        payment=payment,
        values={"status": Payment.Status.PARTIALLY_REFUNDED, "gateway_payment_id": "pi_9"},
    )
    assert set(Event.objects.get().payload["changes"]) == {"gateway_payment_id"}


def test_the_invoice_number_cannot_be_typed_in(actor, pending):
    with pytest.raises(ValidationError, match="can't be typed in"):
        payment_update(actor=actor, payment=pending, values={"invoice_number": 99})
    assert Payment.objects.get(pk=pending.pk).invoice_number is None
    assert not Event.objects.exists()


def test_a_failing_audit_trail_leaves_the_payment_unnumbered(actor, pending, monkeypatch):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        payment_update(actor=actor, payment=pending, values={"status": Payment.Status.COMPLETED})
    stored = Payment.objects.get(pk=pending.pk)
    assert (stored.status, stored.invoice_number) == (Payment.Status.PENDING, None)
    assert not InvoiceCounter.objects.exists()


# Line items


def test_adding_a_line_item_recomputes_the_totals_and_records_them(actor, pending):
    line = line_item_add(
        actor=actor, payment=pending, title="Setup", unit_price=Decimal("20.00"), quantity=2
    )
    assert line.total == Decimal("40.00")
    assert totals(pending) == (Decimal("90.00"), Decimal("0"), Decimal("0"), Decimal("90.00"))
    event = Event.objects.get()
    assert event.action == "payment.updated"
    assert event.payload == {
        "changes": {
            "subtotal": {"old": "50.00", "new": "90.00"},
            "total": {"old": "50.00", "new": "90.00"},
        },
        "line_item": {"added": "Setup"},
    }


def test_updating_a_line_item_recomputes_the_totals_and_records_them(actor, pending):
    line = pending.line_items.get()
    line_item_update(actor=actor, payment=pending, line=line, values={"tax_rate": Decimal("20")})
    assert totals(pending) == (Decimal("50.00"), Decimal("0"), Decimal("10.00"), Decimal("60.00"))
    line.refresh_from_db()
    assert (line.tax_total, line.total) == (Decimal("10.00"), Decimal("60.00"))
    event = Event.objects.get()
    assert event.payload["changes"]["total"] == {"old": "50.00", "new": "60.00"}
    assert event.payload["line_item"]["changes"] == {"tax_rate": {"old": "0.00", "new": "20"}}


def test_updating_a_line_item_with_nothing_changed_records_nothing(actor, pending):
    line = pending.line_items.get()
    assert line_item_update(actor=actor, payment=pending, line=line, values={"quantity": 1}) == {}
    assert not Event.objects.exists()


def test_removing_a_line_item_recomputes_the_totals_and_records_them(actor, customer):
    payment = PaymentFactory(
        customer=customer, status=Payment.Status.DRAFT, lines=[Decimal("50"), Decimal("30")]
    )
    line = payment.line_items.last()
    line_item_remove(actor=actor, payment=payment, line=line)
    assert totals(payment)[-1] == Decimal("50.00")
    assert payment.line_items.count() == 1
    event = Event.objects.get()
    assert event.payload["changes"]["total"] == {"old": "80.00", "new": "50.00"}
    assert event.payload["line_item"] == {"removed": line.title}


def test_a_discount_bigger_than_the_total_is_refused(actor, pending):
    with pytest.raises(ValidationError, match="can't be more than the payment's total"):
        line_item_add(
            actor=actor,
            payment=pending,
            title="Too generous",
            type=LineItem.Type.DISCOUNT,
            unit_price=Decimal("50.01"),
        )
    assert totals(pending)[-1] == Decimal("50.00")
    assert pending.line_items.count() == 1
    assert not Event.objects.exists()


def test_a_line_change_that_makes_the_total_negative_is_refused(actor, customer):
    payment = PaymentFactory(customer=customer, status=Payment.Status.DRAFT)
    LineItemFactory(payment=payment, type=LineItem.Type.CREDIT, unit_price=Decimal("20.00"))
    payment.refresh_totals()
    line = payment.line_items.first()
    with pytest.raises(ValidationError, match="can't be more than the payment's total"):
        line_item_update(
            actor=actor, payment=payment, line=line, values={"unit_price": Decimal("10.00")}
        )
    assert LineItem.objects.get(pk=line.pk).unit_price == Decimal("50.00")
    assert totals(payment)[-1] == Decimal("30.00")
    assert not Event.objects.exists()


def test_line_items_of_a_payment_with_refunds_cannot_change(actor, customer):
    payment = PaymentFactory(customer=customer, status=Payment.Status.PARTIALLY_REFUNDED)
    RefundFactory(payment=payment)
    line = payment.line_items.get()
    with pytest.raises(PaymentError, match="has refunds, so its line items can't change"):
        line_item_remove(actor=actor, payment=payment, line=line)
    assert payment.line_items.get() == line
    assert totals(payment)[-1] == Decimal("50.00")
    assert not Event.objects.exists()


def test_a_failing_audit_trail_leaves_the_lines_and_totals(actor, pending, monkeypatch):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        line_item_add(actor=actor, payment=pending, title="Setup", unit_price=Decimal("20.00"))
    assert pending.line_items.count() == 1
    assert totals(pending)[-1] == Decimal("50.00")


# Deleting payments


@pytest.mark.parametrize("status", Payment.DELETABLE_STATUSES)
def test_a_payment_that_never_took_money_can_be_deleted(actor, customer, status):
    payment = PaymentFactory(customer=customer, status=status)
    payment_delete(actor=actor, payment=payment)
    assert not Payment.objects.exists()
    assert not LineItem.objects.exists()
    event = Event.objects.get()
    assert (event.action, event.object_repr, event.customer_id) == (
        "payment.deleted",
        payment.reference,
        customer.pk,
    )
    assert event.payload == {"status": status, "total": "50.00", "currency": "USD"}


@pytest.mark.parametrize(
    "status",
    [
        Payment.Status.COMPLETED,
        Payment.Status.PARTIALLY_PAID,
        Payment.Status.PARTIALLY_REFUNDED,
        Payment.Status.REFUNDED,
    ],
)
def test_a_payment_that_took_money_cannot_be_deleted(actor, customer, status):
    payment = PaymentFactory(customer=customer, status=status)
    with pytest.raises(PaymentError, match="it took money, so it is an accounting record"):
        payment_delete(actor=actor, payment=payment)
    assert Payment.objects.get() == payment
    assert not Event.objects.exists()


def test_an_invoiced_payment_cannot_be_deleted_even_when_cancelled_later(actor, customer):
    payment = PaymentFactory(customer=CustomerFactory(), status=Payment.Status.CANCELLED)
    payment.invoice_number = 3
    payment.save()
    with pytest.raises(PaymentError, match="was invoiced or refunded"):
        payment_delete(actor=actor, payment=payment)
    assert Payment.objects.get() == payment
    assert not Event.objects.exists()


def test_a_failing_audit_trail_keeps_the_payment(actor, pending, monkeypatch):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        payment_delete(actor=actor, payment=pending)
    assert Payment.objects.get() == pending
    assert pending.line_items.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row locks between real connections"
)
@pytest.mark.django_db(transaction=True)
def test_payments_completed_at_the_same_moment_get_distinct_numbers(network_admin):
    actor = Actor(user=network_admin)
    payments = PaymentFactory.create_batch(6, status=Payment.Status.PENDING)
    start = threading.Barrier(len(payments))

    def complete(payment):
        try:
            start.wait()
            payment_update(
                actor=actor, payment=payment, values={"status": Payment.Status.COMPLETED}
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(payments)) as pool:
        list(pool.map(complete, payments))
    numbers = sorted(Payment.objects.values_list("invoice_number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert InvoiceCounter.objects.get().last_number == 6

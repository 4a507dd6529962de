"""State changes of payments, line items and refunds. Each records its event in the transaction
of the change.

Refunds are their own records, and the refund statuses of a payment follow from them.
"""

import logging
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer
from events.models import Event
from events.services import Actor, apply_changes, plain, record
from memberships.models import Membership
from memberships.services import MembershipError, membership_update
from payments import gateways
from payments.models import (
    CENT,
    ZERO,
    InvoiceCounter,
    LineItem,
    Payment,
    Refund,
    currency_decimals,
)

logger = logging.getLogger(__name__)

TOTALS = ("subtotal", "discount_total", "tax_total", "total")
# Computed or handed out by the system, so never taken from the caller.
PAYMENT_COMPUTED = frozenset({*TOTALS, "invoice_number"})
LINE_COMPUTED = frozenset({"subtotal", "tax_total", "total", "payment"})
# The largest amount the money columns (12 digits, 2 of them decimals) can hold.
MAX_AMOUNT = Decimal("9999999999.99")


class PaymentError(Exception):
    """A change the rules refuse; its message is shown to the admin as it is."""


def _refuse_computed(values: dict, computed: frozenset) -> None:
    typed = sorted(computed & values.keys())
    if typed:
        raise ValidationError(
            {name: _("This is set by the system and can't be typed in.") for name in typed}
        )


def _check_status_change(old: str | None, new: str) -> None:
    if new == old:
        return
    if new in Payment.REFUND_STATUSES:
        raise PaymentError(
            _("A payment becomes “%(status)s” only through refunds; it can't be picked by hand.")
            % {"status": Payment.Status(new).label}
        )
    if old in Payment.REFUND_STATUSES:
        raise PaymentError(
            _("This payment's status follows its refunds, so it can't be changed by hand.")
        )


def _check_membership(customer: Customer | None, membership: Membership | None) -> None:
    if membership is not None and membership.customer_id != getattr(customer, "pk", None):
        raise ValidationError(
            {
                "membership": _("Membership %(membership)s belongs to another customer.")
                % {"membership": membership}
            }
        )


@transaction.atomic
def assign_invoice_number(payment: Payment) -> int:
    """Give `payment` the next invoice number, once. Numbers are sequential and never reused.

    The counter row stays locked until the surrounding transaction ends, so two payments completed
    at the same moment can't get the same number, and a rolled-back payment gives its number back.
    """
    if payment.invoice_number is not None:
        return payment.invoice_number
    counter, _created = InvoiceCounter.objects.select_for_update().get_or_create(pk=1)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    payment.invoice_number = counter.last_number
    payment.save(update_fields=["invoice_number", "updated_at"])
    return payment.invoice_number


def _save_line(line: LineItem) -> None:
    """Check a line item, compute its totals and save it."""
    line.full_clean(exclude=LINE_COMPUTED, validate_constraints=False)
    # The table's check constraints, said in words an admin can act on.
    errors = {}
    if line.quantity < 1:
        errors["quantity"] = _("The quantity must be at least 1.")
    if not 0 <= line.tax_rate <= 100:
        errors["tax_rate"] = _("The tax rate is a percentage from 0 to 100.")
    elif line.is_deduction and line.tax_rate:
        errors["tax_rate"] = _("Credits and discounts aren't taxed.")
    if errors:
        raise ValidationError(errors)
    line.compute_totals()
    if line.subtotal + line.tax_total > MAX_AMOUNT:
        raise ValidationError(_("This line's total is more than a payment can hold."))
    line.save()


def _add_line(payment: Payment, values: dict) -> LineItem:
    _refuse_computed(values, LINE_COMPUTED)
    line = LineItem(payment=payment, **values)
    _save_line(line)
    return line


def _save_totals(payment: Payment) -> dict:
    """Recompute the payment's totals from its lines and save them; return those that changed."""
    old = {name: getattr(payment, name) for name in TOTALS}
    payment.compute_totals()
    if payment.total < 0:
        raise ValidationError(_("Credits and discounts can't be more than the payment's total."))
    if max(getattr(payment, name) for name in TOTALS) > MAX_AMOUNT:
        raise ValidationError(_("These line items add up to more than a payment can hold."))
    payment.save(update_fields=[*TOTALS, "updated_at"])
    return {
        name: {"old": plain(old[name]), "new": plain(getattr(payment, name))}
        for name in TOTALS
        if old[name] != getattr(payment, name)
    }


@transaction.atomic
def payment_create(
    *,
    actor: Actor,
    customer: Customer,
    membership: Membership | None = None,
    lines: list[dict],
    **fields,
) -> Payment:
    """Create a payment from its line items, with the customer's billing details as they are now.

    The snapshot keeps the payment a complete accounting record after the customer is gone.
    """
    _refuse_computed(fields, PAYMENT_COMPUTED)
    customer = Customer.objects.locked(customer.pk)
    _check_membership(customer, membership)
    payment = Payment(
        customer=customer, membership=membership, **(customer.billing_snapshot() | fields)
    )
    _check_status_change(None, payment.status)
    payment.full_clean()
    payment.save()
    for values in lines:
        _add_line(payment, values)
    _save_totals(payment)
    if payment.status == Payment.Status.COMPLETED:
        assign_invoice_number(payment)
    record(
        "payment.created",
        actor=actor,
        obj=payment,
        severity=Event.Severity.SUCCESS,
        payload={
            "status": payment.status,
            "total": payment.total,
            "currency": payment.currency,
            "lines": len(lines),
            "invoice_number": payment.invoice_number,
        },
    )
    return payment


@transaction.atomic
def payment_update(*, actor: Actor, payment: Payment, values: dict) -> dict:
    """Save changes to a payment as one event. Returns the changes; none means nothing written.

    Completing it for the first time gives it the next invoice number.
    """
    _refuse_computed(values, PAYMENT_COMPUTED)
    payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
    if "status" in values:
        _check_status_change(payment.status, values["status"])
    if getattr(values.get("membership"), "pk", None) not in (None, payment.membership_id):
        _check_membership(payment.customer, values["membership"])
    changes = apply_changes(payment, values)
    if not changes:
        return changes
    payment.full_clean()
    payment.save()
    if payment.status == Payment.Status.COMPLETED and payment.invoice_number is None:
        changes["invoice_number"] = {"old": None, "new": assign_invoice_number(payment)}
    record("payment.updated", actor=actor, obj=payment, payload={"changes": changes})
    return changes


def _lock_for_line_change(payment: Payment) -> None:
    payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
    if payment.refunds.exists():
        raise PaymentError(
            _(
                "Payment %(payment)s has refunds, so its line items can't change: the refunds "
                "were made against these amounts."
            )
            % {"payment": payment}
        )


def _record_line_change(actor: Actor, payment: Payment, line_item: dict) -> dict:
    changes = _save_totals(payment)
    record(
        "payment.updated",
        actor=actor,
        obj=payment,
        payload={"changes": changes, "line_item": line_item},
    )
    return changes


@transaction.atomic
def line_item_add(*, actor: Actor, payment: Payment, **fields) -> LineItem:
    """Add a line item; the payment's totals follow and are recorded as one update."""
    _lock_for_line_change(payment)
    line = _add_line(payment, fields)
    _record_line_change(actor, payment, {"added": line.title})
    return line


@transaction.atomic
def line_item_update(*, actor: Actor, payment: Payment, line: LineItem, values: dict) -> dict:
    """Change a line item; returns the payment's total changes, none when nothing changed."""
    _lock_for_line_change(payment)
    _refuse_computed(values, LINE_COMPUTED)
    line = payment.line_items.get(pk=line.pk)
    line_changes = apply_changes(line, values)
    if not line_changes:
        return {}
    _save_line(line)
    return _record_line_change(actor, payment, {"updated": line.title, "changes": line_changes})


@transaction.atomic
def line_item_remove(*, actor: Actor, payment: Payment, line: LineItem) -> dict:
    """Remove a line item; returns the payment's total changes."""
    _lock_for_line_change(payment)
    line = payment.line_items.get(pk=line.pk)
    line.delete()
    return _record_line_change(actor, payment, {"removed": line.title})


def payment_delete_refusal(payment: Payment) -> str | None:
    """Why `payment` can't be deleted, or None when it can."""
    if payment.status not in Payment.DELETABLE_STATUSES:
        return _(
            "Payment %(payment)s is %(status)s: it took money, so it is an accounting record "
            "and can't be deleted. Only pending, draft, failed or cancelled payments can be."
        ) % {"payment": payment, "status": payment.get_status_display().lower()}
    if payment.invoice_number is not None or payment.refunds.exists():
        return _(
            "Payment %(payment)s was invoiced or refunded, so it is an accounting record and "
            "can't be deleted."
        ) % {"payment": payment}
    return None


@transaction.atomic
def payment_delete(*, actor: Actor, payment: Payment) -> None:
    """Delete a payment that never took money; any other is an accounting record and stays."""
    payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
    refusal = payment_delete_refusal(payment)
    if refusal:
        raise PaymentError(refusal)
    # Record first: afterwards the payment is gone and only the snapshot remains.
    record(
        "payment.deleted",
        actor=actor,
        obj=payment,
        payload={"status": payment.status, "total": payment.total, "currency": payment.currency},
        severity=Event.Severity.WARNING,
    )
    payment.delete()


# Refunds


class RefundFailed(PaymentError):
    """The gateway did not refund; the failed refund and its event are kept. Says why."""

    def __init__(self, message: str, refund: Refund):
        super().__init__(message)
        self.refund = refund


def money(amount: Decimal, currency: str) -> str:
    """An amount as an admin reads it in a message: "1,234.50 USD"."""
    digits = number_format(
        amount, decimal_pos=currency_decimals(currency), use_l10n=True, force_grouping=True
    )
    return f"{digits} {currency}"


def _check_refund_amount(payment: Payment, amount: Decimal) -> None:
    """The amount rules, checked with the payment locked: pending refunds count as refunded."""
    if not isinstance(amount, Decimal):
        raise TypeError("Refund amounts are Decimals, never floats.")
    if not amount.is_finite():
        raise ValidationError({"amount": _("Enter the amount as a plain number, like 20.00.")})
    if amount <= 0:
        raise ValidationError({"amount": _("A refund must be more than zero.")})
    refundable = payment.refundable()
    if amount > refundable:
        raise ValidationError(
            {
                "amount": _(
                    "You can refund at most %(refundable)s of this payment: that is what earlier "
                    "refunds, including any still in progress, left of it."
                )
                % {"refundable": money(refundable, payment.currency)}
            }
        )
    places = currency_decimals(payment.currency)
    # Compared exactly: quantizing rounds, so any digit beyond the currency's makes them differ.
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError({"amount": _decimals_message(payment.currency, places)})


def _decimals_message(currency: str, places: int) -> str:
    if not places:
        return _("%(currency)s amounts have no decimal places.") % {"currency": currency}
    return ngettext(
        "%(currency)s amounts have at most %(places)d decimal place.",
        "%(currency)s amounts have at most %(places)d decimal places.",
        places,
    ) % {"currency": currency, "places": places}


def refund_refusal(payment: Payment) -> str | None:
    """Why `payment` can't be refunded at all, or None when it can."""
    if payment.status == Payment.Status.REFUNDED:
        return _("Payment %(payment)s is already fully refunded: nothing is left to refund.") % {
            "payment": payment
        }
    if payment.status not in Payment.REFUNDABLE_STATUSES:
        return _(
            "Payment %(payment)s is %(status)s: only completed or partially refunded payments "
            "can be refunded."
        ) % {"payment": payment, "status": payment.get_status_display().lower()}
    return None


@transaction.atomic
def _refund_reserve(
    *, actor: Actor, payment: Payment, amount, reason: str, key: uuid.UUID, cancel_membership: bool
) -> tuple[Refund, bool]:
    """Check and insert a pending refund under the payment's row lock; (refund, created).

    A key already used returns its refund, so a form submitted twice refunds once.
    """
    payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.payment_id != payment.pk or existing.amount != amount:
            raise PaymentError(
                _(
                    "This refund form was already used for another refund. Open the refund form "
                    "again to make a new one."
                )
            )
        return existing, False
    refusal = refund_refusal(payment)
    if refusal:
        raise PaymentError(refusal)
    if cancel_membership and payment.membership_id is None:
        raise ValidationError({"cancel_membership": _("This payment has no membership to cancel.")})
    _check_refund_amount(payment, amount)
    refund = Refund(
        payment=payment,
        amount=amount.quantize(CENT),
        reason=reason,
        status=Refund.Status.PENDING,
        idempotency_key=key,
        created_by=actor.user,
        created_by_repr=str(actor.user)[:200] if actor.user else "",
    )
    refund.full_clean(validate_unique=False)
    try:
        # The key is unique; a copy racing us on another payment lands here.
        with transaction.atomic():
            refund.save()
    except IntegrityError:
        raise PaymentError(
            _("This refund form was already used. Open the refund form again.")
        ) from None
    return refund, True


def _refund_payload(refund: Refund) -> dict:
    return {
        "amount": plain(refund.amount),
        "currency": refund.payment.currency,
        "refund": refund.pk,
        "reason": refund.reason,
    }


@transaction.atomic
def _refund_failed(*, actor: Actor, refund: Refund, error: str) -> None:
    refund.status = Refund.Status.FAILED
    refund.save(update_fields=["status"])
    record(
        "payment.refund_failed",
        actor=actor,
        obj=refund.payment,
        severity=Event.Severity.ERROR,
        payload=_refund_payload(refund) | {"error": error},
    )


@transaction.atomic
def _refund_succeeded(
    *, actor: Actor, refund: Refund, gateway_refund_id: str, cancel_membership: bool
) -> None:
    payment = refund.payment
    payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
    refund.status = Refund.Status.SUCCEEDED
    refund.gateway_refund_id = gateway_refund_id[:100]
    refund.save(update_fields=["status", "gateway_refund_id"])
    # Derived from the refunds that went through, so one still in flight can't mark it refunded.
    succeeded = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    full = succeeded >= payment.total
    payment.status = Payment.Status.REFUNDED if full else Payment.Status.PARTIALLY_REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    record(
        "payment.refunded",
        actor=actor,
        obj=payment,
        severity=Event.Severity.SUCCESS,
        payload=_refund_payload(refund),
    )
    membership = payment.membership
    if cancel_membership and membership.status != Membership.Status.CANCELLED:
        values = {"status": Membership.Status.CANCELLED}
        if refund.reason:
            values["cancellation_reason"] = refund.reason
        try:
            membership_update(actor=actor, membership=membership, values=values)
        except (MembershipError, ValidationError):
            # The money has left: the refund stands even if the membership refuses to cancel.
            # The caller sees the membership still active and says so.
            logger.exception("Refund %s: membership %s not cancelled", refund.pk, membership.pk)


def refund_create(
    *,
    actor: Actor,
    payment: Payment,
    amount: Decimal,
    reason: str,
    idempotency_key: uuid.UUID,
    cancel_membership: bool = False,
) -> Refund:
    """Refund `amount` of `payment` through its gateway, and cancel its membership if asked.

    Returns the refund: the new one, or the existing one when `idempotency_key` was used before
    (a form submitted twice refunds once). A refusal raises PaymentError or ValidationError and
    writes nothing. A gateway failure raises RefundFailed and keeps the failed refund and its
    event; nothing else changes.

    The gateway is called between two transactions, never while the payment is locked: first
    the refund is checked and inserted as pending under the lock (so a refund in flight counts
    against what is left), then the gateway answers, then the outcome is recorded.
    """
    refund, created = _refund_reserve(
        actor=actor,
        payment=payment,
        amount=amount,
        reason=reason,
        key=idempotency_key,
        cancel_membership=cancel_membership,
    )
    if not created:
        return refund
    try:
        gateway_refund_id = gateways.refund(payment, refund.amount, refund.idempotency_key)
    except gateways.GatewayError as error:
        _refund_failed(actor=actor, refund=refund, error=str(error))
        message = _("The refund of %(amount)s failed and nothing else changed. %(error)s") % {
            "amount": money(refund.amount, payment.currency),
            "error": error,
        }
        raise RefundFailed(message, refund) from error
    _refund_succeeded(
        actor=actor,
        refund=refund,
        gateway_refund_id=gateway_refund_id,
        cancel_membership=cancel_membership,
    )
    return refund

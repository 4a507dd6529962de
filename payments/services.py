"""State changes of payments and line items. Each runs in one transaction and records its event.

Refunds live elsewhere: they are their own records, and the refund statuses follow from them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer
from events.models import Event
from events.services import Actor, apply_changes, plain, record
from memberships.models import Membership
from payments.models import InvoiceCounter, LineItem, Payment

TOTALS = ("subtotal", "discount_total", "tax_total", "total")
# Computed or handed out by the system, so never taken from the caller.
PAYMENT_COMPUTED = frozenset({*TOTALS, "invoice_number"})
LINE_COMPUTED = frozenset({"subtotal", "tax_total", "total", "payment"})


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


@transaction.atomic
def payment_delete(*, actor: Actor, payment: Payment) -> None:
    """Delete a payment that never took money; any other is an accounting record and stays."""
    payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
    if payment.status not in Payment.DELETABLE_STATUSES:
        raise PaymentError(
            _(
                "Payment %(payment)s is %(status)s: it took money, so it is an accounting record "
                "and can't be deleted. Only pending, draft, failed or cancelled payments can be."
            )
            % {"payment": payment, "status": payment.get_status_display().lower()}
        )
    if payment.invoice_number is not None or payment.refunds.exists():
        raise PaymentError(
            _(
                "Payment %(payment)s was invoiced or refunded, so it is an accounting record and "
                "can't be deleted."
            )
            % {"payment": payment}
        )
    # Record first: afterwards the payment is gone and only the snapshot remains.
    record(
        "payment.deleted",
        actor=actor,
        obj=payment,
        payload={"status": payment.status, "total": payment.total, "currency": payment.currency},
        severity=Event.Severity.WARNING,
    )
    payment.delete()

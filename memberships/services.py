"""State changes of products and memberships. Each runs in one transaction and records its event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer
from events.models import Event
from events.services import Actor, apply_changes, plain, record, update_and_record
from memberships.models import Membership, MembershipAddon, Product
from sites.models import Site


class MembershipError(Exception):
    """A change the rules refuse; its message is shown to the admin as it is."""


@transaction.atomic
def product_create(*, actor: Actor, **fields) -> Product:
    product = Product(**fields)
    product.full_clean()
    product.save()
    record("product.created", actor=actor, obj=product, severity=Event.Severity.SUCCESS)
    return product


@transaction.atomic
def product_update(*, actor: Actor, product: Product, values: dict) -> dict:
    """Save changes to a product as one event. Returns the changes; none means nothing written."""
    # The lock makes a membership created meanwhile wait, so the in-use check below holds.
    product.refresh_from_db(from_queryset=Product.objects.select_for_update())
    type_changes = values.get("type", product.type) != product.type
    if type_changes and Membership.objects.using_product(product).exists():
        raise MembershipError(
            _("%(product)s is used by memberships, so its type can't change.")
            % {"product": product}
        )
    return update_and_record(product, values, action="product.updated", actor=actor)


@transaction.atomic
def product_delete(*, actor: Actor, product: Product) -> None:
    """Delete a product no membership uses; one in use can only be deactivated."""
    product.refresh_from_db(from_queryset=Product.objects.select_for_update())
    in_use = Membership.objects.using_product(product).count()
    if in_use:
        raise MembershipError(
            ngettext(
                "%(product)s is used by %(count)d membership, so deleting it would leave that "
                "membership without its product. Deactivate it instead: it stays on the "
                "membership but can't be chosen any more.",
                "%(product)s is used by %(count)d memberships, so deleting it would leave those "
                "memberships without their products. Deactivate it instead: it stays on the "
                "memberships but can't be chosen any more.",
                in_use,
            )
            % {"product": product, "count": in_use}
        )
    # Record first: afterwards the product is gone and only the snapshot remains.
    record("product.deleted", actor=actor, obj=product, severity=Event.Severity.WARNING)
    product.delete()


def _check_plan(plan: Product) -> None:
    if plan.type != Product.Type.PLAN:
        raise ValidationError(
            {
                "plan": _("%(product)s is not a plan; choose a product of type plan.")
                % {"product": plan}
            }
        )


def _check_addons(addons: dict[Product, int]) -> None:
    errors = []
    for product, quantity in addons.items():
        if product.type == Product.Type.PLAN:
            errors.append(
                _("%(product)s is a plan; add-ons are packages or services.") % {"product": product}
            )
        if quantity < 1:
            errors.append(
                _("The quantity of %(product)s must be at least 1.") % {"product": product}
            )
    if errors:
        raise ValidationError({"addons": errors})


def _addons_summary(membership: Membership) -> list[str]:
    lines = membership.addon_lines.select_related("product").order_by("product__name", "pk")
    return [str(line) for line in lines]


def _write_addons(membership: Membership, addons: dict[Product, int]) -> None:
    """Make the membership's add-on lines exactly `addons`, touching only the lines that differ."""
    current = {line.product_id: line for line in membership.addon_lines.all()}
    for product, quantity in addons.items():
        line = current.pop(product.pk, None)
        if line is None:
            MembershipAddon.objects.create(
                membership=membership, product=product, quantity=quantity
            )
        elif line.quantity != quantity:
            line.quantity = quantity
            line.save(update_fields=["quantity"])
    MembershipAddon.objects.filter(pk__in=[line.pk for line in current.values()]).delete()


def _cancellation(values: dict) -> dict:
    """What moving to cancelled changes too: a cancelled membership has a time and never renews."""
    return {
        "status": Membership.Status.CANCELLED,
        "cancelled_at": values.get("cancelled_at") or timezone.now(),
        "auto_renew": False,
    }


@transaction.atomic
def membership_create(
    *,
    actor: Actor,
    customer: Customer,
    plan: Product,
    addons: dict[Product, int] | None = None,
    **fields,
) -> Membership:
    """Start a membership on `plan`; billing terms not given in `fields` are the plan's."""
    customer = Customer.objects.locked(customer.pk)
    addons = addons or {}
    _check_plan(plan)
    _check_addons(addons)
    terms = {
        "amount": plan.amount,
        "initial_amount": plan.amount + plan.setup_fee,
        "currency": plan.currency,
        "recurring": plan.recurring,
        "duration": plan.duration,
        "duration_unit": plan.duration_unit,
    }
    fields = terms | fields
    if fields.get("status") == Membership.Status.CANCELLED:
        fields |= _cancellation(fields)
    membership = Membership(customer=customer, plan=plan, **fields)
    membership.full_clean()
    membership.save()
    _write_addons(membership, addons)
    record(
        "membership.created",
        actor=actor,
        obj=membership,
        severity=Event.Severity.SUCCESS,
        payload={"plan": plan, "addons": _addons_summary(membership)},
    )
    return membership


@transaction.atomic
def membership_update(*, actor: Actor, membership: Membership, values: dict) -> dict:
    """Save changes to a membership as one event. Returns the changes; none means nothing written.

    Moving it to cancelled records `membership.cancelled`; its customer changes only by transfer.
    """
    membership.refresh_from_db(from_queryset=Membership.objects.select_for_update())
    if "customer" in values and getattr(values["customer"], "pk", None) != membership.customer_id:
        raise MembershipError(
            _("Transfer the membership to move it to another customer: its sites move with it.")
        )
    if "plan" in values:
        _check_plan(values["plan"])
    action = "membership.updated"
    cancelling = values.get("status") == Membership.Status.CANCELLED
    if cancelling and membership.status != Membership.Status.CANCELLED:
        values = values | _cancellation(values)
        action = "membership.cancelled"
    return update_and_record(membership, values, action=action, actor=actor)


@transaction.atomic
def membership_set_addons(
    *, actor: Actor, membership: Membership, addons: dict[Product, int]
) -> dict:
    """Add, remove and re-count add-ons so they are exactly `addons`, recorded as one update."""
    _check_addons(addons)
    membership.refresh_from_db(from_queryset=Membership.objects.select_for_update())
    old = _addons_summary(membership)
    _write_addons(membership, addons)
    new = _addons_summary(membership)
    if old == new:
        return {}
    membership.save(update_fields=["updated_at"])
    changes = {"addons": {"old": old, "new": new}}
    record("membership.updated", actor=actor, obj=membership, payload={"changes": changes})
    return changes


@transaction.atomic
def membership_transfer(
    *, actor: Actor, membership: Membership, to_customer: Customer
) -> Membership:
    """Move a membership and all its sites to `to_customer`. Its payments stay with the payer."""
    membership.refresh_from_db(from_queryset=Membership.objects.select_for_update())
    if to_customer.pk == membership.customer_id:
        raise MembershipError(
            _("The membership already belongs to %(customer)s.") % {"customer": to_customer}
        )
    # Locked so a customer deletion can't remove the receiving customer halfway through; one
    # that committed while we waited for the lock leaves nobody to transfer to.
    receiving = Customer.objects.select_for_update().filter(pk=to_customer.pk).first()
    if receiving is None:
        raise MembershipError(
            _("%(customer)s no longer exists: they were deleted a moment ago.")
            % {"customer": to_customer}
        )
    to_customer = receiving
    from_customer = membership.customer
    sites = list(membership.sites.select_for_update().order_by("pk"))
    Site.objects.filter(pk__in=[site.pk for site in sites]).update(
        customer=to_customer,
        owner_search_text=to_customer.search_text,
        updated_at=timezone.now(),
    )
    membership.customer = to_customer
    membership.full_clean()
    membership.save(update_fields=["customer", "updated_at"])
    record(
        "membership.transferred",
        actor=actor,
        obj=membership,
        payload={
            "changes": {"customer": {"old": plain(from_customer), "new": plain(to_customer)}},
            "from": from_customer.reference,
            "to": to_customer.reference,
            "sites_moved": [site.reference for site in sites],
        },
    )
    return membership


DELETE_SITES = "delete"
DETACH_SITES = "detach"


@transaction.atomic
def membership_delete(*, actor: Actor, membership: Membership, sites: str) -> dict[str, int]:
    """Delete a membership for good; keep its payments.

    `sites` says what happens to its sites: DELETE_SITES, or DETACH_SITES to keep them owned by
    the same customer without a membership.
    """
    if sites not in (DELETE_SITES, DETACH_SITES):
        raise ValidationError(_("Choose whether the membership's sites are deleted or detached."))
    membership.refresh_from_db(from_queryset=Membership.objects.select_for_update())
    site_ids = list(membership.sites.select_for_update().values_list("pk", flat=True))
    counts = {
        "sites": len(site_ids),
        "payments": membership.payments.count(),
        "addons": membership.addon_lines.count(),
    }
    was_cancelled = membership.status == Membership.Status.CANCELLED
    if not was_cancelled:
        # A membership ends the way every membership ends, so it is never deleted while billable.
        apply_changes(membership, _cancellation({}))
        membership.full_clean()
        membership.save(update_fields=["status", "cancelled_at", "auto_renew", "updated_at"])
    # Record first: afterwards the membership is gone and only the snapshot remains.
    record(
        "membership.deleted",
        actor=actor,
        obj=membership,
        payload={"counts": counts, "sites": sites, "cancelled_first": not was_cancelled},
        severity=Event.Severity.WARNING,
    )
    site_rows = Site.objects.filter(pk__in=site_ids)
    if sites == DELETE_SITES:
        site_rows.delete()
    else:
        site_rows.update(membership=None, updated_at=timezone.now())
    membership.delete()
    return counts

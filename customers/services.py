"""State changes of customers. Each runs in one transaction and records its event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, User
from events.models import Event
from events.services import Actor, apply_changes, record
from memberships.models import Membership
from payments.models import Refund
from sites.models import Site


class CustomerError(Exception):
    """A change the rules refuse; its message is shown to the admin as it is."""


@transaction.atomic
def customer_create(
    *,
    actor: Actor,
    username: str,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    **fields,
) -> Customer:
    """Create a login account and its customer. Without a password the account can't log in yet."""
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return customer_create_for_user(actor=actor, user=user, **fields)


@transaction.atomic
def customer_create_for_user(*, actor: Actor, user: User, **fields) -> Customer:
    """Make an existing login account a customer."""
    if user.is_staff:
        raise CustomerError(_("Staff accounts can't be customers."))
    fields.setdefault("signup_source", "by-admin")
    customer = Customer(user=user, **fields)
    customer.full_clean()
    customer.save()
    record("customer.created", actor=actor, obj=customer, severity=Event.Severity.SUCCESS)
    return customer


@transaction.atomic
def customer_update(
    *, actor: Actor, customer: Customer, values: dict, user_values: dict | None = None
) -> dict:
    """Save changes to a customer and their login account as one event listing every change.

    Returns the changes; when nothing changed, nothing is written.
    """
    changes = apply_changes(customer.user, user_values or {})
    changes |= apply_changes(customer, values)
    if not changes:
        return changes
    customer.user.full_clean()
    customer.full_clean()
    customer.user.save()
    customer.save()
    record("customer.updated", actor=actor, obj=customer, payload={"changes": changes})
    return changes


def deletion_summary(customer: Customer) -> dict[str, int]:
    """What deleting `customer` touches, counted, for the confirmation page and the event."""
    # One indexed COUNT each: joining them all in one query would multiply the rows.
    return {
        "memberships": customer.memberships.count(),
        "sites": customer.sites.count(),
        "payments": customer.payments.count(),
        "refunds": Refund.objects.filter(payment__customer=customer).count(),
        "notes": customer.notes.count(),
        "custom_fields": customer.custom_fields.count(),
        "logins": customer.logins.count(),
        "events": Event.objects.for_customer(customer).count(),
    }


DELETE_RELATED = "delete"
MOVE_RELATED = "move"


@transaction.atomic
def customer_delete(
    *, actor: Actor, customer: Customer, related: str, move_to: Customer | None = None
) -> dict[str, int]:
    """Delete a customer for good; keep payments, refunds and events.

    `related` says what happens to memberships and sites: DELETE_RELATED (memberships are
    cancelled first) or MOVE_RELATED to `move_to`.
    """
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer.pk)
    if related == MOVE_RELATED:
        if move_to is None or move_to.pk == customer.pk:
            raise CustomerError(_("Choose another customer to move memberships and sites to."))
        move_to = Customer.objects.select_for_update().get(pk=move_to.pk)
    elif related != DELETE_RELATED:
        raise ValidationError(_("Choose what happens to memberships and sites."))

    counts = deletion_summary(customer)
    payload = {"counts": counts, "related": related}
    if move_to is not None:
        payload["moved_to"] = move_to.reference
    # Record first: afterwards the customer is gone and only the snapshot remains.
    record(
        "customer.deleted",
        actor=actor,
        obj=customer,
        payload=payload,
        severity=Event.Severity.WARNING,
    )

    memberships = Membership.objects.filter(customer=customer)
    sites = Site.objects.filter(customer=customer)
    if move_to is not None:
        sites.update(customer=move_to, updated_at=timezone.now())
        memberships.update(customer=move_to, updated_at=timezone.now())
    else:
        sites.delete()
        memberships.exclude(status=Membership.Status.CANCELLED).update(
            status=Membership.Status.CANCELLED,
            cancelled_at=timezone.now(),
            auto_renew=False,
            cancellation_reason=_("Customer deleted"),
        )
        memberships.delete()

    user = customer.user
    customer.delete()
    # Staff accounts only lose their customer record; they still run the network.
    if not user.is_staff:
        user.delete()
    return counts


@transaction.atomic
def customers_set_vip(*, actor: Actor, customers, vip: bool) -> int:
    """Mark (or unmark) several customers VIP, one event per customer that changed."""
    changed = 0
    for customer in customers.select_for_update().select_related("user").filter(vip=not vip):
        changed += bool(customer_update(actor=actor, customer=customer, values={"vip": vip}))
    return changed


@transaction.atomic
def customers_exported(*, actor: Actor, filters: dict, row_count: int) -> None:
    """Record that customer data left the system, and how much of it."""
    record(
        "customer.exported",
        actor=actor,
        payload={"filters": filters, "rows": row_count},
        severity=Event.Severity.WARNING,
    )

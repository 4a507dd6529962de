"""State changes of customers. Each runs in one transaction and records its event."""

import iptocc
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomField, LoginRecord, Note, User
from events.models import Event
from events.services import Actor, apply_changes, record
from memberships.models import Membership
from payments.models import Payment, Refund
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
    *,
    actor: Actor,
    customer: Customer,
    values: dict,
    user_values: dict | None = None,
    custom_fields: dict[str, str] | None = None,
    activate_pending_memberships: bool = False,
) -> dict:
    """Save changes to a customer, their login account and custom fields as one event.

    `custom_fields`, when given, is the complete new key → value mapping. Moving email
    verification from pending to verified can also activate the customer's pending
    memberships (each recorded as its own membership change). Returns the changes; when
    nothing changed, nothing is written.
    """
    customer = Customer.objects.select_related("user").locked(customer.pk)
    was_pending = customer.email_verification == Customer.EmailVerification.PENDING
    changes = apply_changes(customer.user, user_values or {})
    changes |= apply_changes(customer, values)
    old_fields = dict(customer.custom_fields.values_list("key", "value"))
    if custom_fields is not None and custom_fields != old_fields:
        changes["custom_fields"] = {"old": old_fields, "new": custom_fields}
    if not changes:
        return changes
    customer.user.full_clean()
    customer.full_clean()
    customer.user.save()
    customer.save()
    if "custom_fields" in changes:
        _replace_custom_fields(customer, custom_fields)
    record("customer.updated", actor=actor, obj=customer, payload={"changes": changes})
    now_verified = customer.email_verification == Customer.EmailVerification.VERIFIED
    if was_pending and now_verified and activate_pending_memberships:
        _activate_pending_memberships(actor, customer)
    return changes


def _replace_custom_fields(customer: Customer, fields: dict[str, str]) -> None:
    customer.custom_fields.exclude(key__in=fields).delete()
    for key, value in fields.items():
        field = CustomField(customer=customer, key=key, value=value)
        field.full_clean(exclude=["customer"], validate_unique=False)
        CustomField.objects.update_or_create(customer=customer, key=key, defaults={"value": value})


def _activate_pending_memberships(actor: Actor, customer: Customer) -> None:
    # Imported here: memberships.services imports customers.models, keep the cycle lazy.
    from memberships.services import membership_update

    for membership in customer.memberships.filter(status=Membership.Status.PENDING):
        membership_update(
            actor=actor,
            membership=membership,
            values={"status": Membership.Status.ACTIVE, "activated_at": timezone.now()},
        )


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
    customer = Customer.objects.select_related("user").locked(customer.pk)
    if related == MOVE_RELATED:
        if move_to is None or move_to.pk == customer.pk:
            raise CustomerError(_("Choose another customer to move memberships and sites to."))
        move_to = Customer.objects.locked(move_to.pk)
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
        moved = {"customer": move_to, "owner_search_text": move_to.search_text}
        sites.update(**moved, updated_at=timezone.now())
        memberships.update(**moved, updated_at=timezone.now())
    else:
        sites.delete()
        memberships.exclude(status=Membership.Status.CANCELLED).update(
            status=Membership.Status.CANCELLED,
            cancelled_at=timezone.now(),
            auto_renew=False,
            cancellation_reason=_("Customer deleted"),
        )
        memberships.delete()

    # The payments outlive the customer, found by their billing snapshot from now on.
    Payment.objects.filter(customer=customer).forget_customer_words()
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


@transaction.atomic
def note_add(*, actor: Actor, customer: Customer, text: str) -> Note:
    customer = Customer.objects.locked(customer.pk)
    note = Note(customer=customer, author=actor.user, author_repr=str(actor.user or ""), text=text)
    note.full_clean()
    note.save()
    record(
        "customer.updated",
        actor=actor,
        obj=customer,
        payload={"changes": {"notes": {"old": None, "new": text}}},
    )
    return note


@transaction.atomic
def note_delete(*, actor: Actor, note: Note) -> None:
    record(
        "customer.updated",
        actor=actor,
        obj=note.customer,
        payload={"changes": {"notes": {"old": note.text, "new": None}}},
    )
    note.delete()


@transaction.atomic
def verification_email_send(*, actor: Actor, customer: Customer, send) -> None:
    """Record that a verification email goes out, and send it once the transaction commits.

    `send` is a callable that sends the email (it needs the request to build the link).
    """
    if customer.email_verification != Customer.EmailVerification.PENDING:
        raise CustomerError(_("Only a customer whose verification is pending gets this email."))
    record(
        "customer.verification_sent",
        actor=actor,
        obj=customer,
        payload={"email": customer.email},
    )
    transaction.on_commit(send)


@transaction.atomic
def email_verified(*, actor: Actor, customer: Customer) -> None:
    """The customer proved they own their email address (they opened the link we sent)."""
    customer = Customer.objects.locked(customer.pk)
    if customer.email_verification == Customer.EmailVerification.VERIFIED:
        return
    changes = apply_changes(customer, {"email_verification": Customer.EmailVerification.VERIFIED})
    customer.save(update_fields=["email_verification", "updated_at"])
    record(
        "customer.email_verified",
        actor=actor,
        obj=customer,
        payload={"changes": changes},
        severity=Event.Severity.SUCCESS,
    )


@transaction.atomic
def login_recorded(*, customer: Customer, ip_address: str | None, user_agent: str) -> LoginRecord:
    """A real login of the customer (never an admin switching to them): keep its trace."""
    login = LoginRecord.objects.create(
        customer=customer,
        ip_address=ip_address,
        country=registered_country(ip_address),
        user_agent=user_agent[:500],
    )
    Customer.objects.filter(pk=customer.pk).update(last_login=login.created_at)
    return login


def registered_country(ip_address: str | None) -> str:
    """The country an IP address is registered to (offline lookup), or "" if unknown/private."""
    return (iptocc.country_code(ip_address) or "") if ip_address else ""

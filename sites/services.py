"""State changes of sites. Each runs in one transaction and records its event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer
from events.models import Event
from events.services import Actor, apply_changes, record, update_and_record
from memberships.models import Membership
from sites.models import Site


class SiteError(Exception):
    """A change the rules refuse; its message is shown to the admin as it is."""


def _settled(site: Site, values: dict) -> dict:
    """`values` with the owner the site rules derive from them; raise if the rules refuse them."""
    new_type = values.get("type", site.type)
    if site.type == Site.Type.MAIN and new_type != Site.Type.MAIN:
        raise SiteError(_("The main site's type can't change."))
    if (
        new_type == Site.Type.MAIN
        and Site.objects.filter(type=Site.Type.MAIN).exclude(pk=site.pk).exists()
    ):
        raise SiteError(_("There is already a main site."))
    if new_type != Site.Type.CUSTOMER_OWNED:
        return values | {"customer": None, "membership": None}
    membership = values.get("membership", site.membership)
    if membership is None:
        return values
    if membership.pk != site.membership_id:
        # Locked so a transfer can't move the membership to another customer meanwhile.
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
    customer = values.get("customer", membership.customer)
    if getattr(customer, "pk", None) != membership.customer_id:
        raise ValidationError(
            {
                "customer": _(
                    "The site's membership belongs to %(customer)s. Change or remove the "
                    "membership to move the site to another customer."
                )
                % {"customer": membership.customer}
            }
        )
    return values | {"customer": membership.customer, "membership": membership}


def site_transfer_target(site: Site, values: dict) -> Customer | None:
    """The customer that saving `values` would move `site` to from its current owner, if any.

    Joining another customer's membership moves the site to them; so does a new owner.
    """
    if site.customer_id is None or values.get("type", site.type) != Site.Type.CUSTOMER_OWNED:
        return None
    membership = values.get("membership", site.membership)
    owner = membership.customer if membership else values.get("customer", site.customer)
    return owner if owner is not None and owner.pk != site.customer_id else None


@transaction.atomic
def site_create(*, actor: Actor, **fields) -> Site:
    """Create a site; with a membership it belongs to that membership's customer."""
    site = Site()
    apply_changes(site, _settled(site, fields))
    if site.customer_id is not None:
        Customer.objects.locked(site.customer_id)
    site.full_clean()
    site.save()
    record("site.created", actor=actor, obj=site, severity=Event.Severity.SUCCESS)
    return site


@transaction.atomic
def site_update(*, actor: Actor, site: Site, values: dict) -> dict:
    """Save changes to a site as one event. Returns the changes; none means nothing written.

    A site moving from one customer to another (usually by joining another customer's
    membership) records `site.transferred`.
    """
    site.refresh_from_db(from_queryset=Site.objects.select_for_update())
    values = _settled(site, values)
    transferred = site_transfer_target(site, values) is not None
    action = "site.transferred" if transferred else "site.updated"
    return update_and_record(site, values, action=action, actor=actor)


@transaction.atomic
def site_delete(*, actor: Actor, site: Site) -> None:
    site.refresh_from_db(from_queryset=Site.objects.select_for_update())
    if not site.can_be_deleted():
        raise SiteError(_("The main site runs the network, so it can't be deleted."))
    # Record first: afterwards the site is gone and only the snapshot remains.
    record(
        "site.deleted",
        actor=actor,
        obj=site,
        payload={"url": site.url, "type": site.type},
        severity=Event.Severity.WARNING,
    )
    site.delete()

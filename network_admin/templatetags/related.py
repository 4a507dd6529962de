"""The one-line row of any object a related panel lists (customer and membership pages)."""

from django import template

from events.models import Event
from events.templatetags.event_ui import event_related_row
from memberships.models import Membership
from memberships.templatetags.membership_ui import membership_related_row
from network_admin.templatetags.ui import each
from payments.models import Payment
from payments.templatetags.payment_ui import payment_related_row
from sites.models import Site
from sites.templatetags.site_ui import site_related_row

register = template.Library()

ROWS = {
    Event: event_related_row,
    Membership: membership_related_row,
    Payment: payment_related_row,
    Site: site_related_row,
}


def related_row(obj):
    """`obj`'s row as its own app writes it."""
    return ROWS[obj._meta.model](obj)


register.simple_tag(each(related_row), name="related_rows")

"""The membership list's rows, and a membership as other pages list it (why in Python:
network_admin/templatetags/ui.py)."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from network_admin.dates import format_date, natural_time
from network_admin.links import object_url
from network_admin.templatetags.ui import (
    badge,
    calendar_date,
    choice_label,
    each,
    markup,
    price,
)

register = template.Library()


@register.simple_tag
def membership_expiration(membership):
    """When the membership ends, and how far off that is; "Lifetime" when it never does."""
    if membership.expires_at is None:
        return _("Lifetime")
    return markup(
        '{} <span class="cell-sub">{}</span>',
        calendar_date(membership.expires_at),
        natural_time(membership.expires_at),
    )


ROW = """<tr>
  <td><a class="ref" href="{url}">{reference}</a></td>
  <td>{badge}</td>
  <td>
    <a class="cell-title" href="{customer_url}">{customer_name}</a>
    <span class="cell-sub">{customer_email}</span>
  </td>
  <td>{plan}</td>
  <td class="price-cell">{price}</td>
  <td class="nowrap">{expiration}</td>
  <td class="nowrap">{created}</td>
</tr>"""

RELATED_ROW = """<li class="row">
  <code class="ref">{reference}</code>
  {badge}
  <span class="row-main">{plan}</span>
  <span class="row-fact">{price}</span>
  <span class="row-fact muted">{expires}</span>
  <a class="arrow" href="{url}" aria-label="{open_label}">→</a>
</li>"""


def membership_row(membership):
    """One membership of the list (`membership` with select_related("customer__user", "plan"))."""
    customer = membership.customer
    return markup(
        ROW,
        url=object_url("memberships:detail", membership.pk),
        reference=membership.reference,
        badge=badge(membership.status, choice_label(membership, "status")),
        customer_url=object_url("customers:detail", membership.customer_id),
        customer_name=customer.name,
        customer_email=customer.email,
        plan=membership.plan.name,
        price=price(membership),
        expiration=membership_expiration(membership),
        created=calendar_date(membership.created_at),
    )


register.simple_tag(each(membership_row), name="membership_rows")


@register.simple_tag
def membership_related_row(membership):
    """One membership in a panel of related rows, such as the customer page's Memberships
    (`membership` with select_related("plan"))."""
    reference = membership.reference
    if membership.expires_at is None:
        expires = _("Lifetime")
    else:
        date = format_date(timezone.localtime(membership.expires_at))
        expires = _("expires %(date)s") % {"date": date}
    return markup(
        RELATED_ROW,
        reference=reference,
        badge=badge(membership.status, choice_label(membership, "status")),
        plan=membership.plan.name,
        price=price(membership),
        expires=expires,
        url=object_url("memberships:detail", membership.pk),
        open_label=_("Open membership %(ref)s") % {"ref": reference},
    )

"""The payment list's rows, and a payment as other pages list it (why in Python:
network_admin/templatetags/ui.py)."""

from django import template
from django.utils.translation import gettext as _

from network_admin.links import object_url
from network_admin.templatetags.ui import (
    badge,
    calendar_date,
    choice_label,
    each,
    markup,
    money,
)

register = template.Library()


@register.simple_tag
def payment_customer(payment):
    """Who paid: the customer with a link, or the billing snapshot once the customer is deleted
    (`payment` with select_related("customer__user"), as `with_customer()` gives)."""
    if payment.customer_id:
        customer = payment.customer
        return markup(
            '<a class="cell-title" href="{}">{}</a>\n<span class="cell-sub">{}</span>',
            object_url("customers:detail", payment.customer_id),
            customer.name,
            customer.email,
        )
    return markup(
        '<span class="cell-title">{}</span>\n<span class="cell-sub" title="{}">{}</span>',
        payment.billing_name or _("Unknown"),
        _("The customer is gone; the payment keeps the billing details of the deleted customer."),
        _("Deleted customer"),
    )


ROW = """<tr>
  <td>
    <a class="ref" href="{url}">{reference}</a>
    {invoice}
  </td>
  <td>{badge}</td>
  <td>{customer}</td>
  <td class="num">
    {total}
    <span class="cell-sub">{gateway}</span>
  </td>
  <td class="nowrap">{created}</td>
</tr>"""

RELATED_ROW = """<li class="row">
  <code class="ref">{reference}</code>
  {badge}
  <span class="row-main">{total} <span class="muted small">{gateway}</span></span>
  <span class="row-fact muted">{created}</span>
  <a class="arrow" href="{url}" aria-label="{open_label}">→</a>
</li>"""


def _invoice(payment):
    if payment.invoice_number is None:
        return ""
    return markup(
        '<span class="cell-sub">{}</span>',
        _("Invoice #%(number)s") % {"number": payment.invoice_number},
    )


def payment_row(payment):
    """One payment of the list (`payment` from `with_customer()`)."""
    return markup(
        ROW,
        url=object_url("payments:detail", payment.pk),
        reference=payment.reference,
        invoice=_invoice(payment),
        badge=badge(payment.status, choice_label(payment, "status")),
        customer=payment_customer(payment),
        total=money(payment.total, payment.currency),
        gateway=choice_label(payment, "gateway") or _("No gateway"),
        created=calendar_date(payment.created_at),
    )


register.simple_tag(each(payment_row), name="payment_rows")


@register.simple_tag
def payment_related_row(payment):
    """One payment in a panel of related rows (customer and membership pages); needs only the
    payment's own fields."""
    reference = payment.reference
    return markup(
        RELATED_ROW,
        reference=reference,
        badge=badge(payment.status, choice_label(payment, "status")),
        total=money(payment.total, payment.currency),
        gateway=choice_label(payment, "gateway"),
        created=calendar_date(payment.created_at, hover=False),
        url=object_url("payments:detail", payment.pk),
        open_label=_("Open payment %(ref)s") % {"ref": reference},
    )

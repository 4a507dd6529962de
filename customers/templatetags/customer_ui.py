"""The bits of a customer that every customer list row shows, rendered in Python (see
network_admin/templatetags/ui.py for why)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from customers.switching import may_switch
from network_admin.templatetags.ui import badge, time_ago

register = template.Library()


@register.simple_tag
def last_login(customer):
    """ "Online" while the customer is using the app, else when they last logged in."""
    if customer.is_online:
        return format_html(
            '<span class="online"><span class="online-dot" aria-hidden="true"></span>{}</span>',
            _("Online"),
        )
    if customer.last_login:
        return time_ago(customer.last_login)
    return _("Never")


@register.simple_tag(takes_context=True)
def switch_to_button(context, customer):
    """The Switch to button: a POST that signs the admin in as `customer`.

    Shown only when the signed-in admin may switch to them (customers.switching.may_switch: the
    switch permission, and a customer who is active, not staff and not the admin themselves).
    """
    if not may_switch(hijacker=context["request"].user, hijacked=customer.user):
        return ""
    return format_html(
        '<form class="inline-form" method="post" action="{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button class="btn btn-secondary btn-sm" type="submit">'
        '{}<span class="visually-hidden"> {}</span></button></form>',
        reverse("customer_switch_to", args=[customer.pk]),
        context["csrf_token"],
        _("Switch to"),
        customer.name,
    )


@register.simple_tag
def customer_badge(customer):
    """VIP or Regular."""
    return badge("vip", _("VIP")) if customer.vip else badge("regular", _("Regular"))

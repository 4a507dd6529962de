"""The customer list's cards and rows, and the bits of a customer other pages show (why in
Python: network_admin/templatetags/ui.py)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from customers.switching import admin_switch_refusal, customer_switch_refusal
from network_admin.dates import format_date
from network_admin.links import object_url, object_url_writer
from network_admin.numbers import two_decimals
from network_admin.templatetags.ui import (
    badge,
    calendar_date,
    each,
    grouped,
    markup,
    prefilled,
    time_ago,
)

register = template.Library()


@register.simple_tag
def last_login(customer):
    """ "Online" while the customer is using the app, else when they last logged in."""
    if customer.is_online:
        return markup(
            '<span class="online"><span class="online-dot" aria-hidden="true"></span>{}</span>',
            _("Online"),
        )
    if customer.last_login:
        return time_ago(customer.last_login)
    return _("Never")


# The Switch to form; in the list's cards and rows {switch_url} and {name} are filled per
# customer, the rest once per render.
SWITCH_TO = (
    '<form class="inline-form" method="post" action="{switch_url}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token}">'
    '<button class="btn btn-secondary btn-sm" type="submit">'
    '{switch_label}<span class="visually-hidden"> {name}</span></button></form>'
)


@register.simple_tag(takes_context=True)
def switch_to_button(context, customer):
    """The Switch to button: a POST that signs the admin in as `customer`.

    Shown only when the signed-in admin may switch to them (customers.switching: the switch
    permission, and a customer who is active, not staff and not the admin themselves).
    """
    admin = context["request"].user
    if admin_switch_refusal(admin) or customer_switch_refusal(admin, customer.user):
        return ""
    return markup(
        SWITCH_TO,
        switch_url=object_url("customer_switch_to", customer.pk),
        csrf_token=context["csrf_token"],
        switch_label=_("Switch to"),
        name=customer.name,
    )


CARD = """<li class="card">
  <div class="card-header customer-card-header">
    <input type="checkbox" name="customers" value="{pk}" form="bulk-form" id="select-{pk}" class="select-box">
    <label for="select-{pk}" class="visually-hidden">{select_label}</label>
    <span class="avatar" aria-hidden="true">{initials}</span>
    <div class="customer-card-title">
      <a class="cell-title" href="{url}">{name}</a>
      <span class="muted small">#{pk}</span>
      <div class="muted small truncate">{email}</div>
    </div>
  </div>
  <dl class="card-body facts-rows">
    <div><dt>{last_login_label}</dt><dd>{last_login}</dd></div>
    <div><dt>{since_label}</dt><dd>{since}</dd></div>
    <div><dt>{memberships_label}</dt><dd><a href="{memberships_url}?customer={pk}">{memberships}</a></dd></div>
  </dl>
  <div class="card-footer cluster card-actions">
    {badge}
    <div class="cluster">
      {switch_to}
      <a class="btn btn-primary btn-sm" href="{url}">{manage_label}<span class="visually-hidden"> {name}</span></a>
    </div>
  </div>
</li>"""  # noqa: E501 (markup)

ROW = """<tr>
  <td>
    <input type="checkbox" name="customers" value="{pk}" form="bulk-form" id="select-{pk}">
    <label for="select-{pk}" class="visually-hidden">{select_label}</label>
  </td>
  <td>
    <div class="customer-cell">
      <span class="avatar" aria-hidden="true">{initials}</span>
      <div>
        <a class="cell-title" href="{url}">{name}</a>
        <span class="muted small">#{pk}</span>
        <div class="cell-sub">{email}</div>
      </div>
    </div>
  </td>
  <td>{badge}</td>
  <td class="nowrap">{last_login}</td>
  <td class="nowrap">{since}</td>
  <td class="num"><a href="{memberships_url}?customer={pk}">{memberships}</a></td>
  <td class="nowrap"><div class="cluster row-actions">{switch_to}<a class="btn btn-primary btn-sm" href="{url}">{manage_label}<span class="visually-hidden"> {name}</span></a></div></td>
</tr>"""  # noqa: E501 (markup)


def _customer_html(context, customer, kind: str) -> str:
    """One customer as a "card" or a "row" (`customer` from `as_listed()`): one template per
    render, filled with the customer's values, with the Switch to form when the admin may
    switch to them (the permission asked once per render, the customer's account per row)."""
    render = _list_render(context)
    name = customer.name
    values = {
        "pk": customer.pk,
        "url": render["detail_url"](customer.pk),
        "name": name,
        "email": customer.email,
        "initials": customer.initials,
        "select_label": render["select_label"] % {"name": name},
        "last_login": last_login(customer),
        "since": calendar_date(customer.created_at),
        "memberships": grouped(customer.membership_count),
        "badge": render["vip_badge" if customer.vip else "regular_badge"],
    }
    switch_url = render["switch_url"]
    if switch_url and not customer_switch_refusal(render["admin"], customer.user):
        return markup(render[kind], switch_url=switch_url(customer.pk), **values)
    return markup(render[f"{kind}_without_switch"], **values)


def _list_render(context) -> dict:
    """What every card or row of a render shows alike, made once per render (in Django's
    per-render tag storage): the card and row markup with their labels translated and filled in,
    with and without the Switch to form, the badges, and the writers of the customer's links."""
    cache = context.render_context
    if "customer_list_render" not in cache:
        admin = context["request"].user
        may_switch = admin_switch_refusal(admin) is None
        constants = {
            "last_login_label": _("Last login"),
            "since_label": _("Customer since"),
            "memberships_label": _("Memberships"),
            "manage_label": _("Manage"),
            "memberships_url": reverse("memberships:list"),
            "csrf_token": context["csrf_token"],
            "switch_label": _("Switch to"),
        }
        templates = {}
        for kind, template in (("card", CARD), ("row", ROW)):
            templates[kind] = prefilled(template.replace("{switch_to}", SWITCH_TO), **constants)
            without = template.replace("{switch_to}", "")
            templates[f"{kind}_without_switch"] = prefilled(without, **constants)
        cache["customer_list_render"] = templates | {
            "admin": admin,
            "detail_url": object_url_writer("customers:detail"),
            "switch_url": object_url_writer("customer_switch_to") if may_switch else None,
            "select_label": _("Select %(name)s"),
            "vip_badge": badge("vip", _("VIP")),
            "regular_badge": badge("regular", _("Regular")),
        }
    return cache["customer_list_render"]


@register.simple_tag(takes_context=True)
def customer_cards(context, customers):
    """The customers of the list's Cards view (from `as_listed()`), one card each."""
    return each(lambda customer: _customer_html(context, customer, "card"))(customers)


@register.simple_tag(takes_context=True)
def customer_rows(context, customers):
    """The customers of the list's Rows view (from `as_listed()`), one table row each."""
    return each(lambda customer: _customer_html(context, customer, "row"))(customers)


@register.simple_tag
def country(code):
    """A country by flag and name (the flag is decoration), or "Unknown"."""
    if not code:
        return _("Unknown")
    return markup(
        '<span class="country"><span aria-hidden="true">{}</span> {}</span>',
        code.unicode_flag,
        code.name,
    )


@register.simple_tag
def spending_bars(chart):
    """The bars of the customer page's spending chart (customers.charts.SpendingChart), each
    titled with its month and amount; a month without payments is a flat line."""
    return format_html_join(
        "",
        '<rect class="bar{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>',
        (
            (
                "" if bar.amount else " bar-empty",
                bar.x,
                bar.y if bar.amount else chart.height - 1,
                chart.bar_width,
                bar.height if bar.amount else 1,
                format_date(bar.month, "F Y"),
                two_decimals(bar.amount),
                chart.currency,
            )
            for bar in chart.bars
        ),
    )


@register.simple_tag
def login_history(logins):
    """The customer's recent logins, newest first: when, from which IP and country."""
    return format_html_join(
        "",
        "<li>{} · <code>{}</code> · {}</li>",
        (
            (
                calendar_date(login.created_at, "DATETIME_FORMAT", hover=False),
                login.ip_address or "—",
                country(login.country),
            )
            for login in logins
        ),
    )

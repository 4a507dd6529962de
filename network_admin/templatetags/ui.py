"""Markup that list rows repeat many times per page, rendered in Python.

Through Django's template engine a list row or card of ~20 variables and tags cost 0.3–0.6 ms,
most of it the engine's own work per node, and an `{% include %}` of a two-line template tens of
microseconds: a 25-row list spent more time there than in its queries. So, as Django's admin
does for its change list rows, each app's `<app>_ui` tags write a page's rows or cards, each
from a format string (every value escaped by `markup`, format_html's faster twin; `each` makes
the tag), and the templates keep the page around them; the small pieces those rows share are
here.
"""

import html
from functools import cache

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from network_admin.dates import format_date, natural_time
from network_admin.numbers import two_decimals

register = template.Library()


def markup(template: str, /, *args, **kwargs) -> SafeString:
    """`format_html`: `template` filled with `args` and `kwargs`, each escaped unless it is
    markup already. Django's escape() runs its lazy-string checks per value (~1 µs; a card has
    ~25 values); this escapes with the same html.escape directly."""
    return SafeString(
        template.format(
            *map(_escaped, args), **{name: _escaped(value) for name, value in kwargs.items()}
        )
    )


def each(row):
    """A tag that writes `row(item)` for every item of a sequence: a list page's rows in one
    tag instead of a template loop of row tags, which cost ~20 µs more a row (the loop's context
    and the tag's own work) than the row's markup."""

    def rows(items) -> SafeString:
        return SafeString("".join([row(item) for item in items]))

    return rows


def prefilled(template: str, /, **values) -> str:
    """`template` with `values` filled in and escaped as `markup` escapes them, its other fields
    kept for `markup` to fill: what every row of a render shows alike (labels, links), filled
    once per render instead of once per row. `template` has no literal braces."""
    filled = {
        name: _escaped(value).replace("{", "{{").replace("}", "}}")
        for name, value in values.items()
    }
    return template.format_map(_KeptFields(filled))


class _KeptFields(dict):
    def __missing__(self, name):
        return f"{{{name}}}"


def _escaped(value) -> str:
    # What conditional_escape does; a lazy string turns into text through str().
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.simple_tag
def badge(status, label=""):
    """A status as a badge: coloured by `status`, always with its text (never colour alone).

    `status` picks the colour (see "Badges" in static/css/app.css); `label` is the text shown,
    the status itself when empty.
    """
    return markup('<span class="badge badge-{}">{}</span>', status or "none", label or status)


def choice_label(instance, field_name: str) -> str:
    """What `instance.get_<field_name>_display()` says. Django rebuilds the field's choices as a
    dict on every such call (~8 µs); rows show a status or two each, so the dict is made once."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field.attname)
    return str(_choice_labels(field).get(value, value))


@cache
def _choice_labels(field) -> dict:
    return dict(field.flatchoices)


@register.simple_tag
def time_ago(when):
    """`when` as "3 minutes ago", with the exact date and time on hover."""
    local = timezone.localtime(when)
    return markup(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        format_date(local, "DATETIME_FORMAT"),
        natural_time(when),
    )


@register.simple_tag
def calendar_date(when, shown="DATE_FORMAT", *, hover=True):
    """The date of `when` (or another of the language's formats), with the exact date and time
    on hover unless `hover` is False (a one-line row, where the date is a side fact)."""
    local = timezone.localtime(when)
    if not hover:
        return markup('<time datetime="{}">{}</time>', local.isoformat(), format_date(local, shown))
    return markup(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        format_date(local, "DATETIME_FORMAT"),
        format_date(local, shown),
    )


@register.simple_tag
def timestamp(when):
    """The exact date and time of `when`, then how long ago it was; "Never" without one."""
    if not when:
        return _("Never")
    return markup(
        '{} <span class="muted small">{}</span>',
        calendar_date(when, "DATETIME_FORMAT", hover=False),
        natural_time(when),
    )


def grouped(number: int) -> str:
    """`intcomma(number)`: a whole number with its digits grouped as the language does.

    No language groups fewer than four digits, so a smaller number (most counts a row shows)
    skips intcomma's locale lookups (~10 µs).
    """
    return str(number) if -1000 < number < 1000 else intcomma(number)


@register.filter
def count_or_estimate(count: tuple[int, bool]) -> str:
    """A (count, is_estimate) pair of network_admin.pagination's counts, grouped as the language
    does: "≈" before an estimate."""
    number, is_estimate = count
    return f"≈{grouped(number)}" if is_estimate else grouped(number)


@register.simple_tag
def money(amount, currency):
    """An amount with its ISO 4217 currency code, two decimals, grouped as the language does."""
    return markup(
        '<span class="money">{} <span class="currency">{}</span></span>',
        two_decimals(amount),
        currency,
    )


# One function per unit, so that a row asks for the one translation it shows.
BILLING_CYCLES = {
    "day": lambda count: ngettext("every day", "every %(counter)s days", count),
    "week": lambda count: ngettext("every week", "every %(counter)s weeks", count),
    "month": lambda count: ngettext("every month", "every %(counter)s months", count),
    "year": lambda count: ngettext("every year", "every %(counter)s years", count),
}


def _billing_cycle(duration: int, unit: str) -> str:
    """ "every month", "every 3 months"…"""
    cycle = BILLING_CYCLES.get(unit)
    return cycle(duration) % {"counter": duration} if cycle else ""


@register.simple_tag
def price(priced):
    """What a product or membership costs over time: "29.00 USD every month", "… one time", or
    "Free". `priced` has amount, currency, recurring, duration and duration_unit."""
    if not priced.amount:
        return _("Free")
    return markup(
        '{} <span class="muted">{}</span>',
        money(priced.amount, priced.currency),
        _billing_cycle(priced.duration, priced.duration_unit)
        if priced.recurring
        else _("one time"),
    )


@register.simple_tag
def reference(code):
    """A reference code people copy: selectable text, and a copy button where JavaScript runs."""
    return markup(
        '<span class="reference"><code class="ref">{}</code><button type="button" '
        'class="copy btn btn-link btn-sm" data-copy="{}" hidden>{}</button></span>',
        code,
        code,
        _("Copy"),
    )


# The drawing of each line icon (24×24 viewBox), by the name of the section it stands for.
ICONS = {
    "dashboard": '<rect x="3" y="3" width="7" height="9" rx="1.5"/>'
    '<rect x="14" y="3" width="7" height="5" rx="1.5"/>'
    '<rect x="14" y="12" width="7" height="9" rx="1.5"/>'
    '<rect x="3" y="16" width="7" height="5" rx="1.5"/>',
    "customers": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4 3.6-7 8-7s8 3 8 7"/>',
    "memberships": '<path d="M12 3l9 5-9 5-9-5z"/><path d="M3 13l9 5 9-5"/>',
    "payments": '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20M6 15h4"/>',
    "sites": '<rect x="3" y="4" width="18" height="16" rx="2"/>'
    '<path d="M3 9h18M6.5 6.5h.01M9.5 6.5h.01"/>',
    "events": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "products": '<path d="M3 7.5l9-4.5 9 4.5v9L12 21l-9-4.5z"/>'
    '<path d="M3 7.5l9 4.5 9-4.5M12 12v9"/>',
}
DEFAULT_ICON = '<circle cx="12" cy="12" r="3"/>'


@register.simple_tag
def icon(name):
    """A small line icon, decorative only (the text beside it carries the meaning)."""
    return mark_safe(  # noqa: S308 (fixed markup from ICONS, no user input)
        '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        + ICONS.get(name, DEFAULT_ICON)
        + "</svg>"
    )

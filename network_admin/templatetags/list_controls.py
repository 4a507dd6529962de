"""The controls around a list page's rows: its tabs with their counts, the Cards / Rows switch
and the keyset page links.

Written in Python for the reason the rows are (network_admin/templatetags/ui.py): as template
includes these three took ~0.9 ms of the customer list's ~13 ms view on a slow machine, ten
`{% querystring %}` tags and a `{% csrf_token %}` among them, on every list page view.
"""

from urllib.parse import urlencode

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from network_admin.templatetags.ui import grouped, markup

register = template.Library()


def query_string(query, **changes) -> str:
    """`query` (a QueryDict) with `changes` made, None removing a key: what `{% querystring %}`
    writes (the keys in the same order, "?" alone when none is left) without building a
    QueryDict for every link."""
    pairs = []
    for key, values in query.lists():
        if key not in changes:
            pairs.extend((key, value) for value in values)
        elif changes[key] is not None:
            pairs.append((key, changes[key]))
    pairs.extend(
        (key, value) for key, value in changes.items() if value is not None and key not in query
    )
    return "?" + urlencode(pairs)


TAB = '<a href="{href}"{current}>{label} <span class="count">{before}{count}{after}</span></a>'


@register.simple_tag(takes_context=True)
def list_tabs(context, label):
    """The list's tabs (`tabs`, from network_admin.pagination.list_tab; the current one is
    `tab`): links that keep the search and sort and start at the first page, each with its
    count, "≈" before an estimate and "+" after a count that stopped at its cap."""
    query = context["request"].GET
    current = context["tab"]
    links = [
        markup(
            TAB,
            href=query_string(query, tab=item["key"], after=None, before=None, page=None),
            current=SafeString(' aria-current="page"' if item["key"] == current else ""),
            label=item["label"],
            before="≈" if item["is_estimate"] else "",
            count=grouped(item["count"]),
            after="+" if item["more"] else "",
        )
        for item in context["tabs"]
    ]
    return markup('<nav class="tabs" aria-label="{}">{}</nav>', label, SafeString("".join(links)))


VIEW_BUTTON = (
    '<form method="post" action="{action_url}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token}">'
    '<input type="hidden" name="view" value="{key}">'
    '<input type="hidden" name="next" value="{next}">'
    '<button class="btn btn-sm {style}" type="submit" aria-pressed="{pressed}">{label}</button>'
    "</form>"
)


@register.simple_tag(takes_context=True)
def view_switch(context, label, action_url, list_url):
    """The Cards / Rows buttons (`views`: key → label; the current one is `view`): each a POST
    to `action_url` that remembers the admin's choice and comes back to `list_url` with the
    same query, less its ?view=."""
    back = list_url + query_string(context["request"].GET, view=None)
    current = context["view"]
    buttons = [
        markup(
            VIEW_BUTTON,
            action_url=action_url,
            csrf_token=context["csrf_token"],
            key=key,
            next=back,
            style="btn-primary" if key == current else "btn-secondary",
            pressed="true" if key == current else "false",
            label=view_label,
        )
        for key, view_label in context["views"].items()
    ]
    return markup(
        '<div class="cluster view-switch" role="group" aria-label="{}">{}</div>',
        label,
        SafeString("".join(buttons)),
    )


PAGE_LINK = '<li><a href="{}" rel="{}">{}</a></li>'
NO_PAGE = '<li><span class="disabled" aria-disabled="true">{}</span></li>'


@register.simple_tag(takes_context=True)
def keyset_pagination(context, label, target="customer-results"):
    """First / previous / next / last links of the keyset page `page`
    (network_admin.pagination.KeysetPage), loaded into the element `target` by htmx where it
    runs; nothing when the page is the only one."""
    page = context["page"]
    if page.is_only_page:
        return ""
    query = context["request"].GET
    links = []
    if page.has_previous:
        first = query_string(query, after=None, before=None, page=None)
        previous = query_string(query, after=None, page=None, before=page.first_cursor)
        links += [
            markup(PAGE_LINK, first, "first", _("« First")),
            markup(PAGE_LINK, previous, "prev", _("‹ Previous")),
        ]
    else:
        links += [markup(NO_PAGE, _("« First")), markup(NO_PAGE, _("‹ Previous"))]
    if page.has_next:
        following = query_string(query, before=None, page=None, after=page.last_cursor)
        last = query_string(query, after=None, before=None, page="last")
        links += [
            markup(PAGE_LINK, following, "next", _("Next ›")),
            markup(PAGE_LINK, last, "last", _("Last »")),
        ]
    else:
        links += [markup(NO_PAGE, _("Next ›")), markup(NO_PAGE, _("Last »"))]
    return markup(
        '<nav class="pagination" aria-label="{}" hx-boost="true" hx-target="#{}"><ul>{}</ul></nav>',
        label,
        target,
        SafeString("".join(links)),
    )

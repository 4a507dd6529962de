"""The site list's cards and rows, and the row of a site other pages list (why in Python:
network_admin/templatetags/ui.py)."""

from django import template
from django.utils.translation import gettext as _

from network_admin.links import object_url
from network_admin.templatetags.ui import (
    badge,
    calendar_date,
    choice_label,
    each,
    icon,
    markup,
)

register = template.Library()


@register.simple_tag
def site_badges(site):
    """The site's type, and "Inactive" beside it when it is switched off."""
    type_badge = badge(site.type, choice_label(site, "type"))
    if site.active:
        return type_badge
    return markup("{} {}", type_badge, badge("inactive", _("Inactive")))


def _owner(site):
    """The owning customer, linked, or "Network" for the network's own sites."""
    if site.customer_id is None:
        return markup('<span class="muted">{}</span>', _("Network"))
    return markup(
        '<a href="{}">{}</a>',
        object_url("customers:detail", site.customer_id),
        site.customer.name,
    )


CARD = """<li class="card">
  <div class="site-preview">
    {icon}
    <span class="site-preview-badges">{badges}</span>
  </div>
  <div class="card-body stack">
    <div>
      <a class="cell-title" href="{url}">{title}</a>
      <span class="muted small">#{pk}</span>
    </div>
    <a class="site-url small" href="{site_url}" rel="noreferrer">{site_url}</a>
    <dl class="facts-rows">
      <div><dt>{owner_label}</dt><dd>{owner}</dd></div>
    </dl>
  </div>
  <div class="card-footer cluster card-actions">
    <span class="muted small">{created}</span>
    <a class="btn btn-primary btn-sm" href="{url}">{manage_label}<span class="visually-hidden"> {title}</span></a>
  </div>
</li>"""  # noqa: E501 (markup)

ROW = """<tr>
  <td>
    <a class="cell-title" href="{url}">{title}</a>
    <span class="muted small">#{pk}</span>
    <div class="cell-sub"><a class="site-url" href="{site_url}" rel="noreferrer">{site_url}</a></div>
  </td>
  <td>{badges}</td>
  <td>{owner}</td>
  <td class="nowrap">{created}</td>
  <td class="nowrap"><a class="btn btn-primary btn-sm" href="{url}">{manage_label}<span class="visually-hidden"> {title}</span></a></td>
</tr>"""  # noqa: E501 (markup)

RELATED_ROW = """<li class="row">
  <code class="ref">{reference}</code>
  {state}
  <span class="row-main">{title} <span class="muted small">{site_url}</span></span>
  <span class="row-fact muted">{created}</span>
  <a class="arrow" href="{url}" aria-label="{open_label}">→</a>
</li>"""


def _site_values(site) -> dict:
    return {
        "pk": site.pk,
        "url": object_url("sites:detail", site.pk),
        "title": site.title,
        "site_url": site.url,
        "icon": icon("sites"),
        "badges": site_badges(site),
        "owner_label": _("Owner"),
        "owner": _owner(site),
        "created": calendar_date(site.created_at),
        "manage_label": _("Manage"),
    }


def site_card(site):
    """One site of the list's Cards view (`site` from `with_owner()`)."""
    return markup(CARD, **_site_values(site))


def site_row(site):
    """One site of the list's Rows view (`site` from `with_owner()`)."""
    return markup(ROW, **_site_values(site))


register.simple_tag(each(site_card), name="site_cards")
register.simple_tag(each(site_row), name="site_rows")


@register.simple_tag
def site_related_row(site):
    """One site in a panel of related rows (the customer and membership pages): reference,
    whether it is active, title and address, creation date and an arrow to its page."""
    return markup(
        RELATED_ROW,
        reference=site.reference,
        state=badge("active", _("Active")) if site.active else badge("inactive", _("Inactive")),
        title=site.title,
        site_url=site.url,
        created=calendar_date(site.created_at, hover=False),
        url=object_url("sites:detail", site.pk),
        open_label=_("Open site %(title)s") % {"title": site.title},
    )

"""The events table's rows, and the row of an event other pages list (why in Python:
network_admin/templatetags/ui.py)."""

from django import template
from django.utils.translation import gettext as _

from network_admin.links import object_url
from network_admin.templatetags.ui import badge, choice_label, each, markup, time_ago

register = template.Library()


@register.simple_tag
def event_object(event):
    """The object `event` is about: a link to its page, its name when it was deleted or has no
    page (deleted objects are known only on events from `with_object_exists()`)."""
    if event.object_url:
        return markup('<a href="{}">{}</a>', event.object_url, event.object_repr)
    if event.object_is_gone:
        return markup('{} <span class="muted small">{}</span>', event.object_repr, _("(deleted)"))
    return event.object_repr or "—"


ROW = """<tr>
  <td class="nowrap">{time}</td>
  <td class="nowrap">{actor}</td>
  <td class="event-sentence"><a href="{url}">{sentence}</a></td>
  <td><div class="cluster event-action"><code class="code">{action}</code>{severity}</div></td>
  <td>{object}</td>
</tr>"""

RELATED_ROW = """<li class="row">
  <span class="row-main">{sentence}</span>
  <span class="row-fact muted">{time}</span>
  <a class="arrow" href="{url}" aria-label="{open_label}">→</a>
</li>"""


def event_row(event):
    """One event of the events table (`event` from `with_object_exists()`, so that deleted
    objects are named, not linked)."""
    return markup(
        ROW,
        time=time_ago(event.created_at),
        actor=event.actor_name,
        url=object_url("events:detail", event.pk),
        sentence=event.sentence,
        action=event.action,
        severity=badge(event.severity, choice_label(event, "severity")),
        object=event_object(event),
    )


register.simple_tag(each(event_row), name="event_rows")


@register.simple_tag
def event_related_row(event):
    """One event in the Events panel of the customer and membership pages: what happened, when,
    and an arrow to the event's page."""
    return markup(
        RELATED_ROW,
        sentence=event.sentence,
        time=time_ago(event.created_at),
        url=object_url("events:detail", event.pk),
        open_label=_("Open event"),
    )

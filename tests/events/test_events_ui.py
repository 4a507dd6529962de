"""An event's row in the events table and in the panels of other pages, as a user reads it."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from events.models import Event
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load event_ui %}" + source).render(Context(context))


def listed(event) -> Event:
    return Event.objects.with_object_exists().get(pk=event.pk)


def test_an_event_row_shows_time_actor_sentence_action_severity_and_links_the_object(customer):
    event = EventFactory(
        action="customer.created",
        actor_repr="Jane <Admin>",
        object_type="customer",
        object_id=customer.pk,
        object_repr="Ada & Co",
        severity=Event.Severity.WARNING,
        created_at=timezone.now() - timedelta(days=2),
    )

    html = render("{% event_rows events %}", events=[listed(event)])

    assert '<td class="nowrap">Jane &lt;Admin&gt;</td>' in html
    assert "2\xa0days ago</time>" in html
    detail = reverse("events:detail", args=[event.pk])
    assert f'<a href="{detail}">Jane &lt;Admin&gt; created customer Ada &amp; Co</a>' in html
    assert '<code class="code">customer.created</code>' in html
    assert '<span class="badge badge-warning">Warning</span>' in html
    customer_page = reverse("customers:detail", args=[customer.pk])
    assert f'<td><a href="{customer_page}">Ada &amp; Co</a></td>' in html


def test_a_deleted_object_is_named_not_linked_in_indonesian_too(db):
    event = EventFactory(object_type="site", object_id=10**9, object_repr="<i>Old</i> site")

    html = render("{% event_rows events %}", events=[listed(event)])
    assert '<td>&lt;i&gt;Old&lt;/i&gt; site <span class="muted small">(deleted)</span></td>' in html

    with translation.override("id"):
        assert "(dihapus)" in render("{% event_rows events %}", events=[listed(event)])


def test_an_event_about_nothing_shows_a_dash_for_its_object(db):
    event = EventFactory(action="auth.login_failed", object_type="", object_repr="")
    assert "<td>—</td>" in render("{% event_rows events %}", events=[listed(event)])


def test_the_event_object_tag_names_the_object_on_the_event_page(customer):
    event = EventFactory(object_type="customer", object_id=customer.pk, object_repr="Ada")
    assert render("{% event_object event %}", event=listed(event)) == (
        f'<a href="{reverse("customers:detail", args=[customer.pk])}">Ada</a>'
    )


def test_a_related_event_row_says_what_happened_when_and_opens_the_event(db):
    event = EventFactory(
        action="customer.created",
        object_repr="<b>Ada</b>",
        created_at=timezone.now() - timedelta(minutes=3),
    )

    html = render("{% event_related_row event %}", event=event)

    sentence = "Jane Admin created customer &lt;b&gt;Ada&lt;/b&gt;"
    assert f'<span class="row-main">{sentence}</span>' in html
    assert "3\xa0minutes ago</time>" in html
    detail = reverse("events:detail", args=[event.pk])
    assert f'<a class="arrow" href="{detail}" aria-label="Open event">→</a>' in html
    with translation.override("id"):
        assert 'aria-label="Buka peristiwa"' in render("{% event_related_row event %}", event=event)

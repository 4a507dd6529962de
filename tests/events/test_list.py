"""The events list: newest first, one sentence per event, filters, keyset pages."""

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import OBJECT_PAGES, Event
from events.views import PER_PAGE
from tests.factories import CustomerFactory, EventFactory, UserFactory
from tests.queries import get_with_statements

pytestmark = pytest.mark.django_db

URL = reverse("events:list")


def ids_on(response) -> list[int]:
    return [event.pk for event in response.context["page"].rows]


def test_events_are_listed_newest_first_with_time_actor_sentence_action_and_object(admin_client):
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    older = EventFactory(created_at=timezone.now() - timedelta(days=2), action="customer.created")
    newer = EventFactory(
        action="payment.refunded",
        object_type="customer",
        object_id=customer.pk,
        object_repr="Ada Lovelace",
        payload={"amount": "20.00", "currency": "USD"},
        severity=Event.Severity.SUCCESS,
    )

    response = admin_client.get(URL)

    assert ids_on(response) == [newer.pk, older.pk]
    page = html.unescape(response.content.decode())
    assert "Jane Admin refunded 20.00 USD of payment Ada Lovelace" in page
    assert "payment.refunded" in page and 'class="badge badge-success">Success<' in page
    assert "2\xa0days ago" in page
    assert f'title="{date_filter(older.created_at, "DATETIME_FORMAT")}"' in page
    assert f'href="{reverse("customers:detail", args=[customer.pk])}">Ada Lovelace</a>' in page
    assert f'href="{reverse("events:detail", args=[newer.pk])}"' in page


def test_events_done_by_the_system_say_so(admin_client):
    EventFactory(actor_repr="", action="customer.created", object_repr="Ada")
    page = admin_client.get(URL).content.decode()
    assert "System created customer Ada" in page


def test_an_object_that_was_deleted_is_named_not_linked(admin_client):
    customer = CustomerFactory()
    EventFactory(object_type="customer", object_id=customer.pk, object_repr="Gone Customer")
    customer_id = customer.pk
    customer.user.delete()

    page = admin_client.get(URL).content.decode()

    assert "Gone Customer <span" in page and "(deleted)" in page
    assert reverse("customers:detail", args=[customer_id]) not in page


def test_an_object_whose_page_does_not_exist_yet_is_named(admin_client, monkeypatch):
    customer = CustomerFactory()
    monkeypatch.setitem(OBJECT_PAGES, "customer", ("customers.Customer", "customers:no_such_page"))
    EventFactory(object_type="customer", object_id=customer.pk, object_repr="Still Here")

    page = admin_client.get(URL).content.decode()

    assert "Still Here" in page
    assert "(deleted)" not in page


def test_each_filter_narrows_the_list(admin_client, network_admin):
    ada = CustomerFactory()
    grace = CustomerFactory()
    refund = EventFactory(action="payment.refunded", actor=network_admin, customer_id=ada.pk)
    system = EventFactory(
        action="customer.created", actor_repr="", severity="success", customer_id=grace.pk
    )
    failed = EventFactory(action="payment.refund_failed", severity="error", actor=network_admin)

    assert ids_on(admin_client.get(URL, {"action": "payment.refunded"})) == [refund.pk]
    assert ids_on(admin_client.get(URL, {"severity": "error"})) == [failed.pk]
    assert ids_on(admin_client.get(URL, {"actor": "system"})) == [system.pk]
    by_admin = admin_client.get(URL, {"actor": str(network_admin.pk)})
    assert ids_on(by_admin) == [failed.pk, refund.pk]
    assert ids_on(admin_client.get(URL, {"customer": ada.pk})) == [refund.pk]
    combined = admin_client.get(URL, {"actor": network_admin.pk, "severity": "info"})
    assert ids_on(combined) == [refund.pk]


def test_the_actor_filter_offers_role_holders_yourself_and_the_system(client):
    UserFactory(is_staff=True, role="Support agent", first_name="Sam", last_name="Agent")
    me = UserFactory(is_staff=True, is_superuser=True, first_name="Sue", last_name="Root")
    customer = CustomerFactory(user__first_name="Not", user__last_name="Staff")
    client.force_login(me)
    page = client.get(URL).content.decode()
    for option in (">Sam Agent</option>", ">Sue Root</option>", ">System</option>"):
        assert option in page
    assert customer.name not in page


def test_a_customer_who_acted_can_be_chosen_as_actor(admin_client):
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    verified = EventFactory(action="customer.email_verified", actor=customer.user)
    EventFactory(action="customer.created")
    response = admin_client.get(URL, {"actor": customer.user.pk})
    assert ids_on(response) == [verified.pk]
    assert f'<option value="{customer.user.pk}" selected>Ada Lovelace</option>' in (
        response.content.decode()
    )


def test_the_customer_filter_names_the_customer_and_can_be_removed(admin_client):
    ada = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    EventFactory(customer_id=ada.pk, action="payment.refunded")
    page = admin_client.get(URL, {"customer": ada.pk, "severity": "info"}).content.decode()
    assert "Customer:" in page and "Ada Lovelace" in page
    assert 'href="?severity=info"' in page
    assert f'type="hidden" name="customer" value="{ada.pk}"' in page


def test_filtering_by_a_deleted_customer_still_lists_their_events(admin_client):
    ada = CustomerFactory()
    event = EventFactory(customer_id=ada.pk)
    ada_id = ada.pk
    ada.user.delete()
    response = admin_client.get(URL, {"customer": ada_id})
    assert ids_on(response) == [event.pk]
    assert f"#{ada_id} (deleted)" in response.content.decode()


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Jakarta", "America/Los_Angeles"])
def test_the_date_range_takes_whole_days_in_the_admins_time_zone(admin_client, time_zone):
    zone = ZoneInfo(time_zone)
    first_minute = EventFactory(created_at=datetime(2026, 3, 10, 0, 0, tzinfo=zone))
    last_minute = EventFactory(created_at=datetime(2026, 3, 11, 23, 59, tzinfo=zone))
    EventFactory(created_at=datetime(2026, 3, 9, 23, 59, tzinfo=zone))
    EventFactory(created_at=datetime(2026, 3, 12, 0, 0, tzinfo=zone))

    with timezone.override(zone):
        response = admin_client.get(URL, {"since": "2026-03-10", "until": "2026-03-11"})

    assert ids_on(response) == [last_minute.pk, first_minute.pk]


def test_a_backwards_date_range_is_explained_next_to_its_field(admin_client):
    event = EventFactory(created_at=datetime(2026, 3, 10, 12, tzinfo=ZoneInfo("UTC")))
    response = admin_client.get(URL, {"since": "2026-03-10", "until": "2026-03-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    # The valid half of the range still applies.
    assert ids_on(response) == [event.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"action": "customer.hacked"},
        {"severity": "catastrophic"},
        {"actor": "999999"},
        {"actor": "99999999999999999999"},
        {"customer": "99999999999999999999"},
        {"actor": "'; drop table events_event; --"},
        {"customer": "abc"},
        {"customer": "-1"},
        {"since": "yesterday"},
        {"until": "2026-02-30"},
        {"since": "0001-01-01", "until": "9999-12-31"},
        {"after": "not-a-cursor"},
        {"before": ""},
        {"page": "999"},
    ],
)
def test_bad_filters_give_a_sensible_page(admin_client, params):
    EventFactory.create_batch(2)
    response = admin_client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 2


def test_pages_walk_from_the_newest_to_the_oldest_and_back(admin_client, monkeypatch):
    monkeypatch.setattr("events.views.PER_PAGE", 2)
    now = timezone.now()
    events = [EventFactory(created_at=now - timedelta(minutes=n)) for n in range(5)]
    newest_first = [event.pk for event in events]

    first = admin_client.get(URL)
    second = admin_client.get(URL, {"after": first.context["page"].last_cursor})
    last = admin_client.get(URL, {"page": "last"})
    back = admin_client.get(URL, {"before": second.context["page"].first_cursor})

    assert ids_on(first) == newest_first[:2]
    assert ids_on(second) == newest_first[2:4]
    assert ids_on(last) == newest_first[3:]
    assert ids_on(back) == newest_first[:2]
    assert 'rel="next"' in first.content.decode()


def test_an_actions_pages_find_their_keys_first_and_walk_to_the_oldest(admin_client, monkeypatch):
    monkeypatch.setattr("events.views.PER_PAGE", 2)
    now = timezone.now()
    refunds = [
        EventFactory(action="payment.refunded", created_at=now - timedelta(minutes=n))
        for n in range(5)
    ]
    EventFactory(action="customer.created", created_at=now - timedelta(minutes=2, seconds=30))
    newest_first = [event.pk for event in refunds]
    action = {"action": "payment.refunded"}

    first = admin_client.get(URL, action)
    second = admin_client.get(URL, {**action, "after": first.context["page"].last_cursor})
    last, statements = get_with_statements(admin_client, URL, {**action, "page": "last"})

    assert [ids_on(first), ids_on(second), ids_on(last)] == [
        newest_first[:2],
        newest_first[2:4],
        newest_first[3:],
    ]
    # The page's keys in a subquery of their own, and whether each object still exists asked
    # of the page's rows only.
    [page_query] = [statement for statement in statements if "events_event" in statement]
    assert page_query.count('FROM "events_event"') == 2


def test_paging_seeks_by_key_and_never_counts_or_skips_rows(admin_client, monkeypatch):
    monkeypatch.setattr("events.views.PER_PAGE", 2)
    EventFactory.create_batch(5)
    cursor = admin_client.get(URL).context["page"].last_cursor
    for params in ({"after": cursor}, {"page": "last"}):
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(URL, params)
        page_query = queries.captured_queries[-1]["sql"]
        assert "events_event" in page_query
        assert "OFFSET" not in page_query.upper()
        assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


@pytest.mark.parametrize("rows", [1, 60])
def test_the_list_runs_the_same_queries_whatever_the_rows(
    admin_client, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        customer = CustomerFactory()
        EventFactory(object_type="customer", object_id=customer.pk, customer_id=customer.pk)
    # Session, user, the permissions, the actor choices, the page of events.
    with django_assert_max_num_queries(5):
        response = admin_client.get(URL)
    assert len(response.context["page"].rows) == min(rows, PER_PAGE)


def test_empty_states_tell_nothing_yet_from_no_match(admin_client):
    assert "No events yet" in admin_client.get(URL).content.decode()
    EventFactory(action="customer.created")
    page = admin_client.get(URL, {"action": "payment.refunded"}).content.decode()
    assert "No events match these filters" in page and "No events yet" not in page
    assert "Clear filters" in page


def test_htmx_paging_swaps_only_the_results(admin_client):
    EventFactory(action="customer.created", object_repr="Ada")
    response = admin_client.get(URL, headers={"HX-Request": "true", "HX-Target": "event-results"})
    page = response.content.decode()
    assert "created customer Ada" in page
    assert "<html" not in page and "<form" not in page
    assert "HX-Request" in response["Vary"]


def test_support_agents_can_read_the_list(agent_client):
    EventFactory()
    assert agent_client.get(URL).status_code == 200


def test_the_list_offers_no_way_to_change_or_delete_events(admin_client):
    event = EventFactory()
    page = admin_client.get(URL).content.decode()
    assert 'method="post"' not in page.split('<main id="main"')[1]
    assert admin_client.post(reverse("events:detail", args=[event.pk])).status_code == 405

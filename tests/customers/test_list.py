from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import models as customer_models
from customers import views as customer_views
from customers.models import Customer
from customers.services import customer_update
from events.models import Event
from events.services import Actor
from tests.factories import (
    CustomerFactory,
    LoginRecordFactory,
    MembershipFactory,
    customer_of_fixed_words,
)
from tests.queries import finds_keys_first, get_with_statements

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")


def names_on(response) -> list[str]:
    return [customer.name for customer in response.context["page"].rows]


def names_from(client, first, params) -> list[str]:
    """The names on `first` (the list's response to `params`) and on every page after it."""
    response, seen = first, names_on(first)
    while response.context["page"].has_next:
        response = client.get(URL, params | {"after": response.context["page"].last_cursor})
        seen += names_on(response)
    return seen


def test_tabs_show_their_customers_and_counts(admin_client):
    regular = CustomerFactory(user__first_name="Regular", user__last_name="Rita")
    vip = CustomerFactory(vip=True, user__first_name="Vip", user__last_name="Victor")
    online = CustomerFactory(
        user__first_name="Online", user__last_name="Olga", last_seen=timezone.now()
    )
    CustomerFactory(last_seen=timezone.now() - timedelta(minutes=4))

    response = admin_client.get(URL)
    assert response.status_code == 200
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"all": 4, "vip": 1, "online": 1}
    assert regular.name in names_on(response)
    assert names_on(admin_client.get(URL, {"tab": "vip"})) == [vip.name]
    assert names_on(admin_client.get(URL, {"tab": "online"})) == [online.name]
    page = admin_client.get(URL, {"tab": "online"}).content.decode()
    assert "Online Customers" in page and "VIP Customers" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="kept counts need PostgreSQL")
def test_the_online_count_is_kept_a_few_seconds_then_counted_again(
    admin_client, kept_numbers_clock
):
    def tab_counts():
        response = admin_client.get(URL)
        return {tab["key"]: tab["count"] for tab in response.context["tabs"]}

    # The same minute throughout: the Online tab's cutoff, and so its count's key, stay put.
    with time_machine.travel(timezone.now(), tick=False):
        CustomerFactory(last_seen=timezone.now())
        assert tab_counts() == {"all": 1, "vip": 0, "online": 1}
        CustomerFactory(last_seen=timezone.now(), vip=True)
        kept_numbers_clock.advance(customer_views.ONLINE_COUNT_SECONDS - 0.1)
        with CaptureQueriesContext(connection) as queries:
            counts = tab_counts()
        assert counts == {"all": 2, "vip": 1, "online": 1}
        # The tabs are counted in one statement, without the Online tab's.
        counted = [
            query["sql"] for query in queries if query["sql"].startswith("SELECT (SELECT COUNT(*)")
        ]
        assert len(counted) == 1 and counted[0].count("COUNT(*)") == 2
        kept_numbers_clock.advance(0.2)
        assert tab_counts() == {"all": 2, "vip": 1, "online": 2}


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("newest", lambda customer: -customer.created_at.timestamp()),
        ("oldest", lambda customer: customer.created_at.timestamp()),
        ("name", lambda customer: customer.user.first_name),
        ("last_login", lambda customer: -customer.last_login.timestamp()),
    ],
)
def test_the_online_tab_pages_its_customers_in_each_sort_order(admin_client, sort, order):
    now = timezone.now()
    online = [
        CustomerFactory(
            user__first_name=name,
            created_at=now - timedelta(days=days),
            last_login=now - timedelta(hours=hours),
            last_seen=now,
        )
        for name, days, hours in [("Cleo", 3, 5), ("Abel", 1, 2), ("Dina", 4, 1), ("Bert", 2, 9)]
    ]
    CustomerFactory(user__first_name="Aaron", created_at=now, last_seen=now - timedelta(hours=1))

    params = {"tab": "online", "sort": sort, "per_page": "2"}
    response, statements = get_with_statements(admin_client, URL, params)
    seen = names_from(admin_client, response, params)

    assert seen == [customer.name for customer in sorted(online, key=order)]
    # Counted exactly, so few: found by `last_seen` and sorted, so no plan walks the sort's
    # index testing each customer's `last_seen`.
    assert any("ORDER BY COALESCE(" in statement for statement in statements)


@pytest.mark.parametrize("sort", ["name", "newest"])
def test_a_search_on_the_online_tab_pages_the_online_matches(admin_client, sort):
    now = timezone.now()
    online = [
        CustomerFactory(user__first_name=name, user__last_name="Fischer", last_seen=now)
        for name in ("Carl", "Anna", "Bea")
    ]
    CustomerFactory(user__first_name="Alma", user__last_name="Fischer", last_seen=None)
    customer_of_fixed_words(user__first_name="Abe", user__last_name="Miller", last_seen=now)

    params = {"q": "fischer", "tab": "online", "sort": sort, "per_page": "2"}
    seen = names_from(admin_client, admin_client.get(URL, params), params)

    if sort == "name":
        expected = sorted(online, key=lambda customer: customer.user.first_name)
    else:
        expected = sorted(online, key=lambda customer: customer.created_at, reverse=True)
    assert seen == [customer.name for customer in expected]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_an_online_tab_of_many_is_paged_along_the_sort_order(admin_client, planner, monkeypatch):
    monkeypatch.setattr(customer_views, "FEW_ONLINE", 2)
    now = timezone.now()
    online = [
        CustomerFactory(created_at=now - timedelta(days=days), last_seen=now) for days in (2, 1, 3)
    ]
    CustomerFactory(created_at=now, last_seen=None)

    response, statements = get_with_statements(
        admin_client, URL, {"tab": "online", "per_page": "2"}
    )
    rest = admin_client.get(URL, {"tab": "online", "after": response.context["page"].last_cursor})

    newest_first = sorted(online, key=lambda customer: customer.created_at, reverse=True)
    assert names_on(response) + names_on(rest) == [customer.name for customer in newest_first]
    assert not any("ORDER BY COALESCE(" in statement for statement in statements)
    # Walked from the newest-first index alone, which carries when each was last seen.
    assert finds_keys_first(statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_common_search_is_not_estimated_again_on_views_within_the_minute(admin_client, planner):
    planner.rows = 50_000
    CustomerFactory(user__last_name="Fischer")
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, 5, tzinfo=UTC), tick=False):
        first = admin_client.get(URL, {"q": "fischer"})
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, 50, tzinfo=UTC), tick=False):
        again = admin_client.get(URL, {"q": "fischer", "tab": "online"})

    assert len(planner.asked) == 2  # the whole search, then its tabs: once
    assert '<span class="count">≈50,000</span>' in again.content.decode()
    assert first.context["tabs"] == again.context["tabs"]


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("username", "ADALOVE"),
        ("full name", "ada   LOVELACE"),
        ("email", "ada@Analytical"),
        ("billing email", "accounts@engine"),
        ("company", "difference eng"),
    ],
)
def test_search_finds_customers_by_each_field_in_any_letter_case(admin_client, field, typed):
    ada = CustomerFactory(
        user__username="adalovelace",
        user__first_name="Ada",
        user__last_name="Lovelace",
        user__email="ada@analytical.example",
        billing_email="accounts@engine.example",
        company_name="Difference Engines Ltd",
    )
    CustomerFactory(user__first_name="Charles", user__last_name="Babbage", company_name="Other")
    assert names_on(admin_client.get(URL, {"q": typed})) == [ada.name]


def test_search_finds_customers_by_reference_and_login_ip(admin_client):
    ada = CustomerFactory()
    LoginRecordFactory(customer=ada, ip_address="203.0.113.77")
    CustomerFactory()
    assert names_on(admin_client.get(URL, {"q": ada.reference.lower()})) == [ada.name]
    assert names_on(admin_client.get(URL, {"q": "203.0.113.77"})) == [ada.name]


@pytest.mark.parametrize("listed_up_to", [1, 1000])
def test_an_ip_search_finds_every_customer_who_logged_in_from_it(
    admin_client, monkeypatch, listed_up_to
):
    # Up to MANY_CUSTOMERS_OF_AN_IP customers are looked up by id, more by subquery.
    monkeypatch.setattr(customer_models, "MANY_CUSTOMERS_OF_AN_IP", listed_up_to)
    now = timezone.now()
    ada = CustomerFactory(created_at=now - timedelta(days=2))
    grace = CustomerFactory(created_at=now - timedelta(days=1))
    for customer in (ada, grace, grace):
        LoginRecordFactory(customer=customer, ip_address="2001:db8::7")
    CustomerFactory()
    assert names_on(admin_client.get(URL, {"q": "2001:db8::7"})) == [grace.name, ada.name]


@pytest.mark.parametrize(
    "typed", ["%", "_", "'", "\\", "a" * 10_000, "ada\x00", "' OR 1=1 --", "🙂", "\u202eada"]
)
def test_hostile_search_text_gets_a_sensible_page(admin_client, typed):
    customer_of_fixed_words(user__first_name="Ada", user__last_name="Lovelace")
    customer_of_fixed_words()
    response = admin_client.get(URL, {"q": typed})
    assert response.status_code == 200
    assert len(response.context["page"].rows) <= 1


def test_search_treats_like_wildcards_literally(admin_client):
    CustomerFactory(company_name="100% Organic")
    CustomerFactory(company_name="Plain")
    assert len(admin_client.get(URL, {"q": "100%"}).context["page"].rows) == 1
    assert len(admin_client.get(URL, {"q": "%"}).context["page"].rows) == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Cecil", "Bea", "Abe"]),
        ("oldest", ["Abe", "Bea", "Cecil"]),
        ("name", ["Abe", "Bea", "Cecil"]),
        ("last_login", ["Bea", "Abe", "Cecil"]),
    ],
)
# Searched, the name sort sorts just the matches (NAME_SORTED_MATCHES): the same order.
@pytest.mark.parametrize("search", ["", "test"])
def test_each_sort_orders_the_list(admin_client, sort, expected, search):
    now = timezone.now()
    for days, first_name, login_hours in [(3, "Abe", 5), (2, "Bea", 1), (1, "Cecil", None)]:
        CustomerFactory(
            user__first_name=first_name,
            user__last_name="Test",
            created_at=now - timedelta(days=days),
            last_login=None if login_hours is None else now - timedelta(hours=login_hours),
        )
    response = admin_client.get(URL, {"sort": sort, "q": search})
    assert [name.split()[0] for name in names_on(response)] == expected


def test_a_search_matching_more_than_it_sorts_walks_the_names_in_the_same_order(
    admin_client, monkeypatch
):
    monkeypatch.setattr(customer_views, "NAME_SORTED_MATCHES", 1)
    for first_name in ["Cecil", "Abe", "Bea", "Dora"]:
        CustomerFactory(user__first_name=first_name, user__last_name="Test")
    CustomerFactory(user__first_name="Aaron", user__last_name="Other")
    searched = {"sort": "name", "q": "test", "per_page": "2"}
    first = admin_client.get(URL, searched)
    assert [name.split()[0] for name in names_on(first)] == ["Abe", "Bea"]
    rest = admin_client.get(URL, searched | {"after": first.context["page"].last_cursor})
    assert [name.split()[0] for name in names_on(rest)] == ["Cecil", "Dora"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_of_many_customers_by_name_finds_its_keys_first(admin_client, planner):
    planner.rows = 50_000
    for first_name in ["Cecil", "Abe", "Bea"]:
        CustomerFactory(user__first_name=first_name, user__last_name="Fischer")
    customer_of_fixed_words(user__first_name="Aaron", user__last_name="Miller")
    searched = {"sort": "name", "q": "fischer", "per_page": "2"}

    first, statements = get_with_statements(admin_client, URL, searched)

    seen = names_from(admin_client, first, searched)
    assert [name.split()[0] for name in seen] == ["Abe", "Bea", "Cecil"]
    # Found on their own, from the name sort's index alone.
    assert finds_keys_first(statements)


def test_renaming_a_customer_moves_them_in_the_name_sort(admin_client, network_admin):
    CustomerFactory(user__first_name="Mia", user__last_name="Test")
    zed = CustomerFactory(user__first_name="Zed", user__last_name="Test")
    customer_update(
        actor=Actor(user=network_admin), customer=zed, values={}, user_values={"first_name": "Abe"}
    )
    response = admin_client.get(URL, {"sort": "name"})
    assert [name.split()[0] for name in names_on(response)] == ["Abe", "Mia"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "999999"},
        {"after": "not-a-cursor"},
        {"before": ""},
        {"tab": "deleted"},
        {"sort": "password"},
        {"view": "table; drop"},
    ],
)
def test_bad_list_parameters_fall_back_to_a_sensible_page(admin_client, params):
    CustomerFactory.create_batch(3)
    response = admin_client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 3


def test_pages_walk_forwards_to_the_last_and_back(admin_client):
    # Names tell the rows apart: random ones could repeat.
    for first_name in ("Ann", "Bea", "Cy", "Dee", "Eve"):
        CustomerFactory(user__first_name=first_name)
    first = admin_client.get(URL, {"per_page": "2"})
    assert first.context["page"].has_next and not first.context["page"].has_previous
    second = admin_client.get(URL, {"per_page": "2", "after": first.context["page"].last_cursor})
    last = admin_client.get(URL, {"per_page": "2", "page": "last"})
    assert len(last.context["page"].rows) == 2
    assert not last.context["page"].has_next
    seen = names_on(first) + names_on(second)
    assert len(set(seen)) == 4
    assert set(names_on(last)) - set(seen) and set(names_on(last)) & set(seen)
    assert 'rel="next"' in first.content.decode()


def test_cards_are_the_default_and_rows_can_be_chosen_and_remembered(admin_client):
    CustomerFactory()
    assert admin_client.get(URL).context["view"] == "grid"
    assert admin_client.get(URL, {"view": "list"}).context["view"] == "list"
    # Looking at rows once doesn't change the preference; saving it does.
    assert admin_client.get(URL).context["view"] == "grid"
    response = admin_client.post(reverse("customers:view_preference"), {"view": "list"})
    assert response.status_code == 302
    assert admin_client.get(URL).context["view"] == "list"


def test_each_customer_shows_what_an_admin_needs(admin_client):
    ada = CustomerFactory(
        user__first_name="Ada", user__last_name="Lovelace", vip=True, last_login=None
    )
    MembershipFactory.create_batch(2, customer=ada)
    online = CustomerFactory(last_seen=timezone.now(), last_login=timezone.now())
    page = admin_client.get(URL).content.decode()
    assert "Ada Lovelace" in page and f"#{ada.pk}" in page and ada.email in page
    assert "AL" in page  # initials avatar
    assert "VIP" in page and "Regular" in page
    assert "Never" in page and "Online" in page
    # How many memberships each has, linked to the membership list of just theirs.
    memberships = reverse("memberships:list")
    assert f'<a href="{memberships}?customer={ada.pk}">2</a>' in page
    assert f'<a href="{memberships}?customer={online.pk}">0</a>' in page
    assert reverse("customers:detail", args=[ada.pk]) in page
    assert reverse("customers:detail", args=[online.pk]) in page
    assert f'value="{ada.pk}"' in page  # the select checkbox


def test_empty_states_tell_nothing_yet_from_no_match(admin_client):
    assert "No customers yet" in admin_client.get(URL).content.decode()
    CustomerFactory(user__first_name="Ada")
    page = admin_client.get(URL, {"q": "zzzz"}).content.decode()
    assert "No customers match" in page and "No customers yet" not in page
    assert "Clear search" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_runs_the_same_queries_whatever_the_page_size(
    admin_client, django_assert_max_num_queries, rows
):
    for customer in CustomerFactory.create_batch(rows):
        MembershipFactory(customer=customer)
        LoginRecordFactory(customer=customer)
    for view in ("grid", "list"):
        # Session, user, the permissions, the tab counts, the page of customers.
        with django_assert_max_num_queries(5):
            response = admin_client.get(URL, {"view": view, "per_page": "50"})
        assert len(response.context["page"].rows) == rows


def test_the_page_of_customers_reads_what_the_list_shows_not_passwords(admin_client):
    CustomerFactory(user__first_name="Ada")
    for view in ("grid", "list"):
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(URL, {"view": view}).content.decode()
        assert "Ada" in page
        (rows_query,) = [
            q["sql"] for q in queries if q["sql"].startswith('SELECT "customers_customer"."id"')
        ]
        for unread in ('"password"', '"preferences"', '"search_text"', '"address_line_1"'):
            assert unread not in rows_query


def test_bulk_mark_and_remove_vip_records_an_event_per_customer(admin_client):
    chosen = CustomerFactory.create_batch(2)
    untouched = CustomerFactory()
    response = admin_client.post(
        reverse("customers:bulk"),
        {"action": "mark_vip", "customers": [customer.pk for customer in chosen]},
        follow=True,
    )
    assert "2 customers marked VIP." in response.content.decode()
    assert set(Customer.objects.vip()) == set(chosen)
    assert not Customer.objects.get(pk=untouched.pk).vip
    assert Event.objects.filter(action="customer.updated").count() == 2

    admin_client.post(
        reverse("customers:bulk"), {"action": "remove_vip", "customers": [chosen[0].pk]}
    )
    assert list(Customer.objects.vip()) == [chosen[1]]


def test_bulk_action_without_a_selection_explains_itself(admin_client):
    response = admin_client.post(reverse("customers:bulk"), {"action": "mark_vip"}, follow=True)
    assert "Select at least one customer first." in response.content.decode()
    assert not Event.objects.exists()


def test_bulk_actions_refuse_get(admin_client):
    assert admin_client.get(reverse("customers:bulk")).status_code == 405


def test_support_agent_cannot_bulk_export_but_can_see_the_list(agent_client):
    customer = CustomerFactory()
    assert agent_client.get(URL).status_code == 200
    response = agent_client.post(
        reverse("customers:bulk"), {"action": "export", "customers": [customer.pk]}
    )
    assert response.status_code == 403


def test_htmx_search_swaps_only_the_results(admin_client):
    CustomerFactory(user__first_name="Ada")
    response = admin_client.get(
        URL, {"q": "ada"}, headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )
    page = response.content.decode()
    assert "Ada" in page
    assert "<html" not in page and 'id="customer-search"' not in page
    assert "HX-Request" in response["Vary"]


def test_view_preference_ignores_a_next_pointing_elsewhere(admin_client):
    response = admin_client.post(
        reverse("customers:view_preference"),
        {"view": "list", "next": "https://evil.example/phish"},
    )
    assert response["Location"] == URL


def test_view_preference_keeps_the_list_state(admin_client):
    response = admin_client.post(
        reverse("customers:view_preference"), {"view": "list", "next": f"{URL}?tab=vip&q=ada"}
    )
    assert response["Location"] == f"{URL}?tab=vip&q=ada"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_paged_by_the_keys_it_found_walks_each_tab_once_through(admin_client, planner):
    planner.rows = 1
    found = [
        CustomerFactory(user__last_name="Quillfeather", vip=number % 3 == 0) for number in range(9)
    ]
    CustomerFactory(user__last_name="Quillson", vip=True)
    for tab, expected in [("all", found), ("vip", [c for c in found if c.vip])]:
        searched = {"q": "quillfeather", "tab": tab, "per_page": "2"}
        response = admin_client.get(URL, searched)
        counts = {item["key"]: item["count"] for item in response.context["tabs"]}
        assert (counts["all"], counts["vip"]) == (9, 3)
        seen = names_from(admin_client, response, searched)
        assert sorted(seen) == sorted(customer.name for customer in expected)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_of_many_vips_finds_their_pages_keys_first_in_date_order(admin_client, planner):
    planner.rows = 50_000
    now = timezone.now()
    vips = [
        CustomerFactory(user__last_name="Fischer", vip=True, created_at=now - timedelta(days=days))
        for days in (3, 1, 2)
    ]
    CustomerFactory(user__last_name="Fischer", created_at=now)
    searched = {"q": "fischer", "tab": "vip", "per_page": "2"}

    first, statements = get_with_statements(admin_client, URL, searched)

    newest_first = sorted(vips, key=lambda customer: customer.created_at, reverse=True)
    assert names_from(admin_client, first, searched) == [vip.name for vip in newest_first]
    # The page's keys are found on their own, from the VIP tab's index alone.
    assert finds_keys_first(statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_search_of_many_customers_pages_its_matches_in_date_order(admin_client, planner, sort):
    planner.rows = 50_000
    now = timezone.now()
    fischers = [
        CustomerFactory(user__last_name="Fischer", created_at=now - timedelta(days=days))
        for days in (4, 1, 3, 5, 2)
    ]
    customer_of_fixed_words(user__last_name="Miller", created_at=now)
    expected = sorted(fischers, key=lambda customer: customer.created_at)
    if sort == "newest":
        expected.reverse()
    searched = {"q": "fischer", "sort": sort, "per_page": "2"}
    seen = names_from(admin_client, admin_client.get(URL, searched), searched)
    assert seen == [customer.name for customer in expected]
    last = admin_client.get(URL, searched | {"page": "last"})
    # Pages counted from the end align with the end.
    assert names_on(last) == [customer.name for customer in expected[-2:]]

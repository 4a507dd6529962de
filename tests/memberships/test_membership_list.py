from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from memberships import views
from memberships.models import DurationUnit, Membership
from network_admin import pagination
from network_admin.pagination import forget_estimates
from tests.factories import CustomerFactory, MembershipFactory, ProductFactory
from tests.list_pages import tabs_shown
from tests.queries import finds_keys_first, get_with_statements

pytestmark = pytest.mark.django_db

URL = reverse("memberships:list")


def references_on(response) -> list[str]:
    return [membership.reference for membership in response.context["page"].rows]


def cancelled(**fields):
    return MembershipFactory(
        status=Membership.Status.CANCELLED, cancelled_at=timezone.now(), auto_renew=False, **fields
    )


def test_tabs_show_their_memberships_and_counts(admin_client):
    active = MembershipFactory.create_batch(2, status=Membership.Status.ACTIVE)
    on_hold = MembershipFactory(status=Membership.Status.ON_HOLD)
    gone = cancelled()

    response = admin_client.get(URL)

    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {
        "all": 4,
        "active": 2,
        "trialing": 0,
        "pending": 0,
        "on-hold": 1,
        "expired": 0,
        "cancelled": 1,
    }
    assert tabs_shown(response) == {
        "All": "4",
        "Active": "2",
        "Trialing": "0",
        "Pending": "0",
        "On Hold": "1",
        "Expired": "0",
        "Cancelled": "1",
    }
    assert sorted(references_on(admin_client.get(URL, {"tab": "active"}))) == sorted(
        m.reference for m in active
    )
    assert references_on(admin_client.get(URL, {"tab": "on-hold"})) == [on_hold.reference]
    assert references_on(admin_client.get(URL, {"tab": "cancelled"})) == [gone.reference]


def test_rows_show_reference_status_customer_plan_price_expiry_and_creation(admin_client):
    customer = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    membership = MembershipFactory(
        customer=customer,
        plan=ProductFactory(name="Starter"),
        amount=Decimal("10.59"),
        expires_at=None,
        status=Membership.Status.TRIALING,
    )
    page = admin_client.get(URL).content.decode()
    for text in [
        membership.reference,
        reverse("memberships:detail", args=[membership.pk]),
        'class="badge badge-trialing">Trialing</span>',
        "Grace Hopper",
        customer.email,
        "Starter",
        "10.59",
        "every month",
        "Lifetime",
    ]:
        assert text in page


@pytest.mark.parametrize(
    ("terms", "shown"),
    [
        (
            {"amount": Decimal("99.00"), "duration": 2, "duration_unit": DurationUnit.YEAR},
            '99.00 <span class="currency">USD</span></span> <span class="muted">every 2 years',
        ),
        ({"amount": Decimal("5.00"), "recurring": False}, "one time"),
        ({"amount": Decimal("0")}, "Free"),
    ],
)
def test_prices_read_as_amount_and_billing_cycle(admin_client, terms, shown):
    MembershipFactory(**terms)
    assert shown in " ".join(admin_client.get(URL).content.decode().split())


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("customer name", "grace HOPPER"),
        ("customer email", "grace@navy"),
        ("plan", "cobol"),
        # Ten letters that could be a reference code are still searched as a word.
        ("plan word shaped like a reference", "enterprise"),
        ("customer and plan", "hopper cobol"),
    ],
)
def test_search_finds_memberships_by_customer_and_plan(admin_client, field, typed):
    grace = CustomerFactory(
        user__first_name="Grace", user__last_name="Hopper", user__email="grace@navy.example"
    )
    found = MembershipFactory(customer=grace, plan=ProductFactory(name="COBOL Enterprise"))
    MembershipFactory(plan=ProductFactory(name="Basic"))
    assert references_on(admin_client.get(URL, {"q": typed})) == [found.reference]


def test_search_finds_a_membership_by_its_reference_in_any_case(admin_client):
    found, _other = MembershipFactory.create_batch(2)
    assert references_on(admin_client.get(URL, {"q": found.reference.lower()})) == [found.reference]


def test_search_counts_the_tabs_over_the_matches_only(admin_client):
    MembershipFactory(plan=ProductFactory(name="Agency"))
    MembershipFactory(plan=ProductFactory(name="Agency XL"), status=Membership.Status.PENDING)
    MembershipFactory(plan=ProductFactory(name="Basic"))
    response = admin_client.get(URL, {"q": "agency"})
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert (counts["all"], counts["active"], counts["pending"]) == (2, 1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_expected_to_match_thousands_is_estimated_not_counted(admin_client, planner):
    planner.rows = 5000
    MembershipFactory(plan=ProductFactory(name="Agency"))
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL, {"q": "agency"})
    assert not [query for query in queries.captured_queries if "COUNT(" in query["sql"]]
    assert '<span class="count">≈5,000</span>' in response.content.decode()
    assert references_on(response)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_of_many_memberships_pages_the_matches_newest_first(admin_client, planner):
    planner.rows = 5000
    grace = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    now = timezone.now()
    found = [
        MembershipFactory(customer=grace, created_at=now - timedelta(days=days))
        for days in (3, 1, 2)
    ]
    MembershipFactory(created_at=now)
    newest_first = [found[1].reference, found[2].reference, found[0].reference]
    first = admin_client.get(URL, {"q": "hopper", "per_page": 2})
    assert references_on(first) == newest_first[:2]
    after = first.context["page"].last_cursor
    second = admin_client.get(URL, {"q": "hopper", "per_page": 2, "after": after})
    assert references_on(second) == newest_first[2:]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_of_many_memberships_in_a_status_tab_finds_its_keys_first(admin_client, planner):
    planner.rows = 5000
    grace = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    now = timezone.now()
    trialing = [
        MembershipFactory(
            customer=grace, status=Membership.Status.TRIALING, created_at=now - timedelta(days=days)
        )
        for days in (3, 1, 2)
    ]
    MembershipFactory(customer=grace, status=Membership.Status.ACTIVE, created_at=now)
    MembershipFactory(status=Membership.Status.TRIALING, created_at=now)

    response, statements = get_with_statements(
        admin_client, URL, {"q": "hopper", "tab": "trialing"}
    )

    newest_first = sorted(trialing, key=lambda membership: membership.created_at, reverse=True)
    assert references_on(response) == [membership.reference for membership in newest_first]
    # Found on their own, from the status tabs' index alone.
    assert finds_keys_first(statements)


def test_the_customer_filter_shows_only_that_customers_memberships(admin_client, customer):
    own = MembershipFactory(customer=customer)
    MembershipFactory()
    response = admin_client.get(URL, {"customer": customer.pk})
    assert references_on(response) == [own.reference]
    page = response.content.decode()
    assert "Customer: <a" in page and "Ada Lovelace" in page
    assert "Remove filter" in page
    # Adding from the filtered list starts with this customer.
    assert f"{reverse('memberships:add')}?customer={customer.pk}" in page


@pytest.mark.parametrize("value", ["999999", "abc", "-1"])
def test_a_customer_filter_naming_no_customer_is_not_found(admin_client, value):
    assert admin_client.get(URL, {"customer": value}).status_code == 404


def test_a_customer_without_memberships_gets_an_offer_to_add_one(admin_client, customer):
    MembershipFactory()
    page = admin_client.get(URL, {"customer": customer.pk}).content.decode()
    assert "Ada Lovelace has no memberships yet" in page


def test_no_memberships_yet_differs_from_none_matching(admin_client):
    assert "No memberships yet" in admin_client.get(URL).content.decode()
    MembershipFactory()
    page = admin_client.get(URL, {"q": "nothing like this"}).content.decode()
    assert "No memberships match" in page
    assert "Clear search" in page


def test_paging_walks_every_membership_once_newest_first(admin_client, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    now = timezone.now()
    made = [MembershipFactory(created_at=now - timedelta(days=day)) for day in range(5)]
    seen, response = [], admin_client.get(URL)
    while True:
        seen += references_on(response)
        page = response.context["page"]
        if not page.has_next:
            break
        response = admin_client.get(URL, {"after": page.last_cursor})
    assert seen == [membership.reference for membership in made]
    last = admin_client.get(URL, {"page": "last"})
    assert references_on(last) == [made[3].reference, made[4].reference]


@pytest.mark.parametrize(
    "params", [{"tab": "deleted"}, {"after": "forged"}, {"page": "-1"}, {"q": "a\x00" * 500}]
)
def test_bad_list_parameters_get_a_sensible_page(admin_client, params):
    MembershipFactory()
    response = admin_client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page"].rows) <= 1


def test_a_tab_past_the_count_cap_says_there_are_more(admin_client, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    MembershipFactory.create_batch(3)
    response = admin_client.get(URL)
    active = next(tab for tab in response.context["tabs"] if tab["key"] == "active")
    assert (active["count"], active["more"]) == (2, True)
    assert '<span class="count">2+</span>' in response.content.decode()


def tab_counts(response) -> dict[str, tuple[int, bool]]:
    return {tab["key"]: (tab["count"], tab["more"]) for tab in response.context["tabs"]}


def test_a_tab_past_the_count_cap_is_not_counted_again_for_a_while(admin_client, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    active = MembershipFactory.create_batch(3, status=Membership.Status.ACTIVE)
    assert tab_counts(admin_client.get(URL))["active"] == (2, True)
    Membership.objects.filter(pk__in=[active[0].pk, active[1].pk]).update(
        status=Membership.Status.ON_HOLD
    )
    # Still "2+" active, as counted a moment ago; those on hold, under the cap, are counted on
    # every view.
    counts = tab_counts(admin_client.get(URL))
    assert counts["active"] == (2, True) and counts["on-hold"] == (2, False)
    monkeypatch.setattr(pagination, "ESTIMATE_SECONDS", 0)
    forget_estimates()
    assert tab_counts(admin_client.get(URL))["active"] == (1, False)


def test_when_every_tab_is_past_the_cap_the_tabs_cost_no_query(
    admin_client, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(views, "COUNT_CAP", 0)
    for status in Membership.Status.values:
        MembershipFactory(status=status, cancelled_at=timezone.now(), auto_renew=False)
    admin_client.get(URL)
    with django_assert_num_queries(2):  # the session with the admin, the page
        response = admin_client.get(URL)
    assert all(more for _count, more in tab_counts(response).values())


def test_htmx_search_gets_only_the_results(admin_client):
    MembershipFactory()
    response = admin_client.get(
        URL, {"q": "x"}, headers={"HX-Request": "true", "HX-Target": "membership-results"}
    )
    page = response.content.decode()
    assert 'class="tabs"' in page
    assert "<html" not in page


@pytest.mark.parametrize("params", [{}, {"tab": "active", "q": "plan"}, {"customer": None}])
def test_the_list_uses_as_many_queries_for_one_row_as_for_many(admin_client, customer, params):
    params = {key: value or customer.pk for key, value in params.items()}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(URL, params).status_code == 200
        return len(captured)

    MembershipFactory(customer=customer)
    one = queries()
    MembershipFactory.create_batch(30, customer=customer)
    assert queries() == one
    # Session, user, two permission lookups, the tab counts, the page of rows (and the
    # filtered customer).
    assert one <= 7

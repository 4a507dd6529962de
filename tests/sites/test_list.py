from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network_admin import pagination
from sites.models import Site
from tests.factories import CustomerFactory, MembershipFactory, SiteFactory, customer_of_fixed_words
from tests.queries import get_with_statements

pytestmark = pytest.mark.django_db

URL = reverse("sites:list")


def titles_on(response) -> list[str]:
    return [site.title for site in response.context["page"].rows]


def test_tabs_show_their_sites_and_counts(admin_client):
    owned = SiteFactory(title="Owned")
    template = SiteFactory(title="Template", type=Site.Type.SITE_TEMPLATE, customer=None)
    pending = SiteFactory(title="Pending", type=Site.Type.PENDING, customer=None)
    SiteFactory(title="Main", type=Site.Type.MAIN, customer=None)

    response = admin_client.get(URL)

    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"all": 4, "customer_owned": 1, "templates": 1, "pending": 1}
    assert set(titles_on(response)) == {"Owned", "Template", "Pending", "Main"}
    assert titles_on(admin_client.get(URL, {"tab": "customer_owned"})) == [owned.title]
    assert titles_on(admin_client.get(URL, {"tab": "templates"})) == [template.title]
    assert titles_on(admin_client.get(URL, {"tab": "pending"})) == [pending.title]
    page = response.content.decode()
    for label in ("All Sites", "Customer-Owned", "Templates", "Pending"):
        assert label in page


def test_newest_sites_come_first(admin_client):
    now = timezone.now()
    for days, title in [(3, "Old"), (1, "New"), (2, "Middle")]:
        SiteFactory(title=title, created_at=now - timedelta(days=days))
    assert titles_on(admin_client.get(URL)) == ["New", "Middle", "Old"]


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("title", "BAKERY corner"),
        ("domain", "crumbs.example"),
        ("owner's name", "ada lovelace"),
        ("owner's email", "ada@analytical"),
    ],
)
def test_search_finds_sites_by_each_field(admin_client, field, typed):
    ada = CustomerFactory(
        user__first_name="Ada", user__last_name="Lovelace", user__email="ada@analytical.example"
    )
    SiteFactory(title="The Bakery Corner", domain="crumbs.example.net", customer=ada)
    SiteFactory(title="Other", domain="other.example.net")
    assert titles_on(admin_client.get(URL, {"q": typed})) == ["The Bakery Corner"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_past_the_count_cap_lists_its_sites_newest_first(admin_client, planner):
    planner.rows = 5000
    ada = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    now = timezone.now()
    SiteFactory(title="Old", customer=ada, created_at=now - timedelta(days=2))
    SiteFactory(title="Ada's shop", created_at=now - timedelta(days=3))
    SiteFactory(title="New", customer=ada, created_at=now - timedelta(days=1))
    SiteFactory(title="Someone else's", customer=customer_of_fixed_words())
    response = admin_client.get(URL, {"q": "ada"})
    assert titles_on(response) == ["New", "Old", "Ada's shop"]
    assert '<span class="count">≈5,000</span>' in response.content.decode()


@pytest.mark.parametrize("tab, site_type", [("pending", "pending"), ("templates", "site_template")])
def test_a_search_past_the_count_cap_in_a_tab_of_few_sites_sorts_its_matches(
    admin_client, planner, tab, site_type
):
    planner.rows = 5000
    now = timezone.now()
    for days, title in [(2, "Bakery two"), (1, "Bakery one"), (3, "Bakery three")]:
        SiteFactory(
            title=title, type=site_type, customer=None, created_at=now - timedelta(days=days)
        )
    SiteFactory(title="Bakery owned", created_at=now)
    SiteFactory(title="Florist", type=site_type, customer=None, created_at=now)

    response, statements = get_with_statements(admin_client, URL, {"q": "bakery", "tab": tab})

    assert titles_on(response) == ["Bakery one", "Bakery two", "Bakery three"]
    # Sorted by the values of the matches found, not walked in the order of an index.
    assert any('COALESCE("sites_site"."created_at"' in statement for statement in statements)


def test_search_finds_a_site_by_its_reference_code(admin_client):
    site = SiteFactory(title="Wanted")
    SiteFactory(title="Other")
    assert titles_on(admin_client.get(URL, {"q": f" {site.reference.lower()} "})) == ["Wanted"]


def test_search_narrows_the_tab_counts_too(admin_client):
    SiteFactory(title="Shop one")
    SiteFactory(title="Shop template", type=Site.Type.SITE_TEMPLATE, customer=None)
    SiteFactory(title="Blog", customer=customer_of_fixed_words())
    response = admin_client.get(URL, {"q": "shop"})
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"all": 2, "customer_owned": 1, "templates": 1, "pending": 0}


@pytest.mark.parametrize("typed", ["%", "_", "'", "\\", "a" * 10_000, "x\x00", "🙂", "\u202e"])
def test_hostile_search_text_gets_a_sensible_page(admin_client, typed):
    SiteFactory(title="Plain")
    response = admin_client.get(URL, {"q": typed})
    assert response.status_code == 200
    # Control characters are dropped, so some of these are no search at all.
    assert titles_on(response) in ([], ["Plain"])


def test_the_customer_filter_shows_only_that_customers_sites(admin_client, customer):
    SiteFactory(title="Hers", customer=customer)
    SiteFactory(title="Her template", type=Site.Type.SITE_TEMPLATE, customer=None)
    SiteFactory(title="Someone else's")
    response = admin_client.get(URL, {"customer": customer.pk})
    assert titles_on(response) == ["Hers"]
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"all": 1, "customer_owned": 1, "templates": 0, "pending": 0}
    page = response.content.decode()
    assert "Sites of" in page and "Ada Lovelace" in page
    assert reverse("customers:detail", args=[customer.pk]) in page
    # Tabs and search keep the filter.
    assert f'name="customer" value="{customer.pk}"' in page
    assert f"customer={customer.pk}&amp;tab=templates" in page


def test_an_unknown_customer_filter_is_a_404(admin_client):
    assert admin_client.get(URL, {"customer": 999_999}).status_code == 404
    assert admin_client.get(URL, {"customer": 2**70}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"tab": "deleted"},
        {"view": "table; drop"},
        {"customer": "abc"},
        {"customer": "-1"},
        {"after": "not-a-cursor"},
        {"page": "999"},
        {"per_page": "lots"},
    ],
)
def test_bad_list_parameters_fall_back_to_a_sensible_page(admin_client, params):
    SiteFactory.create_batch(3)
    response = admin_client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 3


def test_pages_walk_forwards_and_back(admin_client):
    SiteFactory.create_batch(5)
    first = admin_client.get(URL, {"per_page": "2"})
    second = admin_client.get(URL, {"per_page": "2", "after": first.context["page"].last_cursor})
    last = admin_client.get(URL, {"per_page": "2", "page": "last"})
    assert len(set(titles_on(first) + titles_on(second))) == 4
    assert len(titles_on(last)) == 2 and not last.context["page"].has_next
    assert 'rel="next"' in first.content.decode()


def test_each_site_shows_title_url_type_and_owner(admin_client, customer):
    site = SiteFactory(title="Engine Works", domain="engine.example.net", customer=customer)
    SiteFactory(title="Starter", type=Site.Type.SITE_TEMPLATE, customer=None, active=False)
    for view in ("grid", "list"):
        page = admin_client.get(URL, {"view": view}).content.decode()
        assert "Engine Works" in page and "https://engine.example.net/" in page
        assert 'class="badge badge-customer_owned">Customer-owned</span>' in page
        assert 'class="badge badge-site_template">Site template</span>' in page
        assert 'class="badge badge-inactive">Inactive</span>' in page
        assert reverse("customers:detail", args=[customer.pk]) in page
        assert "Network" in page  # the template's owner
        assert reverse("sites:detail", args=[site.pk]) in page


def test_cards_are_the_default_and_rows_are_remembered_per_admin(admin_client, client):
    SiteFactory()
    assert admin_client.get(URL).context["view"] == "grid"
    assert admin_client.get(URL, {"view": "list"}).context["view"] == "list"
    # Looking at rows once doesn't change the preference; choosing them does.
    assert admin_client.get(URL).context["view"] == "grid"
    response = admin_client.post(
        reverse("sites:view_preference"), {"view": "list", "next": f"{URL}?tab=pending"}
    )
    assert response["Location"] == f"{URL}?tab=pending"
    assert admin_client.get(URL).context["view"] == "list"
    assert 'class="table"' in admin_client.get(URL).content.decode()


def test_view_preference_ignores_a_next_pointing_elsewhere(admin_client):
    response = admin_client.post(
        reverse("sites:view_preference"), {"view": "list", "next": "https://evil.example/"}
    )
    assert response["Location"] == URL


def test_view_preference_refuses_get(admin_client):
    assert admin_client.get(reverse("sites:view_preference")).status_code == 405


def test_empty_states_tell_nothing_yet_from_no_match(admin_client):
    page = admin_client.get(URL).content.decode()
    assert "No sites yet" in page and reverse("sites:add") in page
    SiteFactory(title="Blog")
    page = admin_client.get(URL, {"q": "zzzz"}).content.decode()
    assert "No sites match" in page and "No sites yet" not in page


def test_htmx_search_swaps_only_the_results(admin_client):
    SiteFactory(title="Bakery")
    response = admin_client.get(
        URL, {"q": "bakery"}, headers={"HX-Request": "true", "HX-Target": "site-results"}
    )
    page = response.content.decode()
    assert "Bakery" in page
    assert "<html" not in page and 'id="site-search"' not in page
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("params", [{}, {"view": "list"}, {"q": "site"}, {"tab": "templates"}])
def test_the_list_runs_the_same_queries_for_one_and_many_sites(admin_client, params):
    SiteFactory(membership=MembershipFactory())
    with CaptureQueriesContext(connection) as one:
        admin_client.get(URL, params)
    for _ in range(30):
        SiteFactory(membership=MembershipFactory())
        SiteFactory(type=Site.Type.SITE_TEMPLATE, customer=None)
    # As the first view of the search in a minute (later ones reuse the planner's estimate).
    pagination.forget_estimates()
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(URL, params | {"per_page": "50"})
    assert len(response.context["page"].rows) > 20
    # Session with the user and their permissions, the tab counts (one query; a search on
    # PostgreSQL asks the planner first how many rows to expect), the page.
    expected = 4 if "q" in params and connection.vendor == "postgresql" else 3
    assert len(many) == len(one) == expected


def test_the_customer_filter_costs_one_more_query(
    admin_client, customer, django_assert_num_queries
):
    SiteFactory.create_batch(3, customer=customer)
    with django_assert_num_queries(4):
        admin_client.get(URL, {"customer": customer.pk})


def test_support_agents_see_the_list_without_add(agent_client):
    SiteFactory(title="Blog")
    response = agent_client.get(URL)
    assert response.status_code == 200
    assert "Blog" in response.content.decode()
    assert reverse("sites:add") not in response.content.decode()


def test_customers_cannot_see_the_list(customer_client):
    assert customer_client.get(URL).status_code == 403


def test_search_results_page_forwards_and_back(admin_client):
    for number in range(5):
        SiteFactory(title=f"Shop {number}")
    SiteFactory(title="Blog", customer=customer_of_fixed_words())
    query = {"q": "shop", "per_page": "2"}
    first = admin_client.get(URL, query)
    second = admin_client.get(URL, query | {"after": first.context["page"].last_cursor})
    back = admin_client.get(URL, query | {"before": second.context["page"].first_cursor})
    last = admin_client.get(URL, query | {"page": "last"})
    assert titles_on(first) == ["Shop 4", "Shop 3"]
    assert titles_on(second) == ["Shop 2", "Shop 1"]
    assert titles_on(back) == titles_on(first)
    assert titles_on(last) == ["Shop 1", "Shop 0"]

"""The controls around a list's rows: tabs, the Cards / Rows switch and the page links."""

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from network_admin.pagination import KeysetPage, list_tab
from network_admin.templatetags.list_controls import query_string


def render(source: str, query: str = "", **context) -> str:
    request = RequestFactory().get("/customers/?" + query)
    template = Template("{% load list_controls %}" + source)
    return template.render(Context({"request": request, "csrf_token": "token"} | context))


@pytest.mark.parametrize(
    ("query", "changes"),
    [
        ("", {"tab": "vip"}),
        ("", {"page": None}),
        ("q=smith&tab=vip&page=last", {"tab": "all", "after": None, "page": None}),
        ("tab=vip&q=a+b%26c&view=list", {"view": None}),
        ("tab=vip&q=ann&sort=name", {"tab": "all", "page": None}),
        ("customers=1&customers=2&sort=name", {"sort": "-name", "after": "x,7"}),
        ("page=last", {"page": None, "before": None}),
        ("q=%C3%A9l%C3%A8ve&before=1", {"after": "ab/c", "before": None}),
    ],
)
def test_a_query_string_is_the_one_djangos_querystring_tag_writes(query, changes):
    request = RequestFactory().get("/customers/?" + query)
    arguments = " ".join(f"{key}={key}" for key in changes)
    djangos = Template("{% querystring " + arguments + " %}").render(
        RequestContext(request, changes, autoescape=False)
    )

    assert query_string(request.GET, **changes) == djangos


TABS = [
    list_tab("all", "All", 1_000_003, is_estimate=True),
    list_tab("vip", "VIP", 12_345, more=True),
    list_tab("online", "Online", 3),
]


def test_tabs_show_each_count_and_mark_the_current_one():
    html = render("{% list_tabs 'Customer groups' %}", "tab=vip", tabs=TABS, tab="vip")

    assert html.startswith('<nav class="tabs" aria-label="Customer groups">')
    assert '<a href="?tab=all">All <span class="count">≈1,000,003</span></a>' in html
    assert '<a href="?tab=vip" aria-current="page">VIP <span class="count">12,345+</span>' in html
    assert '<a href="?tab=online">Online <span class="count">3</span></a>' in html
    assert html.count("aria-current") == 1


def test_a_tab_keeps_the_search_and_sort_and_starts_at_the_first_page():
    html = render(
        "{% list_tabs 'Groups' %}", "q=ann&sort=name&after=x&page=last", tabs=TABS, tab="all"
    )

    assert 'href="?q=ann&amp;sort=name&amp;tab=vip"' in html


def test_tab_labels_and_the_search_in_links_are_escaped():
    tabs = [list_tab("all", "<All>", 1)]
    html = render("{% list_tabs 'Groups' %}", "q=%22%3E%3Cb%3E", tabs=tabs, tab="all")

    assert '<a href="?q=%22%3E%3Cb%3E&amp;tab=all" aria-current="page">&lt;All&gt; <span' in html


def test_the_view_switch_posts_the_choice_and_comes_back_without_the_view_parameter():
    html = render(
        "{% view_switch 'Show customers as' '/customers/view/' '/customers/' %}",
        "q=ann&view=cards",
        views={"cards": "Cards", "list": "Rows"},
        view="list",
    )

    assert html.startswith('<div class="cluster view-switch" role="group" aria-label="Show ')
    assert html.count('<form method="post" action="/customers/view/">') == 2
    assert html.count('name="csrfmiddlewaretoken" value="token"') == 2
    assert html.count('<input type="hidden" name="next" value="/customers/?q=ann">') == 2
    assert '<input type="hidden" name="view" value="cards">' in html
    assert 'class="btn btn-sm btn-secondary" type="submit" aria-pressed="false">Cards<' in html
    assert 'class="btn btn-sm btn-primary" type="submit" aria-pressed="true">Rows<' in html


def page(*, has_previous: bool, has_next: bool) -> KeysetPage:
    return KeysetPage([], has_previous, has_next, first_cursor="a,1", last_cursor="b,2")


def test_the_only_page_has_no_page_links():
    only = page(has_previous=False, has_next=False)

    assert render("{% keyset_pagination 'Pages' %}", page=only) == ""


def test_the_first_page_links_forward_and_shows_backward_links_disabled():
    html = render(
        "{% keyset_pagination 'Site pages' 'site-results' %}",
        "q=ann&page=last",
        page=page(has_previous=False, has_next=True),
    )

    assert html.startswith(
        '<nav class="pagination" aria-label="Site pages" hx-boost="true" '
        'hx-target="#site-results"><ul>'
    )
    assert '<span class="disabled" aria-disabled="true">« First</span>' in html
    assert '<span class="disabled" aria-disabled="true">‹ Previous</span>' in html
    assert '<a href="?q=ann&amp;after=b%2C2" rel="next">Next ›</a>' in html
    assert '<a href="?q=ann&amp;page=last" rel="last">Last »</a>' in html


def test_the_last_page_links_backward_and_shows_forward_links_disabled():
    html = render(
        "{% keyset_pagination 'Pages' %}",
        "q=ann&page=last",
        page=page(has_previous=True, has_next=False),
    )

    assert 'hx-target="#customer-results"' in html
    assert '<a href="?q=ann" rel="first">« First</a>' in html
    assert '<a href="?q=ann&amp;before=a%2C1" rel="prev">‹ Previous</a>' in html
    assert '<span class="disabled" aria-disabled="true">Next ›</span>' in html
    assert '<span class="disabled" aria-disabled="true">Last »</span>' in html

"""Links to an object's page, and to pages without arguments, are the URLs Django's reverse()
gives; `{% url %}` writes what Django's own tag writes."""

import pytest
from django.http import HttpResponse
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, path, reverse, set_script_prefix

from network_admin.links import object_url, plain_url

# A URLconf of its own, for the test that follows ROOT_URLCONF.
urlpatterns = [path("elsewhere/", lambda request: HttpResponse(), name="home")]

URL_NAMES = [
    "customers:detail",
    "customer_switch_to",
    "memberships:detail",
    "payments:detail",
    "sites:detail",
    "events:detail",
]


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("pk", [1, 7, 10, 9_007_199_254_740_992, "42"])
def test_the_link_is_what_reverse_gives(name, pk):
    assert object_url(name, pk) == reverse(name, args=[pk])


def test_the_link_follows_the_script_prefix_the_app_is_served_under():
    set_script_prefix("/admin-app/")
    try:
        assert object_url("customers:detail", 5) == "/admin-app/customers/5/"
    finally:
        clear_script_prefix()
    assert object_url("customers:detail", 5) == "/customers/5/"


def test_a_name_without_an_id_argument_is_refused():
    with pytest.raises(NoReverseMatch):
        object_url("customers:list", 5)


@pytest.mark.parametrize("name", ["home", "customers:list", "logout", "set_language"])
def test_a_link_without_arguments_is_what_reverse_gives(name):
    assert plain_url(name) == reverse(name)


def test_a_link_without_arguments_follows_the_script_prefix():
    set_script_prefix("/admin-app/")
    try:
        assert plain_url("customers:list") == "/admin-app/customers/"
    finally:
        clear_script_prefix()
    assert plain_url("customers:list") == "/customers/"


def test_a_link_without_arguments_follows_another_urlconf():
    assert plain_url("home") == "/"
    with override_settings(ROOT_URLCONF=__name__):
        assert plain_url("home") == "/elsewhere/"
    assert plain_url("home") == "/"


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_url_tag_writes_what_djangos_writes():
    source = (
        "{% url 'customers:list' %} {% url name %} {% url 'customers:detail' 5 %} "
        "{% url 'customers:detail' pk=6 %} {% url 'customers:add' as add %}[{{ add }}] "
        "{% url 'no-such-page' as missing %}[{{ missing }}]"
    )
    assert render(source, name="payments:list") == (
        "/customers/ /payments/ /customers/5/ /customers/6/ [/customers/add/] []"
    )


def test_the_url_tag_refuses_an_unknown_page_unless_asked_for_a_variable():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")

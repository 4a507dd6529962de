"""Links to an object's page are the URLs Django's reverse() gives."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from network_admin.links import object_url

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

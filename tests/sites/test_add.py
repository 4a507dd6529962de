import pytest
from django.urls import reverse

from events.models import Event
from sites.models import Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

URL = reverse("sites:add")


def typed(**fields):
    defaults = {
        "title": "Shop",
        "domain": "shop.example.net",
        "path": "/",
        "type": "customer_owned",
    }
    return defaults | {"active": "on"} | fields


def test_the_add_page_offers_every_field(admin_client):
    page = admin_client.get(URL).content.decode()
    for name in ("title", "description", "domain", "path", "type", "customer", "membership"):
        assert f'name="{name}"' in page
    assert 'name="active"' in page and "checked" in page


def test_adding_a_site_in_a_membership_gives_it_that_customer(admin_client, membership):
    response = admin_client.post(URL, typed(membership=membership.reference), follow=True)
    site = Site.objects.get()
    assert response.redirect_chain[-1][0] == reverse("sites:detail", args=[site.pk])
    assert "Site Shop added." in response.content.decode()
    assert (site.type, site.customer, site.membership, site.active) == (
        Site.Type.CUSTOMER_OWNED,
        membership.customer,
        membership,
        True,
    )
    event = Event.objects.get()
    assert (event.action, event.object_id, event.customer_id) == (
        "site.created",
        site.pk,
        membership.customer_id,
    )


def test_adding_a_site_for_a_customer_found_by_email(admin_client, customer):
    admin_client.post(URL, typed(customer=customer.email.upper(), active=""))
    site = Site.objects.get()
    assert (site.customer, site.membership, site.active) == (customer, None, False)


def test_adding_a_template_ignores_whatever_the_owner_boxes_say(admin_client, customer):
    fields = {"customer": customer.reference, "membership": "NO SUCH CODE"}
    admin_client.post(URL, typed(type=Site.Type.SITE_TEMPLATE, **fields))
    site = Site.objects.get()
    assert (site.type, site.customer) == (Site.Type.SITE_TEMPLATE, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "A customer-owned site needs an owner"),
        ({"type": "main"}, "There is already a main site."),
        ({"domain": "taken.example.net", "type": "regular"}, "Another site already uses"),
        ({"title": "", "type": "regular"}, "This field is required."),
        ({"membership": "MISSING"}, "No membership has the reference code"),
    ],
)
def test_bad_input_adds_nothing_and_says_why(admin_client, fields, message):
    SiteFactory(type=Site.Type.MAIN, customer=None, domain="taken.example.net")
    response = admin_client.post(URL, typed(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Site.objects.count() == 1
    assert not Event.objects.exists()


def test_support_agents_cannot_add_sites(agent_client):
    assert agent_client.get(URL).status_code == 403
    assert agent_client.post(URL, typed(type="regular")).status_code == 403
    assert not Site.objects.exists()

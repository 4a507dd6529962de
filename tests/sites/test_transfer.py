"""Changing a site's membership to another customer's moves the site: confirmed first."""

import re

import pytest
from django.urls import reverse

from events.models import Event
from sites.models import Site
from tests.factories import CustomerFactory, MembershipFactory, SiteFactory
from tests.sites.helpers import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace_membership(db):
    return MembershipFactory(customer__user__first_name="Grace", customer__user__last_name="Hopper")


def detail_url(site):
    return reverse("sites:detail", args=[site.pk])


def transfer_url(site):
    return reverse("sites:transfer", args=[site.pk])


def test_joining_another_customers_membership_asks_first_and_changes_nothing(
    admin_client, site, grace_membership
):
    typed = form_data(site, membership=grace_membership.reference, title="Grace's blog")
    response = admin_client.post(detail_url(site), typed)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Move the site “Ada&#x27;s blog” from Ada Lovelace to Grace Hopper?" in page
    assert grace_membership.reference in page
    assert f'action="{transfer_url(site)}"' in page
    assert "No, take me back" in page and "Yes, move the site" in page
    # What the admin typed travels with the confirmation (escaped: Django writes &#x27;, the
    # form widgets' Jinja2 templates &#39;).
    assert re.search(r'name="title" value="Grace&#(x27|39);s blog"', page)
    assert "Your other changes are saved with the move: Title." in page
    site.refresh_from_db()
    assert (site.title, site.customer.name) == ("Ada's blog", "Ada Lovelace")
    assert not Event.objects.exists()


def test_confirming_moves_the_site_to_the_membership_customer(
    admin_client, site, customer, membership, grace_membership
):
    typed = form_data(site, membership=grace_membership.reference, title="Grace's blog")
    response = admin_client.post(transfer_url(site), typed, follow=True)

    assert "Site moved to Grace Hopper." in response.content.decode()
    site.refresh_from_db()
    assert (site.customer, site.membership, site.title) == (
        grace_membership.customer,
        grace_membership,
        "Grace's blog",
    )
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("site.transferred", grace_membership.customer_id)
    assert event.payload["changes"]["customer"] == {"old": "Ada Lovelace", "new": "Grace Hopper"}
    assert event.payload["changes"]["membership"] == {
        "old": membership.reference,
        "new": grace_membership.reference,
    }
    assert event.payload["changes"]["title"]["new"] == "Grace's blog"


def test_a_new_owner_without_a_membership_is_confirmed_too(admin_client, customer):
    site = SiteFactory(customer=customer)
    other = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    response = admin_client.post(detail_url(site), form_data(site, customer=other.reference))
    assert "from Ada Lovelace to Grace Hopper?" in response.content.decode()
    assert not Event.objects.exists()

    admin_client.post(transfer_url(site), form_data(site, customer=other.reference))
    site.refresh_from_db()
    assert site.customer == other
    assert Event.objects.get().action == "site.transferred"


def test_another_membership_of_the_same_customer_needs_no_confirmation(
    admin_client, site, customer
):
    other = MembershipFactory(customer=customer)
    response = admin_client.post(detail_url(site), form_data(site, membership=other.reference))
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.customer, site.membership) == (customer, other)
    assert Event.objects.get().action == "site.updated"


def test_giving_a_template_its_first_owner_needs_no_confirmation(admin_client, grace_membership):
    site = SiteFactory(type=Site.Type.SITE_TEMPLATE, customer=None)
    typed = form_data(site, type=Site.Type.CUSTOMER_OWNED, membership=grace_membership.reference)
    assert admin_client.post(detail_url(site), typed).status_code == 302
    site.refresh_from_db()
    assert site.customer == grace_membership.customer


def test_a_transfer_whose_membership_vanished_meanwhile_is_refused(
    admin_client, site, grace_membership
):
    typed = form_data(site, membership=grace_membership.reference)
    grace_membership.delete()
    response = admin_client.post(transfer_url(site), typed)
    assert response.status_code == 200
    assert "No membership has the reference code" in response.content.decode()
    site.refresh_from_db()
    assert site.customer.name == "Ada Lovelace"
    assert not Event.objects.exists()


def test_transfer_refuses_get(admin_client, site):
    assert admin_client.get(transfer_url(site)).status_code == 405


def test_support_agents_cannot_transfer(agent_client, site, grace_membership):
    typed = form_data(site, membership=grace_membership.reference)
    assert agent_client.post(transfer_url(site), typed).status_code == 403
    site.refresh_from_db()
    assert site.membership != grace_membership
    assert not Event.objects.exclude(action="auth.permission_denied").exists()


def test_transferring_an_unknown_site_is_a_404(admin_client):
    assert admin_client.post(reverse("sites:transfer", args=[999_999])).status_code == 404

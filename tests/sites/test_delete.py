import pytest
from django.urls import reverse

from events.models import Event
from sites.models import Site

pytestmark = pytest.mark.django_db


def url(site):
    return reverse("sites:delete", args=[site.pk])


def test_the_confirmation_says_what_happens_and_deletes_nothing(admin_client, site):
    response = admin_client.get(url(site))
    page = response.content.decode()
    assert "Delete the site “Ada&#x27;s blog” (https://ada.example.net/)?" in page
    assert "deleted permanently" in page
    assert "Ada Lovelace keeps their account, memberships and payments." in page
    assert "Yes, delete the site" in page and "No, take me back" in page
    assert Site.objects.filter(pk=site.pk).exists()
    assert not Event.objects.exists()


def test_confirming_deletes_the_site_and_records_it(admin_client, site, customer):
    response = admin_client.post(url(site), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sites:list")
    assert "Site Ada&#x27;s blog deleted." in response.content.decode()
    assert not Site.objects.filter(pk=site.pk).exists()
    event = Event.objects.get()
    assert (event.action, event.object_repr, event.customer_id) == (
        "site.deleted",
        "Ada's blog",
        customer.pk,
    )


def test_the_main_site_cannot_be_deleted(admin_client, main_site):
    page = admin_client.get(url(main_site)).content.decode()
    assert "The main site runs the network, so it can't be deleted." in page
    assert "Yes, delete the site" not in page

    response = admin_client.post(url(main_site), follow=True)
    assert "The main site runs the network, so it can&#x27;t be deleted." in (
        response.content.decode()
    )
    assert Site.objects.filter(pk=main_site.pk).exists()
    assert not Event.objects.exists()


def test_support_agents_cannot_delete(agent_client, site):
    assert agent_client.get(url(site)).status_code == 403
    assert agent_client.post(url(site)).status_code == 403
    assert Site.objects.filter(pk=site.pk).exists()


def test_deleting_an_unknown_site_is_a_404(admin_client):
    assert admin_client.get(reverse("sites:delete", args=[999_999])).status_code == 404
    assert admin_client.post(reverse("sites:delete", args=[999_999])).status_code == 404

"""The site page's Active switch: a plain form, enhanced by htmx."""

import pytest
from django.urls import reverse

from events.models import Event

pytestmark = pytest.mark.django_db


def url(site):
    return reverse("sites:set_active", args=[site.pk])


def test_switching_a_site_off_and_on_records_an_event_each_time(admin_client, site):
    response = admin_client.post(url(site), {"active": "false"}, follow=True)
    assert "Site deactivated." in response.content.decode()
    site.refresh_from_db()
    assert not site.active
    event = Event.objects.get()
    assert (event.action, event.payload["changes"]) == (
        "site.updated",
        {"active": {"old": True, "new": False}},
    )

    admin_client.post(url(site), {"active": "true"})
    site.refresh_from_db()
    assert site.active
    assert Event.objects.count() == 2


def test_a_repeated_switch_changes_nothing_more(admin_client, site):
    admin_client.post(url(site), {"active": "false"})
    admin_client.post(url(site), {"active": "false"})
    assert Event.objects.count() == 1


def test_with_htmx_only_the_switch_is_sent_back(admin_client, site):
    response = admin_client.post(url(site), {"active": "false"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and 'id="site-active"' in page
    assert 'aria-checked="false"' in page and "Site deactivated." in page
    # The switch now offers to turn the site back on.
    assert 'name="active" value="true"' in page


@pytest.mark.parametrize("value", ["", "maybe", "1"])
def test_an_unclear_value_changes_nothing(admin_client, site, value):
    response = admin_client.post(url(site), {"active": value}, follow=True)
    assert "Choose whether the site is active or inactive." in response.content.decode()
    site.refresh_from_db()
    assert site.active
    assert not Event.objects.exists()


def test_the_switch_refuses_get(admin_client, site):
    assert admin_client.get(url(site)).status_code == 405


def test_support_agents_cannot_switch(agent_client, site):
    assert agent_client.post(url(site), {"active": "false"}).status_code == 403
    site.refresh_from_db()
    assert site.active


def test_switching_an_unknown_site_is_a_404(admin_client):
    response = admin_client.post(reverse("sites:set_active", args=[999_999]), {"active": "true"})
    assert response.status_code == 404

import re

import pytest
from django.urls import reverse

from events.models import Event
from events.services import Actor
from sites.models import Site
from sites.services import site_update
from tests.factories import CustomerFactory, EventFactory, MembershipFactory, SiteFactory
from tests.sites.helpers import form_data

pytestmark = pytest.mark.django_db


def url(site):
    return reverse("sites:detail", args=[site.pk])


def test_the_page_shows_the_site_its_owner_events_and_timestamps(
    admin_client, site, customer, membership, network_admin
):
    site_update(actor=Actor(user=network_admin), site=site, values={"title": "Ada's notebook"})

    page = admin_client.get(url(site)).content.decode()

    for text in [
        "Edit Site",
        "Ada&#x27;s notebook",
        "Notes on engines",
        "https://ada.example.net/",
        "Customer-owned",
        site.reference,
        membership.reference,
        "Ada Lovelace",
        "At a Glance",
        "Timestamps",
        "Created at",
        "Last modified at",
        "Be careful. This action is irreversible.",
    ]:
        assert text in page, text
    assert reverse("customers:detail", args=[customer.pk]) in page
    assert reverse("memberships:detail", args=[membership.pk]) in page
    assert reverse("sites:delete", args=[site.pk]) in page
    # The event about the title, with its old and new value.
    assert "Ada&#x27;s blog" in page and "→" in page
    assert re.search(r'role="switch"\s+aria-checked="true"', page)


def test_the_page_shows_only_events_about_this_site(admin_client, site):
    EventFactory(object_type="site", object_id=site.pk, action="site.updated", actor_repr="Kim")
    EventFactory(object_type="site", object_id=site.pk + 1, action="site.deleted")
    EventFactory(object_type="membership", object_id=site.pk, action="membership.cancelled")
    response = admin_client.get(url(site))
    [event] = response.context["events"]
    assert event.action == "site.updated"
    assert reverse("events:detail", args=[event.pk]) in response.content.decode()


def test_a_network_site_says_it_has_no_owner(admin_client):
    site = SiteFactory(type=Site.Type.SITE_TEMPLATE, customer=None)
    page = admin_client.get(url(site)).content.decode()
    assert "The network owns this site" in page


def test_the_page_costs_the_same_queries_with_many_events(
    admin_client, site, django_assert_max_num_queries
):
    for _ in range(25):
        EventFactory(object_type="site", object_id=site.pk, action="site.updated")
    # Session, user, the permissions, the site with owner and membership, its events.
    with django_assert_max_num_queries(5):
        response = admin_client.get(url(site))
    assert len(response.context["events"]) == 10


def test_an_unknown_site_is_a_404(admin_client):
    assert admin_client.get(reverse("sites:detail", args=[999_999])).status_code == 404
    assert admin_client.get(f"{reverse('sites:list')}{2**70}/").status_code == 404


# Editing: each change is one event with old and new values.


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"title": "Ada's notebook"}, {"title": "Ada's notebook"}),
        ({"description": "Now with gears"}, {"description": "Now with gears"}),
        ({"domain": "NOTES.example.net"}, {"domain": "notes.example.net"}),
        ({"path": "shop"}, {"path": "/shop/"}),
    ],
)
def test_saving_a_field_records_one_event_with_old_and_new(admin_client, site, typed, expected):
    (name, new), old = next(iter(expected.items())), getattr(site, next(iter(expected)))
    response = admin_client.post(url(site), form_data(site, **typed), follow=True)
    assert "Site saved." in response.content.decode()
    site.refresh_from_db()
    assert getattr(site, name) == new
    event = Event.objects.get()
    assert (event.action, event.object_id) == ("site.updated", site.pk)
    assert event.payload["changes"] == {name: {"old": old, "new": new}}


def test_saving_unchanged_records_nothing(admin_client, site):
    response = admin_client.post(url(site), form_data(site), follow=True)
    assert "Nothing to save" in response.content.decode()
    assert not Event.objects.exists()


def test_changing_type_away_from_customer_owned_clears_owner_and_membership(admin_client, site):
    admin_client.post(url(site), form_data(site, type=Site.Type.SITE_TEMPLATE))
    site.refresh_from_db()
    assert (site.type, site.customer, site.membership) == (Site.Type.SITE_TEMPLATE, None, None)
    event = Event.objects.get()
    assert event.action == "site.updated"
    assert set(event.payload["changes"]) == {"type", "customer", "membership"}


def test_a_template_becomes_customer_owned_by_typing_an_owner(admin_client, customer):
    site = SiteFactory(type=Site.Type.SITE_TEMPLATE, customer=None)
    typed = {"type": Site.Type.CUSTOMER_OWNED, "customer": customer.reference}
    admin_client.post(url(site), form_data(site, **typed))
    site.refresh_from_db()
    assert (site.type, site.customer) == (Site.Type.CUSTOMER_OWNED, customer)
    assert Event.objects.get().action == "site.updated"


def test_leaving_the_membership_keeps_the_owner(admin_client, site, customer):
    admin_client.post(url(site), form_data(site, membership=""))
    site.refresh_from_db()
    assert (site.customer, site.membership) == (customer, None)
    assert Event.objects.get().payload["changes"]["membership"]["new"] is None


# Bad input: a clear message, nothing changed, no event.


def _refused(admin_client, site, message, **typed):
    before = Site.objects.values().get(pk=site.pk)
    response = admin_client.post(url(site), form_data(site, **typed))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Site.objects.values().get(pk=site.pk) == before
    assert not Event.objects.exists()
    return response


def test_a_customer_owned_site_without_an_owner_is_refused(admin_client, site):
    _refused(admin_client, site, "A customer-owned site needs an owner", customer="", membership="")


def test_a_second_main_site_is_refused(admin_client, site, main_site):
    _refused(admin_client, site, "There is already a main site.", type=Site.Type.MAIN)


def test_a_taken_domain_and_path_is_refused(admin_client, site):
    SiteFactory(domain="taken.example.net", path="/shop/")
    response = _refused(
        admin_client,
        site,
        "Another site already uses this domain and path.",
        domain="taken.example.net",
        path="/shop",
    )
    assert "domain" in response.context["form"].errors


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"domain": "not a domain"}, "Enter a valid domain name."),
        ({"path": "/a b/"}, "Use letters, digits"),
        ({"membership": "NOPE"}, "No membership has the reference code “NOPE”."),
        ({"membership": "ZZZZZZZZZZ"}, "No membership has the reference code"),
        ({"customer": "nobody@example.net"}, "No customer has the reference code or email"),
        ({"customer": "ada\x00"}, "No customer has the reference code or email"),
        ({"type": "mansion"}, "Select a valid choice."),
    ],
)
def test_invalid_input_shows_its_message_by_the_field(admin_client, site, typed, message):
    response = _refused(admin_client, site, message, **typed)
    assert set(response.context["form"].errors) == set(typed)


def test_moving_the_owner_away_from_the_membership_customer_is_refused(admin_client, site):
    other = CustomerFactory()
    _refused(admin_client, site, "Change or remove the membership", customer=other.email)


def test_the_main_site_type_cannot_change(admin_client, main_site):
    page = admin_client.get(url(main_site)).content.decode()
    assert "The main site's type can't change." in page
    assert "The main site runs the network, so it can't be deleted." in page
    assert reverse("sites:delete", args=[main_site.pk]) not in page
    # The disabled field ignores whatever is posted.
    admin_client.post(url(main_site), form_data(main_site, type=Site.Type.REGULAR))
    main_site.refresh_from_db()
    assert main_site.type == Site.Type.MAIN
    assert not Event.objects.exists()


def test_a_refused_save_shows_the_site_as_it_is(admin_client, site, main_site):
    response = _refused(admin_client, site, "There is already a main site.", type="main")
    assert response.context["site"].type == Site.Type.CUSTOMER_OWNED


# Permissions


def test_support_agents_see_the_page_read_only(agent_client, site):
    response = agent_client.get(url(site))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Save Site" not in page and "Delete Site" not in page
    assert 'role="switch"' not in page
    assert all(field.disabled for field in response.context["form"].fields.values())


def test_support_agents_cannot_save(agent_client, site):
    response = agent_client.post(url(site), form_data(site, title="Hacked"))
    assert response.status_code == 403
    site.refresh_from_db()
    assert site.title == "Ada's blog"
    # Nothing changed: the one event is the refusal itself.
    assert list(Event.objects.values_list("action", flat=True)) == ["auth.permission_denied"]


def test_customers_cannot_open_the_page(customer_client, site):
    assert customer_client.get(url(site)).status_code == 403


def test_the_page_links_to_a_membership_the_site_belongs_to(admin_client, customer):
    membership = MembershipFactory(customer=customer)
    site = SiteFactory(customer=customer, membership=membership)
    page = admin_client.get(url(site)).content.decode()
    assert f'href="{reverse("memberships:detail", args=[membership.pk])}"' in page


def test_the_site_pages_are_csp_safe(admin_client, site):
    pages = [url(site), reverse("sites:add"), reverse("sites:delete", args=[site.pk])]
    for page in (admin_client.get(address).content.decode() for address in pages):
        assert not re.search(r"\sstyle=|\son[a-z]+=|<style|<script(?![^>]*\ssrc=)", page)

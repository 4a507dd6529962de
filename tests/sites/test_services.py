from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from events.models import Event
from events.services import Actor
from sites.models import Site
from sites.services import SiteError, site_create, site_delete, site_update
from tests.factories import CustomerFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin, ip_address="198.51.100.7")


@pytest.fixture
def membership(customer):
    return MembershipFactory(customer=customer)


@pytest.fixture
def site(customer, membership):
    return SiteFactory(title="Ada's blog", customer=customer, membership=membership)


@pytest.fixture
def main_site(db):
    return SiteFactory(title="Network", type=Site.Type.MAIN, customer=None)


# Creating sites


def test_creating_a_site_with_a_membership_gives_it_the_membership_customer(actor, membership):
    site = site_create(actor=actor, title="Shop", domain="shop.example.net", membership=membership)
    site.refresh_from_db()
    assert (site.customer, site.membership, site.type) == (
        membership.customer,
        membership,
        Site.Type.CUSTOMER_OWNED,
    )
    event = Event.objects.get()
    assert (event.action, event.object_repr, event.customer_id) == (
        "site.created",
        "Shop",
        membership.customer_id,
    )


def test_creating_a_customer_owned_site_without_a_customer_is_refused(actor):
    with pytest.raises(ValidationError, match="A customer-owned site needs a customer"):
        site_create(actor=actor, title="Orphan", domain="orphan.example.net")
    assert not Site.objects.exists()
    assert not Event.objects.exists()


def test_creating_a_template_drops_any_owner(actor, membership):
    site = site_create(
        actor=actor,
        title="Template",
        domain="template.example.net",
        type=Site.Type.SITE_TEMPLATE,
        customer=membership.customer,
        membership=membership,
    )
    assert (site.customer, site.membership) == (None, None)
    assert Event.objects.get().action == "site.created"


def test_creating_a_second_main_site_is_refused(actor, main_site):
    with pytest.raises(SiteError, match="There is already a main site"):
        site_create(actor=actor, title="Other", domain="other.example.net", type=Site.Type.MAIN)
    assert Site.objects.get() == main_site
    assert not Event.objects.exists()


def test_creating_a_site_on_a_taken_url_is_refused(actor, site, customer):
    with pytest.raises(ValidationError, match="Another site already uses this domain and path"):
        site_create(actor=actor, title="Copy", domain=site.domain, customer=customer)
    assert Site.objects.get() == site
    assert not Event.objects.exists()


def test_a_site_cannot_join_a_membership_of_another_customer_than_given(actor, membership):
    with pytest.raises(ValidationError, match="membership belongs to Ada Lovelace"):
        site_create(
            actor=actor,
            title="Shop",
            domain="shop.example.net",
            customer=CustomerFactory(),
            membership=membership,
        )
    assert not Site.objects.exists()
    assert not Event.objects.exists()


# Updating sites


def test_updating_a_site_records_each_changed_field_old_and_new(actor, site):
    changes = site_update(
        actor=actor, site=site, values={"title": "Ada's notebook", "active": False}
    )
    site.refresh_from_db()
    assert (site.title, site.active) == ("Ada's notebook", False)
    event = Event.objects.get()
    assert event.action == "site.updated"
    assert (
        event.payload["changes"]
        == changes
        == {
            "title": {"old": "Ada's blog", "new": "Ada's notebook"},
            "active": {"old": True, "new": False},
        }
    )


def test_updating_a_site_with_nothing_changed_records_nothing(actor, site):
    assert site_update(actor=actor, site=site, values={"title": "Ada's blog"}) == {}
    assert not Event.objects.exists()


def test_joining_another_customers_membership_transfers_the_site(actor, site, customer, membership):
    other = MembershipFactory()
    site_update(actor=actor, site=site, values={"membership": other})
    site.refresh_from_db()
    assert (site.customer, site.membership) == (other.customer, other)
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("site.transferred", other.customer_id)
    assert event.payload["changes"]["customer"] == {
        "old": str(customer),
        "new": str(other.customer),
    }
    assert event.payload["changes"]["membership"] == {
        "old": membership.reference,
        "new": other.reference,
    }


def test_a_site_moves_to_a_customer_who_has_the_same_name(actor, site):
    namesake = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    other = MembershipFactory(customer=namesake)
    site_update(actor=actor, site=site, values={"membership": other})
    site.refresh_from_db()
    assert (site.customer, site.membership) == (namesake, other)


def test_joining_another_membership_of_the_same_customer_is_an_update(actor, site, customer):
    other = MembershipFactory(customer=customer)
    site_update(actor=actor, site=site, values={"membership": other})
    site.refresh_from_db()
    assert (site.customer, site.membership) == (customer, other)
    event = Event.objects.get()
    assert event.action == "site.updated"
    assert set(event.payload["changes"]) == {"membership"}


def test_leaving_the_membership_keeps_the_site_with_its_customer(actor, site, customer):
    site_update(actor=actor, site=site, values={"membership": None})
    site.refresh_from_db()
    assert (site.customer, site.membership) == (customer, None)
    assert Event.objects.get().action == "site.updated"


def test_moving_a_site_away_from_its_membership_customer_is_refused(actor, site, customer):
    with pytest.raises(ValidationError, match="Change or remove the membership"):
        site_update(actor=actor, site=site, values={"customer": CustomerFactory()})
    site.refresh_from_db()
    assert site.customer == customer
    assert not Event.objects.exists()


def test_removing_the_owner_of_a_customer_owned_site_is_refused(actor, customer):
    site = SiteFactory(customer=customer)
    with pytest.raises(ValidationError, match="A customer-owned site needs a customer"):
        site_update(actor=actor, site=site, values={"customer": None})
    site.refresh_from_db()
    assert site.customer == customer
    assert not Event.objects.exists()


def test_changing_type_away_from_customer_owned_clears_customer_and_membership(actor, site):
    changes = site_update(actor=actor, site=site, values={"type": Site.Type.SITE_TEMPLATE})
    site.refresh_from_db()
    assert (site.type, site.customer, site.membership) == (Site.Type.SITE_TEMPLATE, None, None)
    event = Event.objects.get()
    assert event.action == "site.updated"
    assert set(changes) == {"type", "customer", "membership"}
    assert changes["customer"]["new"] is None


def test_the_main_site_type_cannot_change(actor, main_site):
    with pytest.raises(SiteError, match="The main site's type can't change"):
        site_update(actor=actor, site=main_site, values={"type": Site.Type.REGULAR})
    main_site.refresh_from_db()
    assert main_site.type == Site.Type.MAIN
    assert not Event.objects.exists()


def test_making_a_site_main_when_one_exists_is_refused(actor, main_site):
    site = SiteFactory(type=Site.Type.REGULAR, customer=None)
    with pytest.raises(SiteError, match="There is already a main site"):
        site_update(actor=actor, site=site, values={"type": Site.Type.MAIN})
    site.refresh_from_db()
    assert site.type == Site.Type.REGULAR
    assert not Event.objects.exists()


def test_a_failing_audit_trail_leaves_the_site_unchanged(actor, site, customer, monkeypatch):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        site_update(actor=actor, site=site, values={"membership": MembershipFactory()})
    stored = Site.objects.get(pk=site.pk)
    assert (stored.customer, stored.membership.customer) == (customer, customer)


# Deleting sites


def test_deleting_a_site_records_site_deleted(actor, site, customer):
    site_delete(actor=actor, site=site)
    assert not Site.objects.exists()
    event = Event.objects.get()
    assert (event.action, event.object_repr, event.customer_id) == (
        "site.deleted",
        "Ada's blog",
        customer.pk,
    )
    assert event.payload == {"url": site.url, "type": "customer_owned"}


def test_the_main_site_cannot_be_deleted(actor, main_site):
    with pytest.raises(SiteError, match="main site runs the network"):
        site_delete(actor=actor, site=main_site)
    assert Site.objects.get() == main_site
    assert not Event.objects.exists()


def test_a_failing_audit_trail_keeps_the_site(actor, site, monkeypatch):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        site_delete(actor=actor, site=site)
    assert Site.objects.get() == site

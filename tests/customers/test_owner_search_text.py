"""Memberships, payments and sites carry a copy of their owner's words (OwnedByCustomer), so
their lists find them by the owner's name, username, emails or company: the copy must follow
every change of owner and of the owner's words."""

import pytest
from django.apps import apps

from customers import owner_search_migrations
from customers.models import Customer
from customers.services import MOVE_RELATED, customer_delete, customer_update
from events.services import Actor
from memberships.models import Membership
from memberships.services import membership_transfer
from payments.models import Payment
from sites.models import Site
from sites.services import site_update
from tests.factories import CustomerFactory, MembershipFactory, PaymentFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin)


@pytest.fixture
def ada():
    return CustomerFactory(
        user__username="ada",
        user__first_name="Ada",
        user__last_name="Lovelace",
        user__email="ada@analytical.example",
        company_name="Analytical Engines",
    )


@pytest.fixture
def grace():
    return CustomerFactory(
        user__username="grace",
        user__first_name="Grace",
        user__last_name="Hopper",
        user__email="grace@cobol.example",
        company_name="",
    )


def owned_by(customer):
    membership = MembershipFactory(customer=customer)
    return {
        "membership": membership,
        "payment": PaymentFactory(customer=customer, membership=membership),
        "site": SiteFactory(customer=customer, membership=membership),
    }


def found(text) -> dict[str, set]:
    return {
        "membership": set(Membership.objects.search(text)),
        "payment": set(Payment.objects.search(text)),
        "site": set(Site.objects.search(text)),
    }


def test_every_list_finds_a_customers_rows_by_each_of_their_words(ada, grace):
    rows = owned_by(ada)
    owned_by(grace)
    for text in ["lovelace", "ADA lovelace", "analytical.example", "engines"]:
        assert found(text) == {kind: {row} for kind, row in rows.items()}, text
    unowned = SiteFactory(customer=None, membership=None, type=Site.Type.SITE_TEMPLATE)
    assert Site.objects.get(pk=unowned.pk).owner_search_text == ""


def test_renaming_a_customer_renames_their_rows_in_every_search(ada, actor):
    rows = owned_by(ada)
    customer_update(
        actor=actor,
        customer=ada,
        values={"company_name": "Difference Works"},
        user_values={"last_name": "King"},
    )
    assert found("lovelace") == {"membership": set(), "payment": set(), "site": set()}
    assert found("ada king") == {kind: {row} for kind, row in rows.items()}
    assert found("difference works") == {kind: {row} for kind, row in rows.items()}


def test_a_new_row_takes_its_owners_words_as_stored_not_from_an_older_copy(ada, actor):
    older_copy = Customer.objects.select_related("user").get(pk=ada.pk)
    customer_update(actor=actor, customer=ada, values={"company_name": "Difference Works"})
    site = SiteFactory(customer=older_copy, membership=None)
    assert "difference works" in site.owner_search_text
    assert found("difference")["site"] == {site}


def test_a_transferred_membership_and_its_sites_are_found_by_their_new_owner(ada, grace, actor):
    rows = owned_by(ada)
    membership_transfer(actor=actor, membership=rows["membership"], to_customer=grace)
    after = found("hopper")
    assert after["membership"] == {rows["membership"]} and after["site"] == {rows["site"]}
    # The payment stays with the customer who paid it.
    assert after["payment"] == set() and found("lovelace")["payment"] == {rows["payment"]}


def test_a_site_moved_to_another_customer_is_found_by_them(ada, grace, actor):
    site = SiteFactory(customer=ada, membership=None)
    site_update(actor=actor, site=site, values={"customer": grace})
    assert found("hopper")["site"] == {site} and found("lovelace")["site"] == set()


def test_deleting_a_customer_hands_their_words_over_or_forgets_them(ada, grace, actor):
    rows = owned_by(ada)
    customer_delete(actor=actor, customer=ada, related=MOVE_RELATED, move_to=grace)
    after = found("hopper")
    assert after["membership"] == {rows["membership"]} and after["site"] == {rows["site"]}
    payment = Payment.objects.get(pk=rows["payment"].pk)
    # Found by its billing snapshot from now on, as every payment of a deleted customer is.
    assert payment.customer is None
    assert payment.owner_search_text == "ada lovelace\nada@analytical.example"
    assert set(Payment.objects.search("lovelace")) == {payment}
    assert set(Payment.objects.search("engines")) == set()
    assert found("analytical.example")["membership"] == set()


def test_the_migration_fills_in_every_owned_rows_words(ada):
    rows = owned_by(ada)
    unowned = SiteFactory(customer=None, membership=None, type=Site.Type.SITE_TEMPLATE)
    for model in (Membership, Payment, Site):
        model.objects.update(owner_search_text="")
    for app_label, model in [("memberships", Membership), ("payments", Payment), ("sites", Site)]:
        fill, _index = owner_search_migrations.operations(
            app_label, model._meta.model_name, model._meta.db_table
        )
        fill.code(apps, schema_editor=None)
    for row in rows.values():
        assert type(row).objects.get(pk=row.pk).owner_search_text == ada.search_text
    assert Site.objects.get(pk=unowned.pk).owner_search_text == ""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events.models import Event
from events.services import Actor
from memberships.models import Membership, MembershipAddon, Product
from memberships.services import (
    DELETE_SITES,
    DETACH_SITES,
    MembershipError,
    membership_create,
    membership_delete,
    membership_set_addons,
    membership_transfer,
    membership_update,
    product_create,
    product_delete,
    product_update,
)
from payments.models import Payment
from sites.models import Site
from tests.factories import (
    CustomerFactory,
    MembershipAddonFactory,
    MembershipFactory,
    PaymentFactory,
    ProductFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin, ip_address="198.51.100.7")


@pytest.fixture
def plan(db):
    return ProductFactory(name="Gold", slug="gold", amount=Decimal("29.00"))


@pytest.fixture
def backup(db):
    return ProductFactory(name="Backup", slug="backup", type=Product.Type.PACKAGE)


@pytest.fixture
def seo(db):
    return ProductFactory(name="SEO", slug="seo", type=Product.Type.SERVICE)


@pytest.fixture
def membership(customer, plan):
    return MembershipFactory(customer=customer, plan=plan)


# Products


def test_creating_a_product_saves_it_and_records_product_created(actor):
    product = product_create(
        actor=actor, name="Silver", slug="silver", type=Product.Type.PLAN, amount=Decimal("9.00")
    )
    assert Product.objects.get(slug="silver").amount == Decimal("9.00")
    event = Event.objects.get()
    assert (event.action, event.object_id, event.actor_repr) == (
        "product.created",
        product.pk,
        "Jane Admin",
    )


def test_creating_a_product_with_a_taken_slug_is_refused_without_an_event(actor, plan):
    with pytest.raises(ValidationError, match="with this Slug already exists"):
        product_create(actor=actor, name="Gold again", slug="gold", amount=Decimal("1.00"))
    assert Product.objects.count() == 1
    assert not Event.objects.exists()


def test_updating_a_product_records_each_changed_field_old_and_new(actor, plan):
    changes = product_update(
        actor=actor, product=plan, values={"amount": Decimal("39.00"), "active": False}
    )
    plan.refresh_from_db()
    assert (plan.amount, plan.active) == (Decimal("39.00"), False)
    event = Event.objects.get()
    assert event.action == "product.updated"
    assert event.payload["changes"] == changes
    assert changes["active"] == {"old": True, "new": False}
    assert changes["amount"] == {"old": "29.00", "new": "39.00"}


def test_updating_a_product_with_nothing_changed_records_nothing(actor, plan):
    assert product_update(actor=actor, product=plan, values={"name": "Gold"}) == {}
    assert not Event.objects.exists()


def test_a_product_that_memberships_use_cannot_change_type(actor, membership, plan):
    with pytest.raises(MembershipError, match="used by memberships, so its type can't change"):
        product_update(actor=actor, product=plan, values={"type": Product.Type.PACKAGE})
    plan.refresh_from_db()
    assert plan.type == Product.Type.PLAN
    assert not Event.objects.exists()


def test_deleting_an_unused_product_records_product_deleted(actor, plan):
    product_delete(actor=actor, product=plan)
    assert not Product.objects.exists()
    event = Event.objects.get()
    assert (event.action, event.object_repr) == ("product.deleted", "Gold")


@pytest.mark.parametrize("use", ["plan", "add-on"])
def test_a_product_in_use_cannot_be_deleted_and_deactivating_is_offered(actor, plan, backup, use):
    product = plan if use == "plan" else backup
    MembershipAddonFactory(membership__plan=plan, product=backup)
    with pytest.raises(MembershipError, match="used by 1 membership.*Deactivate it instead"):
        product_delete(actor=actor, product=product)
    assert Product.objects.filter(pk=product.pk).exists()
    assert not Event.objects.exists()


# Creating memberships


def test_creating_a_membership_takes_the_plan_terms_and_adds_the_addons(
    actor, customer, plan, backup, seo
):
    membership = membership_create(
        actor=actor, customer=customer, plan=plan, addons={backup: 2, seo: 1}
    )
    membership.refresh_from_db()
    assert (membership.customer, membership.plan, membership.amount) == (
        customer,
        plan,
        Decimal("29.00"),
    )
    assert membership.status == Membership.Status.PENDING
    assert {(line.product, line.quantity) for line in membership.addon_lines.all()} == {
        (backup, 2),
        (seo, 1),
    }
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("membership.created", customer.pk)
    assert event.payload == {"plan": "Gold", "addons": ["Backup × 2", "SEO × 1"]}


def test_given_terms_win_over_the_plan_terms(actor, customer, plan):
    membership = membership_create(
        actor=actor, customer=customer, plan=plan, amount=Decimal("5.00"), auto_renew=False
    )
    assert (membership.amount, membership.auto_renew) == (Decimal("5.00"), False)


def test_a_membership_created_cancelled_gets_a_cancellation_time(actor, customer, plan):
    membership = membership_create(
        actor=actor, customer=customer, plan=plan, status=Membership.Status.CANCELLED
    )
    assert membership.cancelled_at is not None
    assert membership.auto_renew is False


def test_a_membership_plan_must_be_a_product_of_type_plan(actor, customer, backup):
    with pytest.raises(ValidationError, match="Backup is not a plan"):
        membership_create(actor=actor, customer=customer, plan=backup)
    assert not Membership.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(0, "quantity of Backup must be at least 1"), (-2, "quantity of Backup must be at least 1")],
)
def test_addon_quantities_must_be_at_least_one(actor, customer, plan, backup, quantity, message):
    with pytest.raises(ValidationError, match=message):
        membership_create(actor=actor, customer=customer, plan=plan, addons={backup: quantity})
    assert not Membership.objects.exists()
    assert not MembershipAddon.objects.exists()
    assert not Event.objects.exists()


def test_a_plan_cannot_be_an_addon(actor, customer, plan):
    other_plan = ProductFactory(name="Platinum", slug="platinum")
    with pytest.raises(ValidationError, match="Platinum is a plan; add-ons are packages"):
        membership_create(actor=actor, customer=customer, plan=plan, addons={other_plan: 1})
    assert not Membership.objects.exists()
    assert not Event.objects.exists()


# Updating memberships


def test_updating_a_membership_records_each_changed_field_old_and_new(actor, membership):
    membership_update(
        actor=actor,
        membership=membership,
        values={"amount": Decimal("12.50"), "gateway_customer_id": "cus_123"},
    )
    membership.refresh_from_db()
    assert (membership.amount, membership.gateway_customer_id) == (Decimal("12.50"), "cus_123")
    event = Event.objects.get()
    assert event.action == "membership.updated"
    assert event.payload["changes"] == {
        "amount": {"old": "29.00", "new": "12.50"},
        "gateway_customer_id": {"old": "", "new": "cus_123"},
    }


def test_cancelling_sets_cancelled_at_and_turns_off_auto_renew(actor, membership):
    before = timezone.now()
    membership_update(
        actor=actor, membership=membership, values={"status": Membership.Status.CANCELLED}
    )
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELLED
    assert membership.cancelled_at >= before
    assert membership.auto_renew is False
    event = Event.objects.get()
    assert event.action == "membership.cancelled"
    assert event.payload["changes"]["status"] == {"old": "active", "new": "cancelled"}
    assert event.payload["changes"]["auto_renew"] == {"old": True, "new": False}
    assert event.payload["changes"]["cancelled_at"]["old"] is None


def test_saving_an_already_cancelled_membership_is_an_ordinary_update(actor, customer, plan):
    membership = MembershipFactory(
        customer=customer,
        plan=plan,
        status=Membership.Status.CANCELLED,
        cancelled_at=timezone.now(),
        auto_renew=False,
    )
    membership_update(
        actor=actor,
        membership=membership,
        values={"status": Membership.Status.CANCELLED, "cancellation_reason": "Too expensive"},
    )
    event = Event.objects.get()
    assert event.action == "membership.updated"
    assert set(event.payload["changes"]) == {"cancellation_reason"}


def test_a_cancelled_membership_cannot_renew_automatically(actor, customer, plan):
    membership = MembershipFactory(
        customer=customer,
        plan=plan,
        status=Membership.Status.CANCELLED,
        cancelled_at=timezone.now(),
        auto_renew=False,
    )
    with pytest.raises(ValidationError, match="needs a cancellation time and no auto-renew"):
        membership_update(actor=actor, membership=membership, values={"auto_renew": True})
    membership.refresh_from_db()
    assert membership.auto_renew is False
    assert not Event.objects.exists()


def test_changing_the_customer_in_an_update_is_refused_in_favour_of_transfer(actor, membership):
    customer = membership.customer
    with pytest.raises(MembershipError, match="Transfer the membership"):
        membership_update(
            actor=actor, membership=membership, values={"customer": CustomerFactory()}
        )
    membership.refresh_from_db()
    assert membership.customer == customer
    assert not Event.objects.exists()


def test_changing_the_plan_to_a_product_that_is_no_plan_is_refused(actor, membership, backup):
    with pytest.raises(ValidationError, match="Backup is not a plan"):
        membership_update(actor=actor, membership=membership, values={"plan": backup})
    membership.refresh_from_db()
    assert membership.plan.slug == "gold"
    assert not Event.objects.exists()


def test_a_failing_audit_trail_leaves_the_membership_unchanged(actor, membership, monkeypatch):
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        membership_update(
            actor=actor, membership=membership, values={"status": Membership.Status.CANCELLED}
        )
    stored = Membership.objects.get(pk=membership.pk)
    assert (stored.status, stored.cancelled_at, stored.auto_renew) == (
        Membership.Status.ACTIVE,
        None,
        True,
    )


# Add-ons


def test_setting_addons_adds_recounts_and_removes_them_in_one_event(actor, membership, backup, seo):
    MembershipAddonFactory(membership=membership, product=backup, quantity=1)
    extra = ProductFactory(name="Extra storage", slug="storage", type=Product.Type.PACKAGE)
    MembershipAddonFactory(membership=membership, product=extra, quantity=3)
    changes = membership_set_addons(actor=actor, membership=membership, addons={backup: 2, seo: 1})
    assert {(line.product, line.quantity) for line in membership.addon_lines.all()} == {
        (backup, 2),
        (seo, 1),
    }
    event = Event.objects.get()
    assert event.action == "membership.updated"
    assert event.payload["changes"] == changes
    assert changes == {
        "addons": {
            "old": ["Backup × 1", "Extra storage × 3"],
            "new": ["Backup × 2", "SEO × 1"],
        }
    }


def test_setting_the_same_addons_records_nothing(actor, membership, backup):
    MembershipAddonFactory(membership=membership, product=backup, quantity=2)
    assert membership_set_addons(actor=actor, membership=membership, addons={backup: 2}) == {}
    assert not Event.objects.exists()


def test_setting_an_addon_quantity_of_zero_is_refused(actor, membership, backup, seo):
    MembershipAddonFactory(membership=membership, product=backup, quantity=2)
    with pytest.raises(ValidationError, match="quantity of SEO must be at least 1"):
        membership_set_addons(actor=actor, membership=membership, addons={backup: 3, seo: 0})
    assert [(line.product, line.quantity) for line in membership.addon_lines.all()] == [(backup, 2)]
    assert not Event.objects.exists()


# Transfers


def test_transfer_moves_the_membership_and_all_its_sites(actor, membership):
    from_customer = membership.customer
    to_customer = CustomerFactory()
    sites = SiteFactory.create_batch(2, customer=from_customer, membership=membership)
    other_site = SiteFactory(customer=from_customer)
    payment = PaymentFactory(customer=from_customer, membership=membership)

    membership_transfer(actor=actor, membership=membership, to_customer=to_customer)

    membership.refresh_from_db()
    assert membership.customer == to_customer
    assert set(Site.objects.filter(customer=to_customer)) == set(sites)
    other_site.refresh_from_db()
    assert other_site.customer == from_customer
    payment.refresh_from_db()
    assert payment.customer == from_customer
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("membership.transferred", to_customer.pk)
    assert event.payload["from"] == from_customer.reference
    assert event.payload["to"] == to_customer.reference
    assert sorted(event.payload["sites_moved"]) == sorted(site.reference for site in sites)
    assert event.payload["changes"]["customer"] == {
        "old": str(from_customer),
        "new": str(to_customer),
    }


def test_transfer_to_the_same_customer_is_refused(actor, membership):
    with pytest.raises(MembershipError, match="already belongs to Ada Lovelace"):
        membership_transfer(actor=actor, membership=membership, to_customer=membership.customer)
    assert not Event.objects.exists()


def test_a_failing_audit_trail_leaves_transfer_undone(actor, membership, monkeypatch):
    from_customer = membership.customer
    site = SiteFactory(customer=from_customer, membership=membership)
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        membership_transfer(actor=actor, membership=membership, to_customer=CustomerFactory())
    assert Membership.objects.get(pk=membership.pk).customer == from_customer
    assert Site.objects.get(pk=site.pk).customer == from_customer


# Deleting memberships


def test_deleting_with_its_sites_cancels_first_and_keeps_payments(actor, membership):
    customer = membership.customer
    SiteFactory.create_batch(2, customer=customer, membership=membership)
    payment = PaymentFactory(customer=customer, membership=membership)

    counts = membership_delete(actor=actor, membership=membership, sites=DELETE_SITES)

    assert counts == {"sites": 2, "payments": 1, "addons": 0}
    assert not Membership.objects.exists()
    assert not Site.objects.exists()
    payment.refresh_from_db()
    assert (payment.customer, payment.membership) == (customer, None)
    event = Event.objects.get()
    assert (event.action, event.object_repr, event.customer_id) == (
        "membership.deleted",
        membership.reference,
        customer.pk,
    )
    assert event.payload == {"counts": counts, "sites": "delete", "cancelled_first": True}


def test_deleting_and_detaching_sites_leaves_them_with_the_customer(actor, customer, plan):
    membership = MembershipFactory(
        customer=customer,
        plan=plan,
        status=Membership.Status.CANCELLED,
        cancelled_at=timezone.now(),
        auto_renew=False,
    )
    MembershipAddonFactory(membership=membership)
    site = SiteFactory(customer=customer, membership=membership)

    membership_delete(actor=actor, membership=membership, sites=DETACH_SITES)

    site.refresh_from_db()
    assert (site.customer, site.membership, site.type) == (
        customer,
        None,
        Site.Type.CUSTOMER_OWNED,
    )
    assert not MembershipAddon.objects.exists()
    event = Event.objects.get()
    assert event.payload["cancelled_first"] is False
    assert event.payload["counts"] == {"sites": 1, "payments": 0, "addons": 1}


def test_deleting_without_saying_what_happens_to_sites_is_refused(actor, membership):
    SiteFactory(customer=membership.customer, membership=membership)
    with pytest.raises(ValidationError, match="deleted or detached"):
        membership_delete(actor=actor, membership=membership, sites="keep")
    assert Membership.objects.get().status == Membership.Status.ACTIVE
    assert Site.objects.get().membership == membership
    assert not Event.objects.exists()


def test_a_failing_audit_trail_leaves_the_membership_and_its_sites(actor, membership, monkeypatch):
    site = SiteFactory(customer=membership.customer, membership=membership)
    PaymentFactory(customer=membership.customer, membership=membership)
    monkeypatch.setattr(Event.objects, "create", mock.Mock(side_effect=RuntimeError("down")))
    with pytest.raises(RuntimeError):
        membership_delete(actor=actor, membership=membership, sites=DELETE_SITES)
    assert Membership.objects.get().status == Membership.Status.ACTIVE
    assert Site.objects.get().pk == site.pk
    assert Payment.objects.get().membership == membership

"""The membership page's Products panel: changing the plan, adding, re-counting and removing
add-ons."""

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from events.models import Event
from memberships.models import DurationUnit
from tests.factories import MembershipAddonFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


def post(client, name, membership, data):
    return client.post(reverse(f"memberships:{name}", args=[membership.pk]), data)


def addons_of(membership) -> dict[str, int]:
    return {line.product.name: line.quantity for line in membership.addon_lines.all()}


def test_changing_the_plan_keeps_the_billing_terms_and_records_old_and_new(
    admin_client, gold_membership
):
    platinum = ProductFactory(name="Platinum", amount=Decimal("99.00"))
    response = admin_client.post(
        reverse("memberships:change_plan", args=[gold_membership.pk]),
        {"plan": platinum.pk},
        follow=True,
    )
    assert "The plan is now Platinum." in response.content.decode()
    gold_membership.refresh_from_db()
    assert (gold_membership.plan, gold_membership.amount) == (platinum, Decimal("29.00"))
    event = Event.objects.get()
    assert event.action == "membership.updated"
    assert event.payload["changes"] == {"plan": {"old": "Gold", "new": "Platinum"}}


def test_changing_the_plan_can_take_its_price_and_billing_period(admin_client, gold_membership):
    yearly = ProductFactory(
        name="Yearly", amount=Decimal("290.00"), duration_unit=DurationUnit.YEAR
    )
    post(admin_client, "change_plan", gold_membership, {"plan": yearly.pk, "take_terms": "on"})
    gold_membership.refresh_from_db()
    assert (gold_membership.amount, gold_membership.duration_unit) == (Decimal("290.00"), "year")
    assert set(Event.objects.get().payload["changes"]) == {"plan", "amount", "duration_unit"}


@pytest.mark.parametrize("chosen", ["package", "inactive plan", "unknown"])
def test_a_plan_that_is_no_active_plan_is_refused(admin_client, gold_membership, catalog, chosen):
    product_id = {
        "package": catalog.backup.pk,
        "inactive plan": ProductFactory(name="Old", active=False).pk,
        "unknown": 999999,
    }[chosen]
    response = post(admin_client, "change_plan", gold_membership, {"plan": product_id})
    assert response.status_code == 200
    assert "That product is not an active plan." in response.content.decode()
    gold_membership.refresh_from_db()
    assert gold_membership.plan == catalog.gold
    assert not Event.objects.exists()


def test_adding_an_addon_records_the_addons_before_and_after(
    admin_client, gold_membership, catalog
):
    MembershipAddonFactory(membership=gold_membership, product=catalog.seo)
    response = post(
        admin_client, "addon_set", gold_membership, {"product": catalog.backup.pk, "quantity": 2}
    )
    assert response["Location"] == reverse("memberships:detail", args=[gold_membership.pk])
    assert addons_of(gold_membership) == {"Backup": 2, "SEO": 1}
    event = Event.objects.get()
    assert event.payload["changes"] == {
        "addons": {"old": ["SEO × 1"], "new": ["Backup × 2", "SEO × 1"]}
    }


def test_a_new_quantity_replaces_the_old_one(admin_client, gold_membership, catalog):
    MembershipAddonFactory(membership=gold_membership, product=catalog.backup, quantity=1)
    post(admin_client, "addon_set", gold_membership, {"product": catalog.backup.pk, "quantity": 5})
    assert addons_of(gold_membership) == {"Backup": 5}
    assert Event.objects.get().payload["changes"]["addons"]["new"] == ["Backup × 5"]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "A quantity must be at least 1."),
        ("-3", "A quantity must be at least 1."),
        ("two", "Enter a whole number."),
    ],
)
def test_a_quantity_below_one_is_refused(admin_client, gold_membership, catalog, quantity, message):
    MembershipAddonFactory(membership=gold_membership, product=catalog.backup, quantity=2)
    response = post(
        admin_client,
        "addon_set",
        gold_membership,
        {"product": catalog.backup.pk, "quantity": quantity},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert addons_of(gold_membership) == {"Backup": 2}
    assert not Event.objects.exists()


def test_a_plan_cannot_be_added_as_an_addon(admin_client, gold_membership):
    other_plan = ProductFactory(name="Platinum")
    response = post(
        admin_client, "addon_set", gold_membership, {"product": other_plan.pk, "quantity": 1}
    )
    assert "plans can't be add-ons" in unescape(response.content.decode())
    assert addons_of(gold_membership) == {}
    assert not Event.objects.exists()


def test_a_deactivated_addon_can_be_recounted_but_not_added(admin_client, gold_membership):
    kept = ProductFactory(name="Legacy", type="service", active=False)
    MembershipAddonFactory(membership=gold_membership, product=kept, quantity=1)
    retired = ProductFactory(name="Retired", type="service", active=False)
    post(admin_client, "addon_set", gold_membership, {"product": kept.pk, "quantity": 2})
    post(admin_client, "addon_set", gold_membership, {"product": retired.pk, "quantity": 1})
    assert addons_of(gold_membership) == {"Legacy": 2}


def test_removing_an_addon_records_it(admin_client, gold_membership, catalog):
    MembershipAddonFactory(membership=gold_membership, product=catalog.backup, quantity=2)
    MembershipAddonFactory(membership=gold_membership, product=catalog.seo)
    post(admin_client, "addon_remove", gold_membership, {"product": catalog.backup.pk})
    assert addons_of(gold_membership) == {"SEO": 1}
    assert Event.objects.get().payload["changes"]["addons"] == {
        "old": ["Backup × 2", "SEO × 1"],
        "new": ["SEO × 1"],
    }


@pytest.mark.parametrize("product", ["not on it", "unknown"])
def test_removing_a_product_the_membership_lacks_says_so(
    admin_client, gold_membership, catalog, product
):
    data = {"product": catalog.seo.pk if product == "not on it" else 999999}
    response = admin_client.post(
        reverse("memberships:addon_remove", args=[gold_membership.pk]), data, follow=True
    )
    assert "That product is not an add-on of this membership." in response.content.decode()
    assert not Event.objects.exists()


def test_the_plan_select_offers_active_plans_and_the_current_one(admin_client, customer):
    retired = ProductFactory(name="Retired plan", active=False)
    ProductFactory(name="Hidden plan", active=False)
    ProductFactory(name="Fresh plan")
    membership = MembershipFactory(customer=customer, plan=retired)
    page = admin_client.get(reverse("memberships:detail", args=[membership.pk])).content.decode()
    assert "Fresh plan</option>" in page
    assert "Retired plan</option>" in page
    assert "Hidden plan" not in page


def test_the_addon_select_offers_active_addons_and_the_ones_the_membership_has(
    admin_client, gold_membership, catalog
):
    kept = ProductFactory(name="Legacy", type="service", active=False)
    MembershipAddonFactory(membership=gold_membership, product=kept)
    ProductFactory(name="Retired", type="package", active=False)
    response = admin_client.get(reverse("memberships:detail", args=[gold_membership.pk]))
    plans = [str(label) for _, label in response.context["plan_form"]["plan"].field.choices]
    addons = [str(label) for _, label in response.context["addon_form"]["product"].field.choices]
    # Packages before services, each by name, as in the catalogue.
    assert addons[1:] == ["Backup", "Legacy", "SEO"]
    assert plans[1:] == ["Gold"]
    assert [line.product.name for line in response.context["addon_lines"]] == ["Legacy"]


def test_each_membership_page_lists_its_own_add_ons_and_offers_its_own_plan(
    admin_client, gold_membership, catalog
):
    retired = ProductFactory(name="Retired", active=False)
    other = MembershipFactory(plan=retired)
    MembershipAddonFactory(membership=gold_membership, product=catalog.backup, quantity=2)
    MembershipAddonFactory(membership=other, product=catalog.seo, quantity=5)

    # The same statement for both pages, each with its own membership and plan.
    for _ in range(2):
        gold = admin_client.get(reverse("memberships:detail", args=[gold_membership.pk]))
        mine = admin_client.get(reverse("memberships:detail", args=[other.pk]))

        assert [line.product.name for line in gold.context["addon_lines"]] == ["Backup"]
        assert [line.quantity for line in mine.context["addon_lines"]] == [5]
        assert [line.product for line in mine.context["addon_lines"]] == [catalog.seo]
        assert retired in mine.context["plan_form"].fields["plan"].products.values()
        assert retired not in gold.context["plan_form"].fields["plan"].products.values()

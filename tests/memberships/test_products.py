from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event
from memberships.models import Product
from tests.factories import MembershipAddonFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST = reverse("memberships:products")
ADD = reverse("memberships:product_add")


def edit_url(product):
    return reverse("memberships:product_detail", args=[product.pk])


def product_data(**overrides):
    return {
        "name": "Silver",
        "slug": "silver",
        "type": "plan",
        "amount": "9.00",
        "setup_fee": "0",
        "recurring": "on",
        "duration": "1",
        "duration_unit": "month",
        "active": "on",
    } | overrides


def test_the_list_has_type_tabs_with_counts(admin_client, catalog):
    response = admin_client.get(LIST)
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"all": 3, "plan": 1, "package": 1, "service": 1}
    names = [
        product.name for product in admin_client.get(LIST, {"tab": "service"}).context["page"].rows
    ]
    assert names == ["SEO"]
    page = response.content.decode()
    assert edit_url(catalog.gold) in page
    assert "Add Product" in page


def test_the_list_uses_as_many_queries_for_one_product_as_for_many(admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(LIST)
        return len(captured)

    ProductFactory()
    one = queries()
    ProductFactory.create_batch(30)
    assert queries() == one <= 6


def test_adding_a_product_saves_it_and_records_product_created(admin_client):
    response = admin_client.post(ADD, product_data(setup_fee="5.00"))
    product = Product.objects.get()
    assert response["Location"] == edit_url(product)
    assert (product.name, product.amount, product.setup_fee) == (
        "Silver",
        Decimal("9.00"),
        Decimal("5.00"),
    )
    assert Event.objects.get().action == "product.created"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-1", "Ensure this value is greater than or equal to 0."),
        ("setup_fee", "-0.50", "Ensure this value is greater than or equal to 0."),
        ("duration", "0", "Ensure this value is greater than or equal to 1."),
        ("slug", "gold", "Product with this Slug already exists."),
        ("slug", "not a slug!", "Enter a valid “slug”"),
        ("type", "bundle", "Select a valid choice."),
        ("name", "", "This field is required."),
    ],
)
def test_bad_product_input_is_shown_by_its_field_and_saves_nothing(
    admin_client, catalog, field, value, message
):
    response = admin_client.post(ADD, product_data(**{field: value}))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert Product.objects.count() == 3
    assert not Event.objects.exists()


def test_editing_records_each_changed_field_old_and_new(admin_client, catalog):
    gold = catalog.gold
    data = product_data(name="Gold", slug="gold", amount="39.00", active="")
    response = admin_client.post(edit_url(gold), data, follow=True)
    assert "Product Gold saved." in response.content.decode()
    gold.refresh_from_db()
    assert (gold.amount, gold.active) == (Decimal("39.00"), False)
    event = Event.objects.get()
    assert event.action == "product.updated"
    assert event.payload["changes"] == {
        "amount": {"old": "29.00", "new": "39.00"},
        "active": {"old": True, "new": False},
    }


def test_a_product_in_use_cannot_change_type(admin_client, catalog):
    MembershipFactory(plan=catalog.gold)
    data = product_data(name="Gold", slug="gold", amount="29.00", type="package")
    response = admin_client.post(edit_url(catalog.gold), data)
    assert response.status_code == 200
    assert "used by memberships, so its type can't change" in unescape(response.content.decode())
    catalog.gold.refresh_from_db()
    assert catalog.gold.type == Product.Type.PLAN
    assert not Event.objects.exists()


def test_an_unknown_product_is_not_found(admin_client):
    for name in ["product_detail", "product_delete", "product_deactivate"]:
        response = admin_client.post(reverse(f"memberships:{name}", args=[999999]))
        assert response.status_code == 404


def test_an_unused_product_is_deleted_after_confirmation(admin_client, catalog):
    url = reverse("memberships:product_delete", args=[catalog.seo.pk])
    page = admin_client.get(url).content.decode()
    assert "Yes, delete this product" in page
    assert Product.objects.filter(pk=catalog.seo.pk).exists()
    response = admin_client.post(url)
    assert response["Location"] == LIST
    assert not Product.objects.filter(pk=catalog.seo.pk).exists()
    event = Event.objects.get()
    assert (event.action, event.object_repr) == ("product.deleted", "SEO")


@pytest.mark.parametrize("use", ["plan", "add-on"])
def test_a_product_in_use_explains_why_it_stays_and_offers_deactivating(admin_client, catalog, use):
    product = catalog.gold if use == "plan" else catalog.backup
    MembershipAddonFactory(membership__plan=catalog.gold, product=catalog.backup)
    url = reverse("memberships:product_delete", args=[product.pk])

    page = unescape(admin_client.get(url).content.decode())
    assert "This product can't be deleted" in page
    assert "Used by 1 membership. Deleting" in page
    assert "Deactivate instead" in page
    assert "Yes, delete" not in page

    response = admin_client.post(url, follow=True)
    assert "Deactivate it instead" in response.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()
    assert not Event.objects.exists()


def test_deactivating_keeps_the_product_on_its_memberships(admin_client, catalog):
    membership = MembershipFactory(plan=catalog.gold)
    url = reverse("memberships:product_deactivate", args=[catalog.gold.pk])
    response = admin_client.post(url, follow=True)
    assert "can't be chosen any more" in unescape(response.content.decode())
    catalog.gold.refresh_from_db()
    assert catalog.gold.active is False
    membership.refresh_from_db()
    assert membership.plan == catalog.gold
    assert Event.objects.get().payload["changes"] == {"active": {"old": True, "new": False}}


def test_support_agents_see_products_read_only(agent_client, catalog):
    assert agent_client.get(LIST).status_code == 200
    response = agent_client.get(edit_url(catalog.gold))
    assert response.status_code == 200
    assert all(field.disabled for field in response.context["form"].fields.values())
    page = response.content.decode()
    assert "Save Product" not in page and "Delete Product" not in page
    for url in [
        ADD,
        edit_url(catalog.gold),
        reverse("memberships:product_deactivate", args=[catalog.gold.pk]),
        reverse("memberships:product_delete", args=[catalog.seo.pk]),
    ]:
        assert agent_client.post(url, product_data()).status_code == 403
    assert Product.objects.count() == 3
    assert not Event.objects.exclude(action="auth.permission_denied").exists()


def test_the_product_page_says_how_many_memberships_use_it(admin_client, catalog, monkeypatch):
    MembershipFactory.create_batch(2, plan=catalog.gold)
    MembershipAddonFactory(membership__plan=catalog.gold, product=catalog.backup)
    assert "Used by 3 memberships." in admin_client.get(edit_url(catalog.gold)).content.decode()
    assert "Used by 1 membership." in admin_client.get(edit_url(catalog.backup)).content.decode()
    assert "Used by 0 memberships." in admin_client.get(edit_url(catalog.seo)).content.decode()
    # Past the cap the page stops counting.
    monkeypatch.setattr("memberships.views.COUNT_CAP", 2)
    page = admin_client.get(edit_url(catalog.gold)).content.decode()
    assert "Used by more than 2 memberships." in page

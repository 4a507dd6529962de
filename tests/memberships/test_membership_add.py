from decimal import Decimal

import pytest
from django.urls import reverse

from events.models import Event
from memberships.models import Membership
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = reverse("memberships:add")


def test_the_form_offers_active_plans_and_addons(admin_client, catalog):
    ProductFactory(name="Retired", active=False)
    page = admin_client.get(URL).content.decode()
    assert "Gold</option>" in page
    assert "Retired" not in page
    assert f'name="addon_{catalog.backup.pk}"' in page
    assert f'name="addon_{catalog.seo.pk}"' in page


def test_a_customer_in_the_query_string_is_preselected(admin_client, customer, catalog):
    page = admin_client.get(URL, {"customer": customer.pk}).content.decode()
    assert f'value="{customer.reference}"' in page


def test_an_unknown_customer_in_the_query_string_is_not_found(admin_client):
    assert admin_client.get(URL, {"customer": 999999}).status_code == 404


@pytest.mark.parametrize("named_by", ["reference", "email", "username"])
def test_adding_creates_the_membership_with_its_addons_and_one_event(
    admin_client, customer, catalog, named_by
):
    name = {
        "reference": customer.reference.lower(),
        "email": customer.email.upper(),
        "username": customer.user.username,
    }[named_by]
    response = admin_client.post(
        URL,
        {
            "customer": name,
            "plan": catalog.gold.pk,
            "status": "active",
            f"addon_{catalog.backup.pk}": "2",
            f"addon_{catalog.seo.pk}": "0",
        },
    )
    membership = Membership.objects.get()
    assert response["Location"] == reverse("memberships:detail", args=[membership.pk])
    assert (membership.customer, membership.plan, membership.status) == (
        customer,
        catalog.gold,
        "active",
    )
    assert membership.amount == Decimal("29.00")
    assert {line.product.name: line.quantity for line in membership.addon_lines.all()} == {
        "Backup": 2
    }
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("membership.created", customer.pk)
    assert event.payload == {"plan": "Gold", "addons": ["Backup × 2"]}


def test_a_membership_added_as_cancelled_is_cancelled_properly(admin_client, customer, catalog):
    admin_client.post(
        URL, {"customer": customer.reference, "plan": catalog.gold.pk, "status": "cancelled"}
    )
    membership = Membership.objects.get()
    assert membership.cancelled_at is not None
    assert membership.auto_renew is False


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("customer", "nobody@example.com", "No single customer has this"),
        ("customer", "", "This field is required."),
        ("plan", "the Backup package", "That product is not an active plan."),
        ("addon", "-1", "A quantity must be at least 0."),
        ("status", "paused", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_by_its_field_and_adds_nothing(
    admin_client, customer, catalog, field, typed, message
):
    name = f"addon_{catalog.backup.pk}" if field == "addon" else field
    typed = {"the Backup package": catalog.backup.pk}.get(typed, typed)
    data = {"customer": customer.reference, "plan": catalog.gold.pk, "status": "pending"}
    response = admin_client.post(URL, data | {name: typed})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[name])
    assert not Membership.objects.exists()
    assert not Event.objects.exists()


def test_a_name_matching_two_customers_is_refused(admin_client, catalog):
    # One customer's username is another customer's email address.
    CustomerFactory(user__username="ada@example.com")
    CustomerFactory(user__email="ada@example.com")
    response = admin_client.post(
        URL, {"customer": "ada@example.com", "plan": catalog.gold.pk, "status": "pending"}
    )
    assert "No single customer has this" in response.content.decode()
    assert not Membership.objects.exists()


def test_support_agents_cannot_add_memberships(agent_client, customer, catalog):
    assert agent_client.get(URL).status_code == 403
    response = agent_client.post(
        URL, {"customer": customer.reference, "plan": catalog.gold.pk, "status": "pending"}
    )
    assert response.status_code == 403
    assert not Membership.objects.exists()

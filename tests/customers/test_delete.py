import html
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Customer, User
from events.models import Event
from memberships.models import Membership
from payments.models import Payment, Refund
from sites.models import Site
from tests.factories import (
    CustomerFactory,
    EventFactory,
    LoginRecordFactory,
    MembershipFactory,
    NoteFactory,
    PaymentFactory,
    RefundFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


def url(customer):
    return reverse("customers:delete", args=[customer.pk])


@pytest.fixture
def doomed():
    customer = CustomerFactory(user__email="doomed@example.com", company_name="Doomed Ltd")
    membership = MembershipFactory(customer=customer)
    SiteFactory(customer=customer, membership=membership)
    payment = PaymentFactory(customer=customer, membership=membership, lines=[Decimal("80.00")])
    RefundFactory(payment=payment, amount=Decimal("10.00"))
    NoteFactory(customer=customer)
    LoginRecordFactory(customer=customer)
    EventFactory(customer_id=customer.pk)
    return customer


def test_the_confirmation_shows_what_will_happen_with_counts(admin_client, doomed):
    response = admin_client.get(url(doomed))
    page = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Deleting is permanent",
        "1 membership",
        "1 site",
        "1 payment",
        "1 refund",
        "1 note",
        "1 login record",
        "1 event",
        "Kept",
        "doomed@example.com",
        "Yes, delete this customer",
        "No, take me back",
    ]:
        assert text in page, text
    assert Customer.objects.filter(pk=doomed.pk).exists()


def test_deleting_removes_the_customer_and_keeps_payments_refunds_and_events(admin_client, doomed):
    customer_browser = Client()
    customer_browser.force_login(doomed.user)
    payment = Payment.objects.get()
    response = admin_client.post(
        url(doomed),
        {"related": "delete", "confirmation": "doomed@example.com"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("customers:list")
    assert "deleted" in response.content.decode()
    assert not Customer.objects.exists()
    assert not User.objects.filter(email="doomed@example.com").exists()
    assert not Membership.objects.exists() and not Site.objects.exists()
    payment.refresh_from_db()
    assert payment.customer is None
    assert payment.billing_email == "doomed@example.com"
    assert Refund.objects.count() == 1
    assert Event.objects.filter(action="customer.deleted").get().payload["counts"]["payments"] == 1
    assert Event.objects.count() == 2
    # The customer's own session no longer works.
    assert customer_browser.get(reverse("account:index")).status_code == 302


def test_memberships_and_sites_can_move_to_a_customer_picked_by_search(admin_client, doomed):
    heir = CustomerFactory()
    admin_client.post(
        url(doomed),
        {
            "related": "move",
            "move_to": heir.reference.lower(),
            "confirmation": "doomed@example.com",
        },
    )
    assert Membership.objects.get().customer == heir
    assert Site.objects.get().customer == heir
    assert not Customer.objects.filter(pk=doomed.pk).exists()


@pytest.mark.parametrize(
    "typed",
    ["Doomed@example.com", " doomed@example.com", "doomed@example.com ", "doomеd@example.com", ""],
    ids=["case", "leading-space", "trailing-space", "cyrillic-e", "empty"],
)
def test_wrong_confirmation_deletes_nothing(admin_client, doomed, typed):
    response = admin_client.post(url(doomed), {"related": "delete", "confirmation": typed})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "doesn't match" in page or "This field is required" in page
    assert Customer.objects.filter(pk=doomed.pk).exists()
    assert Membership.objects.exists()
    assert not Event.objects.filter(action="customer.deleted").exists()


@pytest.mark.parametrize(
    ("move_to", "message"),
    [("", "Enter the customer"), ("nobody-here", "No customer matches"), ("SELF", "not being")],
)
def test_moving_needs_another_existing_customer(admin_client, doomed, move_to, message):
    move_to = doomed.reference if move_to == "SELF" else move_to
    response = admin_client.post(
        url(doomed), {"related": "move", "move_to": move_to, "confirmation": "doomed@example.com"}
    )
    assert message in response.content.decode()
    assert Customer.objects.filter(pk=doomed.pk).exists()


def test_get_never_deletes(admin_client, doomed):
    admin_client.get(url(doomed), {"related": "delete", "confirmation": "doomed@example.com"})
    assert Customer.objects.filter(pk=doomed.pk).exists()


def test_a_staff_login_account_is_kept(admin_client, support_agent):
    customer = CustomerFactory(user=support_agent)
    page = admin_client.get(url(customer)).content.decode()
    assert "it is a staff account and stays" in page
    admin_client.post(url(customer), {"related": "delete", "confirmation": support_agent.email})
    assert User.objects.filter(pk=support_agent.pk).exists()
    assert not Customer.objects.exists()


def test_support_agent_cannot_delete(agent_client, doomed):
    assert agent_client.get(url(doomed)).status_code == 403
    response = agent_client.post(
        url(doomed), {"related": "delete", "confirmation": "doomed@example.com"}
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=doomed.pk).exists()


def test_delete_selected_goes_through_the_same_confirmation(admin_client):
    first, second = CustomerFactory.create_batch(2)
    keep = CustomerFactory()
    response = admin_client.post(
        reverse("customers:bulk"),
        {"action": "delete", "customers": [first.pk, second.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Delete 2 customers?" in page and "delete 2 customers" in page
    assert Customer.objects.count() == 3

    admin_client.post(
        reverse("customers:delete_many"),
        {
            "customers": [first.pk, second.pk],
            "related": "delete",
            "confirmation": "delete 2 customers",
        },
    )
    assert list(Customer.objects.all()) == [keep]
    assert Event.objects.filter(action="customer.deleted").count() == 2


def test_delete_selected_with_wrong_confirmation_deletes_none(admin_client):
    first, second = CustomerFactory.create_batch(2)
    admin_client.post(
        reverse("customers:delete_many"),
        {"customers": [first.pk, second.pk], "related": "delete", "confirmation": "yes"},
    )
    assert Customer.objects.count() == 2

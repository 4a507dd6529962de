import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from memberships.models import Membership
from payments.models import Payment
from sites.models import Site
from tests.factories import MembershipAddonFactory, PaymentFactory, SiteFactory

pytestmark = pytest.mark.django_db


def url(membership):
    return reverse("memberships:delete", args=[membership.pk])


@pytest.fixture
def with_sites_and_payments(gold_membership):
    ada = gold_membership.customer
    SiteFactory(customer=ada, membership=gold_membership, title="Engine Works")
    SiteFactory(customer=ada, membership=gold_membership, title="Notes on the Engine")
    PaymentFactory(customer=ada, membership=gold_membership)
    MembershipAddonFactory(membership=gold_membership)
    return gold_membership


def test_the_confirmation_lists_its_sites_and_payments_and_their_fate(
    admin_client, with_sites_and_payments
):
    membership = with_sites_and_payments
    payment = Payment.objects.get()
    response = admin_client.get(url(membership))
    page = response.content.decode()
    for text in [
        f"Delete membership {membership.reference}?",
        "Deleting is permanent.",
        "The membership is cancelled first",
        "2 sites: your choice below",
        "Engine Works",
        "Notes on the Engine",
        "1 payment (an accounting record",
        payment.reference,
        "Keep them, without a membership",
        "Delete them too",
        "Yes, delete this membership",
        "No, take me back",
    ]:
        assert text in page, text
    assert Membership.objects.exists()
    assert not Event.objects.exists()


def test_the_admin_must_say_what_happens_to_the_sites(admin_client, with_sites_and_payments):
    response = admin_client.post(url(with_sites_and_payments), {})
    assert response.status_code == 200
    assert "Choose whether its sites are kept or deleted." in response.content.decode()
    assert Membership.objects.get().status == Membership.Status.ACTIVE
    assert Site.objects.count() == 2
    assert not Event.objects.exists()


def test_deleting_with_its_sites_keeps_the_payments(admin_client, with_sites_and_payments):
    membership = with_sites_and_payments
    response = admin_client.post(url(membership), {"sites": "delete"}, follow=True)
    assert response.redirect_chain[-1][0] == (
        f"{reverse('memberships:list')}?customer={membership.customer_id}"
    )
    page = response.content.decode()
    assert f"Membership {membership.reference} and its 2 sites were deleted." in page
    assert "Its 1 payment is kept as an accounting record." in page
    assert not Membership.objects.exists()
    assert not Site.objects.exists()
    assert Payment.objects.get().membership is None
    event = Event.objects.get()
    assert (event.action, event.object_repr) == ("membership.deleted", membership.reference)
    assert event.payload["counts"] == {"sites": 2, "payments": 1, "addons": 1}
    assert event.payload["sites"] == "delete"


def test_deleting_and_keeping_the_sites_leaves_them_with_the_customer(
    admin_client, with_sites_and_payments
):
    ada = with_sites_and_payments.customer
    admin_client.post(url(with_sites_and_payments), {"sites": "detach"})
    assert not Membership.objects.exists()
    assert [(site.customer, site.membership) for site in Site.objects.all()] == [(ada, None)] * 2
    assert Event.objects.get().payload["sites"] == "detach"


def test_a_membership_without_sites_is_deleted_without_a_choice(admin_client, customer, catalog):
    membership = Membership.objects.create(
        customer=customer,
        plan=catalog.gold,
        status=Membership.Status.CANCELLED,
        cancelled_at=timezone.now(),
        auto_renew=False,
    )
    page = admin_client.get(url(membership)).content.decode()
    assert "It has no sites." in page
    assert 'name="sites"' not in page
    admin_client.post(url(membership), {})
    assert not Membership.objects.exists()
    assert Event.objects.get().payload["cancelled_first"] is False


def test_an_unknown_choice_for_the_sites_is_refused(admin_client, with_sites_and_payments):
    response = admin_client.post(url(with_sites_and_payments), {"sites": "keep-forever"})
    assert "Select a valid choice." in response.content.decode()
    assert Membership.objects.exists()
    assert not Event.objects.exists()


def test_an_unknown_membership_is_not_found(admin_client):
    assert admin_client.get(reverse("memberships:delete", args=[999999])).status_code == 404


def test_support_agents_cannot_delete(agent_client, with_sites_and_payments):
    assert agent_client.get(url(with_sites_and_payments)).status_code == 403
    assert agent_client.post(url(with_sites_and_payments), {"sites": "delete"}).status_code == 403
    assert Membership.objects.exists()
    assert Site.objects.count() == 2

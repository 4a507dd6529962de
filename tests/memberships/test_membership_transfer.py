import pytest
from django.urls import reverse

from events.models import Event
from memberships.models import Membership
from sites.models import Site
from tests.factories import CustomerFactory, PaymentFactory, SiteFactory

pytestmark = pytest.mark.django_db


def url(membership):
    return reverse("memberships:transfer", args=[membership.pk])


@pytest.fixture
def grace(db):
    return CustomerFactory(
        user__first_name="Grace", user__last_name="Hopper", user__email="grace@navy.example"
    )


def test_the_membership_page_offers_the_transfer_search(admin_client, gold_membership):
    page = admin_client.get(reverse("memberships:detail", args=[gold_membership.pk]))
    content = page.content.decode()
    assert f'action="{url(gold_membership)}"' in content
    assert 'name="to"' in content


def test_the_confirmation_lists_what_moves_and_what_stays(admin_client, gold_membership, grace):
    ada = gold_membership.customer
    SiteFactory(customer=ada, membership=gold_membership, title="Engine Works")
    SiteFactory(customer=ada, membership=gold_membership, title="Notes on the Engine")
    SiteFactory(customer=ada, title="Unrelated blog")
    PaymentFactory(customer=ada, membership=gold_membership)

    response = admin_client.get(url(gold_membership), {"to": "GRACE@navy.example"})

    page = response.content.decode()
    assert response.context["to_customer"] == grace
    for text in [
        "From Ada Lovelace to Grace Hopper",
        gold_membership.reference,
        "and its 2 sites:",
        "Engine Works",
        "Notes on the Engine",
        "1 payment, which stays with Ada Lovelace",
        "Yes, transfer to Grace Hopper",
        f'name="to" value="{grace.reference}"',
    ]:
        assert text in page, text
    assert "Unrelated blog" not in page
    # Looking is not changing.
    gold_membership.refresh_from_db()
    assert gold_membership.customer == ada
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nobody@example.com", "No single customer has this reference, email address or username"),
        ("", "This field is required."),
        ("ada", "No single customer has this"),
    ],
)
def test_a_name_that_is_no_single_customer_is_explained(
    admin_client, gold_membership, typed, message
):
    response = admin_client.get(url(gold_membership), {"to": typed})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["to_customer"] is None
    assert "Yes, transfer" not in response.content.decode()


def test_a_transfer_to_the_same_customer_is_refused_and_changes_nothing(
    admin_client, gold_membership
):
    same = gold_membership.customer.reference
    for response in [
        admin_client.get(url(gold_membership), {"to": same}),
        admin_client.post(url(gold_membership), {"to": same}),
    ]:
        assert response.status_code == 200
        assert "already belongs to Ada Lovelace" in response.content.decode()
    assert not Event.objects.exists()


def test_the_transfer_moves_the_membership_and_its_sites_in_one_event(
    admin_client, gold_membership, grace
):
    ada = gold_membership.customer
    sites = SiteFactory.create_batch(2, customer=ada, membership=gold_membership)
    other_site = SiteFactory(customer=ada)
    payment = PaymentFactory(customer=ada, membership=gold_membership)

    response = admin_client.post(url(gold_membership), {"to": grace.reference}, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "memberships:detail", args=[gold_membership.pk]
    )
    assert "now belong to Grace Hopper" in response.content.decode()
    gold_membership.refresh_from_db()
    assert gold_membership.customer == grace
    assert set(Site.objects.filter(customer=grace)) == set(sites)
    other_site.refresh_from_db()
    assert other_site.customer == ada
    payment.refresh_from_db()
    assert payment.customer == ada
    event = Event.objects.get()
    assert event.action == "membership.transferred"
    assert event.payload["changes"]["customer"] == {"old": "Ada Lovelace", "new": "Grace Hopper"}
    assert sorted(event.payload["sites_moved"]) == sorted(site.reference for site in sites)


def test_an_unknown_membership_is_not_found(admin_client):
    assert admin_client.get(reverse("memberships:transfer", args=[999999])).status_code == 404


def test_support_agents_cannot_transfer(agent_client, gold_membership, grace):
    assert agent_client.get(url(gold_membership), {"to": grace.reference}).status_code == 403
    assert agent_client.post(url(gold_membership), {"to": grace.reference}).status_code == 403
    assert Membership.objects.get().customer == gold_membership.customer
    assert not Event.objects.exclude(action="auth.permission_denied").exists()

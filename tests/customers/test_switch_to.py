"""Switch to: an admin signs in as a customer, lands on their account page, and switches back."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, LoginRecord
from customers.switching import may_switch
from events.models import Event
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    PaymentFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BANNER = "You are signed in as"
SWITCH_BACK = reverse("customer_switch_back")


def switch_to_url(customer) -> str:
    return reverse("customer_switch_to", args=[customer.pk])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


# --- Switching and switching back ---------------------------------------------------------------


def test_switching_lands_on_the_customers_account_page_with_the_banner(admin_client, customer):
    response = admin_client.post(switch_to_url(customer), follow=True)

    assert response.redirect_chain == [(reverse("account:index"), 302)]
    assert signed_in_user_id(admin_client) == customer.user.pk
    page = response.content.decode()
    assert "Your account" in page
    assert f"{BANNER} <strong>Ada Lovelace</strong>" in page
    assert f'action="{SWITCH_BACK}"' in page


def test_the_banner_shows_on_every_page_while_switched(admin_client, customer):
    admin_client.post(switch_to_url(customer))
    # Even a page the customer may not open says who they are and how to switch back.
    forbidden = admin_client.get(reverse("payments:list"))
    assert forbidden.status_code == 403
    assert BANNER in forbidden.content.decode()


def test_the_banner_needs_no_inline_script_or_handler(admin_client, customer):
    admin_client.post(switch_to_url(customer))
    page = admin_client.get(reverse("account:index")).content.decode()
    banner = page[page.index('class="switch-banner"') :]
    assert "<script" not in banner
    assert not re.search(r"\son[a-z]+=", banner)
    assert not re.search(r"\sstyle=", banner)
    assert "hijack.css" not in page


def test_switching_back_returns_to_the_customer_page_without_the_banner(admin_client, customer):
    admin_client.post(switch_to_url(customer))

    response = admin_client.post(SWITCH_BACK, follow=True)

    assert response.redirect_chain == [(reverse("customers:detail", args=[customer.pk]), 302)]
    assert signed_in_user_id(admin_client) == response.wsgi_request.user.pk
    assert response.wsgi_request.user.username != customer.user.username
    page = response.content.decode()
    assert "You switched back from Ada Lovelace." in page
    assert BANNER not in page
    assert BANNER not in admin_client.get(reverse("customers:list")).content.decode()


def test_both_directions_are_recorded_with_the_admin_as_actor(
    admin_client, network_admin, customer
):
    admin_client.post(switch_to_url(customer), REMOTE_ADDR="203.0.113.5")
    switched_to = Event.objects.get()
    admin_client.post(SWITCH_BACK, REMOTE_ADDR="203.0.113.5")
    switched_back = Event.objects.exclude(pk=switched_to.pk).get()

    for event, action in [
        (switched_to, "customer.switched_to"),
        (switched_back, "customer.switched_back"),
    ]:
        assert event.action == action
        assert (event.actor_id, event.actor_repr) == (network_admin.pk, "Jane Admin")
        assert (event.object_type, event.object_id, event.customer_id) == (
            "customer",
            customer.pk,
            customer.pk,
        )
        assert event.ip_address == "203.0.113.5"
    assert switched_to.sentence == "Jane Admin switched to customer Ada Lovelace"
    assert switched_back.sentence == "Jane Admin switched back from customer Ada Lovelace"


def test_a_switch_is_not_a_login_of_the_customer(admin_client, customer):
    last_login = timezone.now() - timedelta(days=3)
    customer.user.last_login = last_login
    customer.user.save(update_fields=["last_login"])
    Customer.objects.filter(pk=customer.pk).update(last_login=last_login)

    admin_client.post(switch_to_url(customer), REMOTE_ADDR="198.51.100.7")
    admin_client.get(reverse("account:index"), REMOTE_ADDR="198.51.100.7")
    admin_client.post(SWITCH_BACK, REMOTE_ADDR="198.51.100.7")

    customer.refresh_from_db()
    customer.user.refresh_from_db()
    assert customer.user.last_login == last_login
    assert customer.last_login == last_login
    assert customer.last_seen is None
    assert not LoginRecord.objects.exists()


@pytest.fixture
def login_listener():
    """A receiver of user_logged_in, as django-axes or any other app might connect one."""
    heard = []

    def listener(sender, request, user, **kwargs):
        heard.append(user.username)

    user_logged_in.connect(listener, dispatch_uid="test-login-listener")
    yield heard
    user_logged_in.disconnect(dispatch_uid="test-login-listener")


def test_no_receiver_hears_a_switch_as_a_login(admin_client, customer, login_listener):
    admin_client.post(switch_to_url(customer))
    admin_client.post(SWITCH_BACK)
    assert login_listener == []
    # The same receiver does hear a real login.
    Client().force_login(customer.user)
    assert login_listener == [customer.user.username]


def test_the_session_key_changes_on_switch_and_on_switch_back(admin_client, customer):
    first = admin_client.session.session_key
    admin_client.post(switch_to_url(customer))
    second = admin_client.session.session_key
    admin_client.post(SWITCH_BACK)
    third = admin_client.session.session_key
    assert len({first, second, third}) == 3


def test_the_account_page_shows_only_that_customers_data(admin_client, customer):
    site = SiteFactory(customer=customer, domain="ada.example.net")
    membership = MembershipFactory(customer=customer)
    payment = PaymentFactory(customer=customer)
    other = CustomerFactory()
    other_site = SiteFactory(customer=other, domain="other.example.net")
    other_membership = MembershipFactory(customer=other)
    other_payment = PaymentFactory(customer=other)

    admin_client.post(switch_to_url(customer))
    page = admin_client.get(reverse("account:index")).content.decode()

    assert site.url in page and membership.reference in page and payment.reference in page
    for hidden in (other_site.url, other_membership.reference, other_payment.reference):
        assert hidden not in page


def test_the_account_page_is_the_one_the_customer_sees(admin_client, customer):
    MembershipFactory(customer=customer)
    SiteFactory(customer=customer)
    own = Client()
    own.force_login(customer.user)
    admin_client.post(switch_to_url(customer))

    def main_of(client):
        page = client.get(reverse("account:index")).content.decode()
        return page[page.index("<main") : page.index("</main>")]

    assert "Your memberships" in main_of(own)
    assert main_of(admin_client) == main_of(own)


# --- Who may switch to whom ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hijacker", "status"),
    [
        ("network admin", 302),
        ("superuser", 302),
        ("support agent", 403),
        ("staff without a role", 403),
        ("another customer", 403),
    ],
)
def test_only_roles_with_the_switch_permission_may_switch(client, customer, hijacker, status):
    user = {
        "network admin": lambda: UserFactory(is_staff=True, role="Network admin"),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
        "support agent": lambda: UserFactory(is_staff=True, role="Support agent"),
        "staff without a role": lambda: UserFactory(is_staff=True),
        "another customer": lambda: CustomerFactory().user,
    }[hijacker]()
    client.force_login(user)

    response = client.post(switch_to_url(customer))

    assert response.status_code == status
    switched = signed_in_user_id(client) == customer.user.pk
    assert switched == (status == 302)
    assert Event.objects.filter(action="customer.switched_to").count() == int(switched)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("staff", "Sam Staff has a staff account: you can only switch to customers."),
        ("superuser", "Sue Super has a staff account: you can only switch to customers."),
        ("inactive", "Ian Inactive's login account is inactive, so you can't switch to it."),
        ("yourself", "You can't switch to yourself."),
    ],
)
def test_nobody_can_switch_to_staff_superusers_inactive_users_or_themselves(
    admin_client, network_admin, target, message
):
    customer = {
        "staff": lambda: CustomerFactory(
            user__is_staff=True, user__first_name="Sam", user__last_name="Staff"
        ),
        "superuser": lambda: CustomerFactory(
            user__is_superuser=True, user__first_name="Sue", user__last_name="Super"
        ),
        "inactive": lambda: CustomerFactory(
            user__is_active=False, user__first_name="Ian", user__last_name="Inactive"
        ),
        "yourself": lambda: CustomerFactory(user=network_admin),
    }[target]()

    response = admin_client.post(switch_to_url(customer), follow=True)

    assert response.redirect_chain[0] == (reverse("customers:detail", args=[customer.pk]), 302)
    assert message in text_of(response)
    assert signed_in_user_id(admin_client) == network_admin.pk
    assert not Event.objects.exists()
    assert not may_switch(hijacker=network_admin, hijacked=customer.user)


def test_switching_to_an_unknown_customer_is_404(admin_client):
    assert admin_client.post(reverse("customer_switch_to", args=[999_999])).status_code == 404
    assert not Event.objects.exists()


def test_a_switched_admin_cannot_switch_again(admin_client, customer):
    admin_client.post(switch_to_url(customer))
    other = CustomerFactory()
    assert admin_client.post(switch_to_url(other)).status_code == 403
    assert Event.objects.exclude(action="auth.permission_denied").count() == 1


def test_hijacks_own_urls_are_not_exposed(admin_client, customer):
    # They would switch without our checks' messages and without recording an event.
    response = admin_client.post("/hijack/acquire/", {"user_pk": customer.user.pk})
    assert response.status_code == 404


# --- Bad input ----------------------------------------------------------------------------------


def test_switching_by_get_is_refused(admin_client, customer):
    assert admin_client.get(switch_to_url(customer)).status_code == 405
    assert admin_client.get(SWITCH_BACK).status_code == 405
    assert not Event.objects.exists()


def test_switching_without_a_csrf_token_is_refused(network_admin, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(network_admin)
    assert client.post(switch_to_url(customer)).status_code == 403
    assert signed_in_user_id(client) == network_admin.pk
    assert not Event.objects.exists()


def test_switching_back_without_a_csrf_token_is_refused(network_admin, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(network_admin)
    client.get(reverse("customers:detail", args=[customer.pk]))
    token = client.cookies["csrftoken"].value
    client.post(switch_to_url(customer), {"csrfmiddlewaretoken": token})
    assert signed_in_user_id(client) == customer.user.pk

    assert client.post(SWITCH_BACK).status_code == 403
    assert signed_in_user_id(client) == customer.user.pk


def test_switching_back_when_not_switched_explains_itself(admin_client, network_admin):
    response = admin_client.post(SWITCH_BACK, follow=True)
    assert "You haven't switched to a customer" in text_of(response)
    assert signed_in_user_id(admin_client) == network_admin.pk
    assert not Event.objects.exists()


def test_a_customer_switching_back_is_refused_and_stays_signed_in(customer_client, customer):
    response = customer_client.post(SWITCH_BACK, follow=True)
    assert response.redirect_chain[-1][0] == reverse("account:index")
    assert "You haven't switched to a customer" in text_of(response)
    assert signed_in_user_id(customer_client) == customer.user.pk


def test_a_next_pointing_elsewhere_is_ignored(admin_client, customer):
    response = admin_client.post(switch_to_url(customer), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("account:index")
    response = admin_client.post(SWITCH_BACK, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])


def test_switching_back_after_the_customer_record_went_returns_to_the_list(
    admin_client, network_admin, customer
):
    admin_client.post(switch_to_url(customer))
    Customer.objects.filter(pk=customer.pk).delete()

    response = admin_client.post(SWITCH_BACK)

    assert response["Location"] == reverse("customers:list")
    assert signed_in_user_id(admin_client) == network_admin.pk
    event = Event.objects.get(action="customer.switched_back")
    assert event.actor == network_admin
    assert event.sentence == "Jane Admin switched back from customer Ada Lovelace"


# --- The Switch to button -----------------------------------------------------------------------


@pytest.mark.parametrize("view", ["grid", "list"])
def test_the_customer_list_offers_switch_to_only_where_it_would_work(admin_client, view):
    ada = CustomerFactory()
    staff = CustomerFactory(user__is_staff=True)
    inactive = CustomerFactory(user__is_active=False)

    page = admin_client.get(reverse("customers:list"), {"view": view}).content.decode()

    assert f'action="{switch_to_url(ada)}"' in page
    assert f'action="{switch_to_url(staff)}"' not in page
    assert f'action="{switch_to_url(inactive)}"' not in page


def test_support_agents_see_no_switch_to_button(agent_client, customer):
    page = agent_client.get(reverse("customers:list")).content.decode()
    assert customer.name in page
    assert switch_to_url(customer) not in page

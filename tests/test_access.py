"""Who may open which page: deny by default, customers only see their account."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from customers.models import Customer
from events.models import Event
from tests.factories import CustomerFactory, MembershipFactory, SiteFactory, UserFactory

# WhiteNoise warns when STATIC_ROOT has not been collected, as in a fresh checkout.

ADMIN_LIST_URLS = [
    "/customers/",
    "/memberships/",
    "/memberships/products/",
    "/payments/",
    "/sites/",
    "/events/",
]
ADMIN_URLS = ["/", *ADMIN_LIST_URLS]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/customers/", "/payments/", "/account/", "/events/"])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
def test_login_page_is_public(client):
    assert client.get("/login/").status_code == 200


@pytest.mark.django_db
def test_health_check_is_public(client):
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("url", ADMIN_LIST_URLS)
def test_customers_cannot_open_admin_pages(customer_client, url):
    assert customer_client.get(url).status_code == 403


def test_customers_landing_on_home_go_to_their_account(customer_client):
    response = customer_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account:index")


def test_customers_can_open_their_account(customer_client):
    assert customer_client.get("/account/").status_code == 200


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_support_agents_can_open_admin_pages(agent_client, url):
    assert agent_client.get(url).status_code == 200


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_network_admins_can_open_admin_pages(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_URLS)
def test_staff_without_a_role_are_refused(client, url):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_inactive_role_holders_are_refused(client):
    # A deactivated admin's session must not keep working (ModelBackend drops inactive users).
    user = UserFactory(is_staff=True, role="Network admin")
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/payments/")
    assert response.status_code == 302


def test_forbidden_page_leaks_nothing(customer_client):
    response = customer_client.get("/payments/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "Access denied" in content
    assert "Traceback" not in content
    assert "PermissionDenied" not in content
    # Customers get the layout without the admin sidebar.
    assert 'class="sidebar"' not in content


@pytest.mark.django_db
def test_unknown_url_is_a_plain_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def viewer(*codenames: str):
    """Staff who may view, but not change, what `codenames` name."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, permission",
    [
        ("customer", "customers.change_customer"),
        ("site", "sites.change_site"),
        ("membership", "memberships.change_membership"),
    ],
)
def test_saving_a_page_one_may_only_view_is_refused_and_recorded(client, kind, permission):
    objects = {"customer": CustomerFactory, "site": SiteFactory, "membership": MembershipFactory}
    obj = objects[kind]()
    client.force_login(viewer(f"view_{kind}"))

    response = client.post(reverse(f"{kind}s:detail", args=[obj.pk]), {})

    assert response.status_code == 403
    refusal = Event.objects.get(action="auth.permission_denied")
    assert refusal.payload["permission"] == permission


@pytest.mark.django_db
def test_a_bulk_action_beyond_the_role_is_refused_and_recorded(agent_client):
    customer = CustomerFactory()
    response = agent_client.post(
        reverse("customers:bulk"), {"action": "delete", "customers": [customer.pk]}
    )
    assert response.status_code == 403
    refusal = Event.objects.get(action="auth.permission_denied")
    assert refusal.payload["permission"] == "customers.delete_customer"
    assert Customer.objects.filter(pk=customer.pk).exists()

"""The shared layout, the dashboard, the health check, the account page and the list pages."""

import re
from decimal import Decimal
from functools import partial

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from memberships.models import Membership
from network_admin import views
from network_admin.pagination import capped_totals
from payments.models import Payment
from sites.models import Site
from tests.factories import (
    CustomerFactory,
    EventFactory,
    MembershipFactory,
    PaymentFactory,
    ProductFactory,
    SiteFactory,
    UserFactory,
)

# WhiteNoise warns when STATIC_ROOT has not been collected, as in a fresh checkout.

# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_shows_the_network_counts(admin_client):
    CustomerFactory.create_batch(2)
    CustomerFactory(vip=True)
    MembershipFactory.create_batch(2, status=Membership.Status.ACTIVE)
    MembershipFactory(
        status=Membership.Status.CANCELLED, auto_renew=False, cancelled_at=timezone.now()
    )
    PaymentFactory(status=Payment.Status.COMPLETED)
    PaymentFactory(status=Payment.Status.PENDING)
    SiteFactory()
    EventFactory(action="payment.refunded", actor_repr="Jane Admin", object_repr="4XV80ZL8PN")

    response = admin_client.get("/")

    assert response.status_code == 200
    # 3 customers made directly, 3 by memberships, 2 by payments, 1 by the site; all exact.
    assert response.context["counts"] == {
        "customers": (9, False),
        "vip": (1, False),
        "memberships": (3, False),
        "active_memberships": (2, False),
        "completed_payments": (1, False),
        "sites": (1, False),
        "events": (1, False),
    }
    content = response.content.decode()
    assert re.search(r'<dd class="stat-value">9</dd>\s*<dd class="stat-note">1 VIP</dd>', content)
    assert "payment.refunded" in content
    assert "4XV80ZL8PN" in content


@pytest.mark.parametrize("rows", [1, 12])
def test_dashboard_queries_do_not_grow_with_the_data(
    admin_client, django_assert_max_num_queries, rows
):
    EventFactory.create_batch(rows)
    MembershipFactory.create_batch(rows)
    # The session with the user and their permissions, the counts, their estimates, the recent
    # events.
    with django_assert_max_num_queries(4):
        response = admin_client.get("/")
    assert len(response.context["recent_events"]) == min(rows, 10)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_dashboard_estimates_numbers_past_the_cap(admin_client, monkeypatch):
    # The real cap is 1,000 rows; with 2 the events and customers are past it.
    monkeypatch.setattr(views, "capped_totals", partial(capped_totals, cap=2))
    CustomerFactory.create_batch(3)
    EventFactory.create_batch(3)

    content = admin_client.get("/").content.decode()

    assert response_counts(content)["Customers"].startswith("≈")
    assert response_counts(content)["Events recorded"].startswith("≈")
    assert response_counts(content)["Sites"] == "0"


def response_counts(content: str) -> dict[str, str]:
    """The dashboard's numbers by label."""
    return dict(
        re.findall(
            r'<dt class="stat-label">([^<]+)</dt>\s*<dd class="stat-value">([^<]+)</dd>', content
        )
    )


def test_dashboard_highlights_its_sidebar_entry(admin_client):
    content = admin_client.get("/").content.decode()
    assert re.search(r'<a href="/"\s+aria-current="page">', content)


# --- Health check ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "no-cache" in response["Cache-Control"]
    assert b"refused" not in response.content


@pytest.mark.django_db
def test_healthz_accepts_only_get(client):
    assert client.post("/healthz").status_code == 405


# --- Account page ------------------------------------------------------------------------------


def test_account_page_shows_only_the_customers_own_data(customer_client, customer):
    own_plan = ProductFactory(name="Own Plan")
    own_membership = MembershipFactory(customer=customer, plan=own_plan)
    SiteFactory(customer=customer, title="Own Site", domain="own.example.net")
    own_payment = PaymentFactory(customer=customer, lines=[Decimal("12.34")])

    other = CustomerFactory()
    other_membership = MembershipFactory(customer=other, plan=ProductFactory(name="Other Plan"))
    SiteFactory(customer=other, title="Other Site", domain="other.example.net")
    other_payment = PaymentFactory(customer=other, lines=[Decimal("99.99")])

    response = customer_client.get("/account/")

    assert response.status_code == 200
    content = response.content.decode()
    for shown in (own_membership.reference, "Own Plan", "Own Site", "own.example.net"):
        assert shown in content
    assert own_payment.reference in content
    assert "12.34" in content
    for hidden in (other_membership.reference, "Other Plan", "Other Site", "other.example.net"):
        assert hidden not in content
    assert other_payment.reference not in content
    assert "99.99" not in content


def test_account_page_says_lifetime_for_memberships_without_expiry(customer_client, customer):
    MembershipFactory(customer=customer, expires_at=None)
    assert "Lifetime" in customer_client.get("/account/").content.decode()


def test_account_page_shows_inactive_sites_as_such(customer_client, customer):
    SiteFactory(customer=customer, active=False)
    content = customer_client.get("/account/").content.decode()
    assert "badge-inactive" in content
    assert "Inactive" in content


def test_account_page_for_staff_without_a_customer(admin_client):
    response = admin_client.get("/account/")
    assert response.status_code == 200
    assert "There is no customer account for you" in response.content.decode()
    assert response.context["customer"] is None


def test_account_page_uses_the_same_number_of_queries_for_1_and_20_rows(customer_client, customer):
    def add_rows(count):
        for _ in range(count):
            membership = MembershipFactory(customer=customer)
            SiteFactory(customer=customer, membership=membership)
            PaymentFactory(customer=customer, membership=membership)

    add_rows(1)
    # The first visit also marks the customer as seen (once a minute): keep it out of the count.
    customer_client.get("/account/")
    with CaptureQueriesContext(connection) as one_row:
        customer_client.get("/account/")
    add_rows(19)
    with CaptureQueriesContext(connection) as twenty_rows:
        customer_client.get("/account/")
    assert len(twenty_rows) == len(one_row) <= 6


@pytest.mark.django_db
def test_account_page_for_a_login_without_a_customer(client):
    client.force_login(UserFactory())
    response = client.get("/account/")
    assert response.status_code == 200
    assert "not linked to a customer account" in response.content.decode()


def test_account_page_has_no_admin_sidebar(customer_client):
    assert 'class="sidebar"' not in customer_client.get("/account/").content.decode()


# --- Login and logout --------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_with_correct_credentials_goes_home(client):
    user = UserFactory(is_staff=True, role="Network admin")
    response = client.post(
        "/login/", {"username": user.username, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_an_error(client):
    user = UserFactory()
    response = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_shows_field_errors_next_to_their_fields(client):
    content = client.post("/login/", {"username": "", "password": ""}).content.decode()
    assert '<label for="id_username">Username</label>' in content
    assert 'id="id_username_error"' in content
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_username"', content)
    assert re.search(r'<input[^>]*aria-describedby="id_username_error"', content)


@pytest.mark.django_db
def test_customer_logging_in_ends_on_their_account(client):
    customer = CustomerFactory()
    response = client.post(
        "/login/",
        {"username": customer.user.username, "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("account:index")
    assert response.status_code == 200


def test_logout_by_post(admin_client):
    content = admin_client.get("/").content.decode()
    assert 'action="/logout/"' in content
    response = admin_client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert admin_client.get("/").status_code == 302


# --- Layout, security headers and markup -------------------------------------------------------

PAGES = [
    "/",
    "/customers/",
    "/memberships/",
    "/memberships/products/",
    "/payments/",
    "/sites/",
    "/events/",
    "/account/",
]


def test_pages_send_a_content_security_policy(admin_client):
    policy = admin_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_scripts_or_styles(admin_client, url):
    _populate_lists()
    content = admin_client.get(url).content.decode()
    _assert_csp_safe(content)


@pytest.mark.django_db
def test_login_and_account_pages_are_csp_safe(client, customer):
    _assert_csp_safe(client.get("/login/").content.decode())
    client.force_login(customer.user)
    MembershipFactory(customer=customer)
    _assert_csp_safe(client.get("/account/").content.decode())


def _assert_csp_safe(content: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", content):
        assert "nonce=" in tag, tag
        assert "src=" in tag, f"inline script: {tag}"
    assert "<style" not in content
    assert not re.search(r"\sstyle=", content)
    assert not re.search(r"\son[a-z]+=", content)


def test_server_error_page_needs_no_request_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    content = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in content
    assert "{%" not in content
    _assert_csp_safe(content)


def test_layout_has_landmarks_skip_link_and_language(admin_client):
    content = admin_client.get("/payments/").content.decode()
    assert '<html lang="en">' in content
    assert 'href="#main"' in content
    assert '<main id="main"' in content
    assert '<nav class="sidebar"' in content
    assert "Jane Admin" in content
    assert '"allowEval":false' in content
    assert "x-csrftoken" in content


def test_messages_are_shown_once(admin_client):
    # Queue a message the way a view's redirect would leave it: in the messages cookie.
    cookie = CookieStorage(request=None)._encode([Message(constants.SUCCESS, "Customer saved.")])
    admin_client.cookies["messages"] = cookie

    first = admin_client.get("/").content.decode()
    second = admin_client.get("/").content.decode()

    assert first.count("Customer saved.") == 1
    assert '<div class="message success" role="status">Customer saved.</div>' in first
    assert "Customer saved." not in second


def test_error_messages_are_alerts(admin_client):
    cookie = CookieStorage(request=None)._encode([Message(constants.ERROR, "Refund failed.")])
    admin_client.cookies["messages"] = cookie
    content = admin_client.get("/").content.decode()
    assert re.search(r'<div class="message error" role="alert">.*Refund failed\.</div>', content)


def test_the_kept_sidebar_follows_the_section_the_language_and_the_admins_sections(
    admin_client, client
):
    def sidebar(visitor, path, language="en"):
        visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        content = visitor.get(path).content.decode()
        return content[content.index('<nav class="sidebar"') : content.index("</nav>")]

    assert re.search(
        r'href="/customers/"\s+aria-current="page"', sidebar(admin_client, "/customers/")
    )
    on_payments = sidebar(admin_client, "/payments/")
    assert re.search(r'href="/payments/"\s+aria-current="page"', on_payments)
    assert not re.search(r'href="/customers/"\s+aria-current', on_payments)
    assert "Pelanggan" in sidebar(admin_client, "/customers/", "id")
    assert "Customers" in sidebar(admin_client, "/customers/")

    support = UserFactory(is_staff=True)
    support.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(support)
    only_customers = sidebar(client, "/customers/")
    assert 'href="/customers/"' in only_customers
    assert 'href="/payments/"' not in only_customers


def test_sidebar_shows_only_sections_the_user_may_see(agent_client):
    content = agent_client.get("/").content.decode()
    for url in ("/customers/", "/memberships/", "/payments/", "/sites/", "/events/"):
        assert f'href="{url}"' in content


# --- List pages --------------------------------------------------------------------------------

LIST_PAGES = {
    "customers:list": "customers",
    "memberships:list": "memberships",
    "memberships:products": "products",
    "payments:list": "payments",
    "sites:list": "sites",
    "events:list": "events",
}


def _populate_lists(rows: int = 1) -> None:
    for _ in range(rows):
        customer = CustomerFactory()
        membership = MembershipFactory(customer=customer)
        PaymentFactory(customer=customer, membership=membership)
        SiteFactory(customer=customer, membership=membership)
        EventFactory(customer_id=customer.pk, object_repr=customer.reference)


@pytest.mark.parametrize(("url_name", "section"), LIST_PAGES.items())
def test_list_pages_show_an_empty_state(admin_client, url_name, section):
    response = admin_client.get(reverse(url_name))
    assert response.status_code == 200
    assert response.context["section"] == section
    assert "empty-state" in response.content.decode()


# The customer list's budget (its tabs are counted too) is tested in tests/customers/test_list.py.
@pytest.mark.parametrize("url_name", [name for name in LIST_PAGES if name != "customers:list"])
def test_list_pages_use_the_same_number_of_queries_for_1_and_30_rows(
    admin_client, django_assert_max_num_queries, url_name
):
    url = reverse(url_name)
    _populate_lists(1)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(url)
    _populate_lists(29)
    with django_assert_max_num_queries(4):
        response = admin_client.get(url)
    with CaptureQueriesContext(connection) as thirty_rows:
        admin_client.get(url)
    assert response.status_code == 200
    assert len(thirty_rows) == len(one_row)


def test_payment_list_shows_status_customer_and_total(admin_client):
    customer = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    payment = PaymentFactory(customer=customer, lines=[Decimal("1234.50")])
    content = admin_client.get("/payments/").content.decode()
    assert payment.reference in content
    assert "Grace Hopper" in content
    assert "1,234.50" in content
    assert 'class="badge badge-completed">Completed</span>' in content


def test_payment_list_keeps_payments_of_deleted_customers(admin_client):
    payment = PaymentFactory(billing_name="Gone Customer")
    Payment.objects.filter(pk=payment.pk).update(customer=None)
    content = admin_client.get("/payments/").content.decode()
    assert "Gone Customer" in content
    assert "deleted customer" in content


def test_membership_list_shows_price_and_lifetime(admin_client):
    plan = ProductFactory(name="Gold", amount=Decimal("10.59"))
    MembershipFactory(plan=plan, expires_at=None)
    MembershipFactory(plan=ProductFactory(name="Free tier", amount=Decimal("0")))
    content = admin_client.get("/memberships/").content.decode()
    assert "10.59" in content
    assert "every month" in content
    assert "Lifetime" in content
    assert "Free" in content


def test_site_list_shows_owner_and_network_sites(admin_client):
    SiteFactory(customer=CustomerFactory(user__first_name="Ada", user__last_name="Byron"))
    SiteFactory(type=Site.Type.SITE_TEMPLATE, customer=None, title="Starter template")
    content = admin_client.get("/sites/").content.decode()
    assert "Ada Byron" in content
    assert "Starter template" in content


def test_event_list_shows_system_for_events_without_actor(admin_client):
    EventFactory(actor_repr="", action="membership.expired")
    content = admin_client.get("/events/").content.decode()
    assert "membership.expired" in content
    assert "System" in content

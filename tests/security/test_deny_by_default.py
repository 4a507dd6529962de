"""Deny by default, proven on every route of the project as the URL resolver lists them: a view
added tomorrow is in these tests without anyone adding it."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from events.models import Event
from tests.security.helpers import (
    CUSTOMER_FACING,
    PUBLIC,
    admin_routes,
    assert_runs_no_inline_code,
    assert_security_headers,
    routes,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("world")

ROUTES = routes()
PRIVATE = [route for route in ROUTES if route.name not in PUBLIC]
ADMIN = admin_routes()
# Actions that only a POST may run: opening their URL must never run them.
POST_ONLY = {
    "logout",
    "set_language",
    "customer_switch_to",
    "customer_switch_back",
    "customers:bulk",
    "customers:view_preference",
    "customers:vip",
    "customers:resend_verification",
    "customers:note_add",
    "customers:note_delete",
    "memberships:make_lifetime",
    "memberships:change_plan",
    "memberships:addon_set",
    "memberships:addon_remove",
    "memberships:product_deactivate",
    "payments:update",
    "payments:line_add",
    "payments:line_edit",
    "sites:view_preference",
    "sites:transfer",
    "sites:set_active",
}
# What a support agent must never do, by the permission it takes.
SENSITIVE = re.compile(r"\.(delete|refund|switch_to|export)_")


def login_target(response) -> str:
    """Where a redirect to the login page will send the visitor back to."""
    location = urlsplit(response["Location"])
    assert location.path == "/login/"
    return parse_qs(location.query)["next"][0]


def test_only_the_login_password_reset_language_and_health_pages_are_public():
    assert {route.name for route in ROUTES if route.is_public} == PUBLIC


def test_the_routes_known_to_these_tests_all_exist():
    assert {route.name for route in ROUTES} >= CUSTOMER_FACING | POST_ONLY


@pytest.mark.parametrize("route", ADMIN, ids=str)
def test_every_admin_route_checks_a_permission(route):
    assert route.permissions, f"{route} is not guarded by staff_permission_required"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", PRIVATE, ids=str)
def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(client, route, method):
    before = snapshot()
    response = getattr(client, method)(route.url)
    assert response.status_code == 302
    assert login_target(response) == route.url
    assert snapshot() == before


@pytest.mark.parametrize("route", PRIVATE, ids=str)
def test_anonymous_htmx_requests_redirect_the_whole_page_to_log_in(client, route):
    response = client.get(
        route.url,
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/customers/?q=ada"},
    )
    # Not the login page inside the fragment: htmx sends the browser there, and back after.
    assert response.status_code == 200
    assert response.content == b""
    assert response["HX-Redirect"] == "/login/?next=/customers/%3Fq%3Dada"


def test_an_htmx_request_from_another_site_is_sent_back_to_its_own_url(client):
    response = client.post(
        "/customers/", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/"}
    )
    assert response["HX-Redirect"] == "/login/?next=/customers/"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", ADMIN, ids=str)
def test_customers_are_refused_every_admin_route(customer_client, customer, route, method):
    before = snapshot()
    assert getattr(customer_client, method)(route.url).status_code == 403
    assert snapshot() == before
    denial = Event.objects.get(action="auth.permission_denied")
    assert denial.actor_id == customer.user_id
    assert denial.payload["path"] == route.url


@pytest.mark.parametrize("route", ADMIN, ids=str)
def test_support_agents_are_refused_what_their_role_does_not_allow(
    agent_client, support_agent, route
):
    if support_agent.has_perms(route.permissions):
        assert agent_client.get(route.url).status_code != 403
        return
    before = snapshot()
    assert agent_client.get(route.url).status_code == 403
    assert agent_client.post(route.url).status_code == 403
    assert snapshot() == before
    assert Event.objects.filter(action="auth.permission_denied").count() == 2


def test_support_agents_can_not_delete_refund_switch_or_export(support_agent):
    sensitive = [r for r in ADMIN if any(SENSITIVE.search(perm) for perm in r.permissions)]
    assert {route.name for route in sensitive} >= {
        "customers:delete",
        "customers:delete_many",
        "customers:export",
        "customer_switch_to",
        "memberships:delete",
        "memberships:product_delete",
        "payments:refund",
        "payments:delete",
        "sites:delete",
    }
    assert not [route.name for route in sensitive if support_agent.has_perms(route.permissions)]


@pytest.mark.parametrize("action", ["export", "delete"])
def test_support_agents_can_not_export_or_delete_through_the_bulk_form(agent_client, action, world):
    before = snapshot()
    response = agent_client.post(
        "/customers/bulk/", {"action": action, "customers": [world.customer.pk]}
    )
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("route", PRIVATE, ids=str)
def test_opening_any_page_changes_nothing_and_sends_the_security_headers(admin_client, route):
    before = snapshot()
    response = admin_client.get(route.url)
    # 400: the verification link with a made-up token; 405: an action that takes a POST.
    assert response.status_code in (200, 302, 400, 405)
    assert (response.status_code == 405) == (route.name in POST_ONLY)
    after = snapshot()
    events_before = before.pop("events.Event")
    new_events = [event for event in after.pop("events.Event") if event not in events_before]
    assert after == before
    # Downloading customers is audited as it happens; nothing else is written by a GET.
    assert {event["action"] for event in new_events} <= {"customer.exported"}
    assert_security_headers(response)
    if response["Content-Type"].startswith("text/html") and response.status_code != 405:
        assert_runs_no_inline_code(response)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_public], ids=str)
def test_public_pages_send_the_security_headers_and_run_no_inline_code(client, route):
    response = client.get(route.url)
    assert_security_headers(response)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert_runs_no_inline_code(response)


def test_a_switched_admin_sees_the_account_page_without_inline_code(admin_client, world):
    admin_client.post(f"/customers/{world.customer.pk}/switch-to/")
    response = admin_client.get("/account/")
    assert "Switch back" in response.content.decode()
    assert_runs_no_inline_code(response)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_post_without_a_csrf_token_is_refused(network_admin, route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(network_admin)
    before = snapshot()
    response = client.post(route.url, {"confirmation": "ada@example.com", "related": "delete"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert snapshot() == before
    assert_security_headers(response)


def test_a_refusal_reads_as_a_sentence_on_the_events_page(agent_client, network_admin, world):
    agent_client.get(f"/payments/{world.payment.pk}/refund/")
    admin_client = Client()
    admin_client.force_login(network_admin)
    denial = Event.objects.get(action="auth.permission_denied")
    assert denial.sentence == (
        f"Sam Agent was refused /payments/{world.payment.pk}/refund/ "
        "(needs payments.refund_payment)"
    )
    page = admin_client.get("/events/", {"action": "auth.permission_denied"}).content.decode()
    assert "Sam Agent was refused" in page


def test_pages_a_user_may_open_record_no_refusal(agent_client, world):
    assert agent_client.get(f"/customers/{world.customer.pk}/").status_code == 200
    assert not Event.objects.filter(action="auth.permission_denied").exists()

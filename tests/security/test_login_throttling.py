"""Failed logins are throttled per username and IP (django-axes), and each one is recorded."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from events.models import Event
from tests.factories import UserFactory
from tests.security.helpers import assert_runs_no_inline_code, assert_security_headers

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", is_staff=True, role="Network admin")


def log_in(username, password=PASSWORD, *, ip="203.0.113.7", **headers):
    return Client(REMOTE_ADDR=ip, **headers).post(
        "/login/", {"username": username, "password": password}
    )


def flood(username, *, ip="203.0.113.7", **headers):
    for _ in range(LIMIT):
        log_in(username, "wrong", ip=ip, **headers)


def test_the_limit_is_a_few_attempts_and_locks_for_a_while():
    assert 3 <= LIMIT <= 10
    assert datetime.timedelta(minutes=5) <= settings.AXES_COOLOFF_TIME


def test_failures_below_the_limit_only_show_the_form_again(ada):
    for _ in range(LIMIT - 1):
        response = log_in("ada", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    assert log_in("ada").status_code == 302


def test_a_flood_locks_that_account_out_from_that_address_with_a_clear_page(ada):
    flood("ada")
    response = log_in("ada")  # even with the right password
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "paused for 15 minutes" in page
    assert "/password-reset/" in page
    # It says nothing about the account, nor echoes what was typed.
    assert "ada" not in page and "wrong" not in page
    assert_security_headers(response)
    assert_runs_no_inline_code(response)


def test_the_same_account_still_logs_in_from_another_address(ada):
    flood("ada", ip="203.0.113.7")
    assert log_in("ada", ip="198.51.100.9").status_code == 302


def test_others_behind_the_same_address_still_log_in(ada):
    UserFactory(username="grace", is_staff=True)
    flood("ada", ip="203.0.113.7")
    assert log_in("grace", ip="203.0.113.7").status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_each_client_counts_apart(ada):
    proxy = "10.0.0.1"
    flood("ada", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert log_in("ada", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert log_in("ada", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 302


def test_the_lockout_ends_after_the_cool_off(ada):
    flood("ada")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + datetime.timedelta(1)):
        assert log_in("ada").status_code == 302


def test_a_successful_login_starts_the_count_again(ada):
    for _ in range(LIMIT - 1):
        log_in("ada", "wrong")
    assert log_in("ada").status_code == 302
    for _ in range(LIMIT - 1):
        log_in("ada", "wrong")
    assert log_in("ada").status_code == 302


def test_each_failed_login_is_recorded_without_the_password(ada):
    log_in("ada", "hunter2-secret", ip="8.8.8.8")
    log_in("nobody-by-this-name", "hunter2-secret", ip="8.8.8.8")
    events = list(Event.objects.order_by("id"))
    assert [event.action for event in events] == ["auth.login_failed"] * 2
    assert [event.payload for event in events] == [
        {"username": "ada"},
        {"username": "nobody-by-this-name"},
    ]
    assert {(event.actor_id, event.ip_address) for event in events} == {(None, "8.8.8.8")}
    assert events[0].severity == Event.Severity.WARNING
    assert events[0].sentence == "Failed login as “ada”"
    assert "hunter2" not in str(list(AccessAttempt.objects.values()))


def test_attempts_while_locked_out_are_recorded_too(ada):
    flood("ada")
    log_in("ada")
    assert Event.objects.filter(action="auth.login_failed").count() == LIMIT + 1


@pytest.mark.parametrize(
    "fields",
    [{"username": "", "password": "x"}, {"username": "ada", "password": ""}, {}],
)
def test_a_form_missing_a_field_is_not_a_failed_login(ada, fields):
    response = Client().post("/login/", fields)
    assert response.status_code == 200
    assert not Event.objects.exists()
    assert not AccessAttempt.objects.exists()


def test_a_successful_login_records_no_failure(ada):
    assert log_in("ada").status_code == 302
    assert not Event.objects.exists()
    assert AccessLog.objects.get().username == "ada"


def test_switching_to_a_customer_is_not_a_login_for_axes(admin_client, customer):
    logins = list(AccessLog.objects.values_list("username", flat=True))
    admin_client.post(f"/customers/{customer.pk}/switch-to/")
    admin_client.post("/switch-back/")
    # Only the admin's own sign-in (by the fixture), neither direction of the switch.
    assert list(AccessLog.objects.values_list("username", flat=True)) == logins
    assert customer.user.username not in logins
    assert not AccessAttempt.objects.exists()

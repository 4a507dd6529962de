"""Error pages say what happened in plain words and leak nothing; the health check tells a load
balancer the truth when the database is gone."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404
from django.test import Client
from django.urls import include, path

from customers.models import Customer
from tests.security.helpers import (
    assert_runs_no_inline_code,
    assert_security_headers,
    fresh_environment,
)

pytestmark = pytest.mark.django_db

SECRET = "db password is hunter2 at /srv/app/settings.py"


def _raise(exception):
    def view(request):
        raise exception

    return view


# Served only by the tests below (see `pytest.mark.urls`): views that fail in each way.
urlpatterns = [
    path("", include("network_admin.urls")),
    path("test/not-found/", _raise(Http404(SECRET))),
    # What a service raises when a row it locks was deleted by another request meanwhile.
    path("test/gone/", _raise(Customer.DoesNotExist(SECRET))),
    path("test/forbidden/", _raise(PermissionDenied(SECRET))),
    path("test/bad/", _raise(SuspiciousOperation(SECRET))),
    path("test/crash/", _raise(OperationalError(SECRET))),
]


def assert_leaks_nothing(response) -> None:
    page = response.content.decode()
    for leak in [SECRET, "hunter2", "Traceback", "Error", "settings.py", "SELECT", "testserver"]:
        assert leak not in page, leak
    assert_security_headers(response)
    assert_runs_no_inline_code(response)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/test/not-found/", 404, "There is nothing at this address"),
        ("/no/such/page/", 404, "There is nothing at this address"),
        ("/test/gone/", 404, "It may have been deleted"),
        ("/test/forbidden/", 403, "You don't have permission to open this page"),
        ("/test/bad/", 400, "This request can't be handled"),
        ("/test/crash/", 500, "Something went wrong on our side"),
    ],
)
def test_error_pages_say_what_happened_and_nothing_more(admin_client, url, status, says):
    admin_client.raise_request_exception = False
    response = admin_client.get(url)
    assert response.status_code == status
    assert says in response.content.decode()
    assert_leaks_nothing(response)


def test_a_wrong_host_gets_the_bad_request_page():
    response = Client().get("/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "This request can't be handled" in response.content.decode()
    assert_leaks_nothing(response)


def test_an_unknown_address_is_not_found_even_for_anonymous_visitors(client):
    response = client.get("/wp-admin/install.php")
    assert response.status_code == 404
    assert_leaks_nothing(response)


def healthz_with_database(url: str) -> subprocess.CompletedProcess:
    """GET /healthz in a fresh process whose database is `url`."""
    env = fresh_environment(
        DJANGO_SETTINGS_MODULE="network_admin.test_settings",
        DATABASE_URL=url,
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="CRITICAL",
    )
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter, with a script we wrote
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.mark.parametrize(
    "unreachable",
    [
        "postgres://postgres@127.0.0.1:9/network_admin",  # nothing listens there
        "sqlite:////no/such/folder/db.sqlite3",
    ],
)
def test_the_health_check_is_unhealthy_when_the_database_is_unreachable(unreachable):
    assert healthz_with_database(unreachable).stdout.split() == ["503", "database", "unavailable"]

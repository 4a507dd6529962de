import pytest
from django.test import Client

from tests.factories import CustomerFactory
from tests.security.helpers import make_world


@pytest.fixture
def world(db):
    """One of everything, each with the primary key ID (see make_world)."""
    return make_world()


@pytest.fixture
def grace(world):
    """A second customer, to move things to."""
    return CustomerFactory(user__first_name="Grace", user__last_name="Hopper")


@pytest.fixture
def signed_in(network_admin):
    """Opens a new browser signed in as the network admin, on each call: a request may switch to
    a customer or log out, and racing requests each need their own. With `raising=False` a view's
    exception is answered with the 500 page, as in production, instead of failing the test."""

    def open_browser(*, raising: bool = True) -> Client:
        client = Client(raise_request_exception=raising)
        client.force_login(network_admin)
        return client

    return open_browser

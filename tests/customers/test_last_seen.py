from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from customers.middleware import SEEN_AT
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def last_seen(customer):
    return Customer.objects.get(pk=customer.pk).last_seen


def test_a_customer_using_the_app_is_online(customer_client, customer):
    customer_client.get(reverse("account:index"))
    assert Customer.objects.online().filter(pk=customer.pk).exists()


def test_last_seen_is_written_at_most_once_a_minute(customer_client, customer):
    customer_client.get(reverse("account:index"))
    first = last_seen(customer)
    customer_client.get(reverse("account:index"))
    assert last_seen(customer) == first

    session = customer_client.session
    session[SEEN_AT] -= 61
    session.save()
    customer_client.get(reverse("account:index"))
    assert last_seen(customer) > first


def test_a_switched_session_does_not_make_the_customer_online(client, customer):
    client.force_login(customer.user)
    session = client.session
    session["hijack_history"] = ["1"]
    session.save()
    client.get(reverse("account:index"))
    assert last_seen(customer) is None


def test_online_means_seen_since_the_start_of_the_minute_three_minutes_ago():
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, 40, tzinfo=UTC), tick=False):
        since = datetime(2026, 11, 26, 11, 57, tzinfo=UTC)
        on_time = CustomerFactory(last_seen=since)
        just_before = CustomerFactory(last_seen=since - timedelta(microseconds=1))

        assert list(Customer.objects.online()) == [on_time]
        assert on_time.is_online and not just_before.is_online

import pytest
from django.urls import reverse

from customers.middleware import SEEN_AT
from customers.models import Customer

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

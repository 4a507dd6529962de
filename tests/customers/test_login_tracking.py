import pytest
from django.test import Client, override_settings
from django.urls import reverse

from customers.models import Customer, LoginRecord

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def log_in(client, customer, **headers):
    return client.post(
        reverse("login"),
        {"username": customer.user.username, "password": PASSWORD},
        headers={"User-Agent": "TestBrowser/1.0"},
        **headers,
    )


def test_a_real_login_is_recorded_with_ip_country_and_agent(client, customer):
    response = log_in(client, customer, REMOTE_ADDR="8.8.8.8")
    assert response.status_code == 302
    record = LoginRecord.objects.get()
    assert (record.ip_address, record.country.code) == ("8.8.8.8", "US")
    assert record.user_agent == "TestBrowser/1.0"
    assert Customer.objects.get(pk=customer.pk).last_login == record.created_at


def test_a_private_ip_has_an_unknown_country(client, customer):
    log_in(client, customer, REMOTE_ADDR="10.1.2.3")
    assert LoginRecord.objects.get().country == ""


def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(client, customer):
    log_in(client, customer, REMOTE_ADDR="8.8.4.4", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert LoginRecord.objects.get().ip_address == "8.8.4.4"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_client_ip_comes_from_the_header(client, customer):
    log_in(client, customer, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="8.8.8.8")
    assert LoginRecord.objects.get().ip_address == "8.8.8.8"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_a_forged_chain_is_not_believed(client, customer):
    log_in(client, customer, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 8.8.8.8")
    # Strict parsing falls back to the address that connected rather than trust the chain.
    assert LoginRecord.objects.get().ip_address == "10.0.0.1"


def test_a_failed_login_records_nothing(client, customer):
    client.post(reverse("login"), {"username": customer.user.username, "password": "wrong"})
    assert not LoginRecord.objects.exists()
    assert Customer.objects.get(pk=customer.pk).last_login is None


def test_a_staff_login_is_not_a_customer_login(client, network_admin):
    client.post(reverse("login"), {"username": network_admin.username, "password": PASSWORD})
    assert not LoginRecord.objects.exists()


def test_the_page_shows_the_last_logins(admin_client, customer):
    log_in(Client(), customer, REMOTE_ADDR="8.8.8.8")
    page = admin_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "8.8.8.8" in page and "United States of America" in page

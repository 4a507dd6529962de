"""Pages in English by default and in Indonesian when an admin chooses it, remembered per admin."""

import csv
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def in_indonesian(client):
    client.cookies[COOKIE] = "id"
    return client


def test_pages_are_in_english_by_default(admin_client):
    response = admin_client.get(reverse("customers:list"))
    assert response.headers["Content-Language"] == "en"
    assert b'<html lang="en">' in response.content
    assert b"All Customers" in response.content


def test_the_customer_list_speaks_indonesian(admin_client, customer):
    response = in_indonesian(admin_client).get(reverse("customers:list"))
    assert b'<html lang="id">' in response.content
    for label in ["Semua Pelanggan", "Pelanggan VIP", "Tambah Pelanggan", "Ekspor sebagai CSV"]:
        assert label in response.text
    assert "Kelola" in response.text and "All Customers" not in response.text


def test_the_customer_page_speaks_indonesian(admin_client, customer):
    response = in_indonesian(admin_client).get(reverse("customers:detail", args=[customer.pk]))
    for label in [
        "Ubah Pelanggan",
        "Sekilas",
        "Opsi Pelanggan",
        "Info Penagihan",
        "Simpan Pelanggan",
    ]:
        assert label in response.text


def test_an_accept_language_of_indonesian_is_honoured(admin_client):
    response = admin_client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9")
    assert "Semua Pelanggan" in response.text


def test_messages_are_translated(admin_client, customer):
    response = in_indonesian(admin_client).post(
        reverse("customers:vip", args=[customer.pk]), {"customer-vip": "on"}, follow=True
    )
    assert "Ditandai sebagai VIP." in response.text


def test_money_uses_the_separators_of_the_language(admin_client, customer):
    PaymentFactory(customer=customer, lines=[Decimal("1234.56")])
    url = reverse("customers:detail", args=[customer.pk])
    assert "1,234.56" in admin_client.get(url).text
    assert "1.234,56" in in_indonesian(admin_client).get(url).text


def test_the_csv_export_keeps_plain_numbers_and_iso_dates_in_indonesian(admin_client, customer):
    PaymentFactory(customer=customer, lines=[Decimal("1234.56")])
    response = in_indonesian(admin_client).get(reverse("customers:export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert "USD 1234.56" in row
    assert customer.created_at.isoformat() in row


def test_the_switch_is_in_the_header_of_the_login_page(client):
    response = client.get(reverse("login"))
    assert f'action="{reverse("set_language")}"'.encode() in response.content
    assert b'<option value="id" lang="id">Bahasa Indonesia</option>' in response.content


def test_the_switch_marks_and_speaks_the_current_language_each_time(admin_client):
    for language, button in [
        ("en", "Switch language"),
        ("id", "Ganti bahasa"),
        ("en", "Switch language"),
    ]:
        admin_client.cookies[COOKIE] = language
        page = admin_client.get(reverse("customers:list")).text
        assert f'<option value="{language}" lang="{language}" selected>' in page
        assert button in page


def test_switching_language_anonymously_sets_the_cookie_and_goes_back(client):
    response = client.post(reverse("set_language"), {"language": "id", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies[COOKIE].value == "id"
    assert "Masuk" in client.get(reverse("login")).text


def test_switching_language_is_remembered_for_the_admin(admin_client, network_admin):
    admin_client.post(reverse("set_language"), {"language": "id", "next": "/customers/"})
    network_admin.refresh_from_db()
    assert network_admin.preferences["language"] == "id"


def test_an_unknown_language_changes_nothing(admin_client, network_admin):
    response = admin_client.post(reverse("set_language"), {"language": "xx", "next": "//evil"})
    assert response["Location"] == reverse("home")
    assert COOKIE not in response.cookies
    network_admin.refresh_from_db()
    assert "language" not in network_admin.preferences


def test_switching_language_needs_a_post(admin_client):
    assert admin_client.get(reverse("set_language")).status_code == 405


def test_logging_in_brings_back_the_admins_language(client):
    UserFactory(username="siti", is_staff=True, preferences={"language": "id"})
    response = client.post(
        reverse("login"), {"username": "siti", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "id"

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from customers.models import Customer
from events.models import Event
from tests.customers.helpers import save_data
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def set_pending(admin_client, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("customers:detail", args=[customer.pk]),
            save_data(customer, **{"customer-email_verification": "pending"}),
        )


def link_in(email) -> str:
    return re.search(r"https?://\S+", email.body).group(0)


def test_setting_pending_emails_a_signed_link_and_records_it(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert email.to == [customer.email]
    assert "/account/verify/" in link_in(email)
    assert Event.objects.filter(action="customer.verification_sent").count() == 1
    assert Customer.objects.get(pk=customer.pk).email_verification == "pending"


def test_resend_sends_another_email_while_pending(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("customers:resend_verification", args=[customer.pk]), follow=True
        )
    assert "Verification email sent" in response.content.decode()
    assert len(mail.outbox) == 2
    assert Event.objects.filter(action="customer.verification_sent").count() == 2


def test_resend_is_refused_when_not_pending(admin_client, customer):
    response = admin_client.post(
        reverse("customers:resend_verification", args=[customer.pk]), follow=True
    )
    assert "Only a customer whose verification is pending" in response.content.decode()
    assert not mail.outbox


def test_opening_the_link_as_the_customer_verifies_them(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(customer.user)
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 200
    assert "is verified" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).email_verification == "verified"
    event = Event.objects.get(action="customer.email_verified")
    assert event.actor == customer.user


def test_an_expired_link_changes_nothing(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(customer.user)
    with time_machine.travel(timedelta(days=3, minutes=1), tick=False):
        response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).email_verification == "pending"


def test_a_tampered_link_changes_nothing(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(customer.user)
    response = client.get(link_in(mail.outbox[0]).rstrip("/") + "x/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).email_verification == "pending"


def test_someone_elses_link_changes_nothing(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    other = CustomerFactory()
    client = Client()
    client.force_login(other.user)
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 400
    assert "belongs to another account" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).email_verification == "pending"
    assert Customer.objects.get(pk=other.pk).email_verification == "none"


def test_opening_the_link_logged_out_asks_to_log_in_first(
    admin_client, customer, django_capture_on_commit_callbacks
):
    set_pending(admin_client, customer, django_capture_on_commit_callbacks)
    response = Client().get(link_in(mail.outbox[0]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

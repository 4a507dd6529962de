"""The event page: the sentence, who and where from, the object, the changes and the payload."""

import html
import json
import re

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, EventFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def detail(client, event):
    return client.get(reverse("events:detail", args=[event.pk]))


def test_the_page_shows_sentence_actor_initiator_ip_time_and_object(admin_client, network_admin):
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    event = EventFactory(
        action="customer.updated",
        actor=network_admin,
        object_type="customer",
        object_id=customer.pk,
        object_repr="Ada Lovelace",
        customer_id=customer.pk,
        ip_address="203.0.113.9",
        payload={"changes": {"vip": {"old": False, "new": True}}},
    )

    response = detail(admin_client, event)

    assert response.status_code == 200
    assert response.context["section"] == "events"
    page = html.unescape(response.content.decode())
    assert "Jane Admin updated customer Ada Lovelace (VIP)" in page
    assert "Manual" in page and "203.0.113.9" in page
    assert f'datetime="{event.created_at.isoformat()}"' in page
    assert f'href="{reverse("customers:detail", args=[customer.pk])}">Ada Lovelace</a>' in page


def test_changed_fields_are_a_table_of_old_and_new_values(admin_client):
    event = EventFactory(
        action="customer.updated",
        payload={
            "changes": {
                "vip": {"old": False, "new": True},
                "city": {"old": "Oslo", "new": "Bergen"},
                "billing_email": {"old": "", "new": "ada@example.com"},
                "custom_fields": {"old": {}, "new": {"crm-id": "C-42"}},
            }
        },
    )

    page = html.unescape(detail(admin_client, event).content.decode())

    rows = re.findall(
        r'<th scope="row">(.*?)</th>\s*<td class="change-old">(.*?)</td>\s*'
        r'<td class="change-new">(.*?)</td>',
        page,
    )
    assert rows == [
        ("VIP", "No", "Yes"),
        ("City", "Oslo", "Bergen"),
        ("Billing email", "—", "ada@example.com"),
        ("Custom fields", "—", "crm-id: C-42"),
    ]


def test_an_event_without_changes_has_no_changes_table(admin_client):
    page = detail(admin_client, EventFactory(action="customer.created")).content.decode()
    assert "Changed fields" not in page


def test_the_payload_is_shown_as_json_with_a_copy_button(admin_client):
    payload = {"amount": "20.00", "currency": "USD", "reason": "<script>alert(1)</script>"}
    event = EventFactory(action="payment.refunded", payload=payload)

    content = detail(admin_client, event).content.decode()

    shown = re.search(r'<pre class="json panel-body"><code>(.*?)</code></pre>', content, re.S)
    assert json.loads(html.unescape(shown.group(1))) == payload
    assert "<script>alert(1)</script>" not in content
    copy = re.search(r'<button type="button" class="copy[^"]*" data-copy="([^"]*)"', content)
    assert json.loads(html.unescape(copy.group(1))) == payload


def test_a_deleted_object_and_customer_are_named_not_linked(admin_client):
    payment = PaymentFactory()
    event = EventFactory(
        action="payment.deleted",
        object_type="payment",
        object_id=payment.pk,
        object_repr=payment.reference,
        customer_id=payment.customer_id,
    )
    customer_id = payment.customer_id
    payment.delete()
    payment.customer.user.delete()

    page = detail(admin_client, event).content.decode()

    assert f"{payment.reference} <span" in page and "(deleted)" in page
    assert f"#{customer_id} (deleted)" in page
    assert reverse("customers:detail", args=[customer_id]) not in page


def test_the_customer_of_an_event_about_another_object_is_linked(admin_client):
    payment = PaymentFactory(customer__user__first_name="Grace", customer__user__last_name="H")
    event = EventFactory(
        action="payment.updated",
        object_type="payment",
        object_id=payment.pk,
        object_repr=payment.reference,
        customer_id=payment.customer_id,
    )
    page = detail(admin_client, event).content.decode()
    assert f'href="{reverse("customers:detail", args=[payment.customer_id])}">Grace H</a>' in page


def test_a_system_event_has_no_actor_or_ip(admin_client):
    event = EventFactory(
        action="customer.created", actor_repr="", initiator="system", object_repr="Ada"
    )
    page = detail(admin_client, event).content.decode()
    assert "System created customer Ada" in page
    assert "<dd>System</dd>" in page
    assert re.search(r"IP address</dt><dd>—</dd>", page)


def test_the_page_offers_no_way_to_change_the_event(admin_client):
    event = EventFactory()
    page = detail(admin_client, event).content.decode()
    assert 'method="post"' not in page.split('<main id="main"')[1]
    assert "nobody can change or delete them" in page


def test_an_unknown_event_is_404(admin_client):
    assert admin_client.get(reverse("events:detail", args=[999_999])).status_code == 404


def test_support_agents_can_read_an_event_and_customers_cannot(agent_client, customer):
    event = EventFactory()
    assert detail(agent_client, event).status_code == 200
    agent_client.force_login(customer.user)
    assert detail(agent_client, event).status_code == 403


def test_the_page_uses_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    payment = PaymentFactory()
    event = EventFactory(
        object_type="payment", object_id=payment.pk, customer_id=payment.customer_id
    )
    # Session, user, the permissions, the event with its object check and customer.
    with django_assert_max_num_queries(4):
        assert detail(admin_client, event).status_code == 200

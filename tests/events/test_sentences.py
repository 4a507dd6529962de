"""Each event reads as one sentence, built from its action, actor, object and payload."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from customers.services import customer_update
from events.models import SENTENCES, Event
from events.services import SYSTEM, Actor, record
from memberships.services import membership_transfer
from tests.factories import CustomerFactory, EventFactory, MembershipFactory, PaymentFactory

pytestmark = pytest.mark.django_db

AUDITED_ACTION = re.compile(r'"((?:customer|membership|product|site|payment)\.[a-z_]+)"')


def test_every_action_the_services_record_has_its_own_sentence():
    base = Path(settings.BASE_DIR)
    sources = [*base.glob("*/services.py"), base / "customers" / "switching.py"]
    recorded = {
        action for source in sources for action in AUDITED_ACTION.findall(source.read_text())
    }
    assert {"customer.updated", "payment.deleted", "customer.switched_to"} <= recorded
    assert recorded - SENTENCES.keys() == set()


@pytest.mark.parametrize(
    ("action", "object_repr", "payload", "sentence"),
    [
        (
            "payment.refunded",
            "4XV80ZL8PN",
            {"amount": "20.00", "currency": "USD"},
            "Jane Admin refunded 20.00 USD of payment 4XV80ZL8PN",
        ),
        (
            "payment.refund_failed",
            "4XV80ZL8PN",
            {"amount": "1234.5", "currency": "EUR"},
            "Jane Admin could not refund 1,234.50 EUR of payment 4XV80ZL8PN",
        ),
        (
            "payment.created",
            "4XV80ZL8PN",
            {"total": "59.00", "currency": "USD", "status": "completed"},
            "Jane Admin created payment 4XV80ZL8PN of 59.00 USD",
        ),
        (
            "customer.updated",
            "Ada Lovelace",
            {"changes": {"vip": {"old": False, "new": True}, "billing_email": {}}},
            "Jane Admin updated customer Ada Lovelace (VIP, billing email)",
        ),
        (
            "customer.updated",
            "Ada Lovelace",
            {"changes": {"first_name": {"old": "A", "new": "Ada"}, "notes": {}}},
            "Jane Admin updated customer Ada Lovelace (first name, notes)",
        ),
        ("customer.exported", "", {"rows": 1}, "Jane Admin exported 1 customer"),
        ("customer.exported", "", {"rows": 42}, "Jane Admin exported 42 customers"),
        (
            "membership.created",
            "7JX4E78PNR",
            {"plan": "Gold", "addons": []},
            "Jane Admin created membership 7JX4E78PNR on Gold",
        ),
        ("site.deleted", "Ada's Blog", {"url": "https://x"}, "Jane Admin deleted site Ada's Blog"),
        (
            "customer.email_verified",
            "Ada Lovelace",
            {},
            "Ada Lovelace verified their email address",
        ),
    ],
)
def test_sentences_fill_in_actor_object_and_payload(action, object_repr, payload, sentence):
    event = EventFactory(action=action, object_repr=object_repr, payload=payload)
    assert event.sentence == sentence


def test_an_event_without_an_actor_was_done_by_the_system():
    event = EventFactory(action="product.created", actor_repr="", object_repr="Gold")
    assert event.sentence == "System created product Gold"
    assert event.actor_name == "System"


@pytest.mark.parametrize(
    ("action", "object_repr", "payload", "sentence"),
    [
        ("login.failed", "", {}, "Jane Admin: login.failed"),
        ("access.denied", "/payments/", {}, "Jane Admin: access.denied on /payments/"),
        # A payload that lacks what the sentence needs still says what happened.
        ("payment.refunded", "4XV80ZL8PN", {}, "Jane Admin: payment.refunded on 4XV80ZL8PN"),
        (
            "payment.refunded",
            "4XV80ZL8PN",
            {"amount": "lots", "currency": "USD"},
            "Jane Admin: payment.refunded on 4XV80ZL8PN",
        ),
        ("customer.exported", "", ["not", "a", "dict"], "Jane Admin: customer.exported"),
    ],
)
def test_unknown_actions_and_odd_payloads_fall_back_to_a_plain_sentence(
    action, object_repr, payload, sentence
):
    event = EventFactory(action=action, object_repr=object_repr, payload=payload)
    assert event.sentence == sentence


def test_object_names_are_text_not_markup(admin_client):
    EventFactory(action="site.created", object_repr="<b>Bold</b> & co")
    page = admin_client.get("/events/").content.decode()
    assert "<b>Bold</b>" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page


def test_a_real_update_reads_as_a_sentence(network_admin):
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace", vip=False)
    customer_update(
        actor=Actor(user=network_admin), customer=customer, values={"vip": True, "city": "Oslo"}
    )
    assert Event.objects.get().sentence == "Jane Admin updated customer Ada Lovelace (VIP, city)"


def test_a_transfer_names_both_customers(network_admin):
    membership = MembershipFactory(customer__user__first_name="Ada", customer__user__last_name="L")
    grace = CustomerFactory(user__first_name="Grace", user__last_name="H")
    membership_transfer(actor=Actor(user=network_admin), membership=membership, to_customer=grace)
    assert Event.objects.get().sentence == (
        f"Jane Admin transferred membership {membership.reference} from Ada L to Grace H"
    )


def test_a_recorded_refund_amount_reads_with_its_currency():
    payment = PaymentFactory()
    with transaction.atomic():
        event = record(
            "payment.refunded",
            actor=SYSTEM,
            obj=payment,
            payload={"amount": Decimal("20.00"), "currency": "USD"},
        )
    assert Event.objects.get(pk=event.pk).sentence == (
        f"System refunded 20.00 USD of payment {payment.reference}"
    )

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.charts import customer_spending
from customers.models import Customer, CustomField, Note
from events.models import Event
from memberships.models import Membership
from payments.models import Payment, Refund
from tests.customers.helpers import save_data
from tests.factories import (
    CustomerFactory,
    CustomFieldFactory,
    EventFactory,
    LoginRecordFactory,
    MembershipFactory,
    NoteFactory,
    PaymentFactory,
    RefundFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


def url(customer):
    return reverse("customers:detail", args=[customer.pk])


def test_the_page_shows_every_block(admin_client):
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace", city="London")
    membership = MembershipFactory(customer=customer)
    payment = PaymentFactory(customer=customer, lines=[Decimal("100.00")])
    RefundFactory(payment=payment, amount=Decimal("25.00"))
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PARTIALLY_REFUNDED)
    site = SiteFactory(customer=customer, membership=membership, title="Engine Works")
    event = EventFactory(customer_id=customer.pk)
    LoginRecordFactory(customer=customer, ip_address="8.8.8.8", country="US")
    NoteFactory(customer=customer, text="Prefers email")
    CustomFieldFactory(customer=customer, key="crm-id", value="C-42")

    page = admin_client.get(url(customer)).content.decode()

    for text in [
        "Edit Customer",
        "Ada Lovelace",
        "At a Glance",
        "Customer Options",
        "Billing Info",
        "Custom Fields",
        "Notes",
        "Fields",
        "Last Login & IPs",
        "Timestamps",
        "Be careful. This action is irreversible.",
        "Delete Customer",
        "Save Customer",
        customer.reference,
        "75.00",
        "London",
        "Prefers email",
        "crm-id",
        "C-42",
        "8.8.8.8",
        "United States of America",
        "Engine Works",
    ]:
        assert text in page, text
    for target in [
        reverse("memberships:detail", args=[membership.pk]),
        reverse("payments:detail", args=[payment.pk]),
        reverse("sites:detail", args=[site.pk]),
        reverse("events:detail", args=[event.pk]),
        f"{reverse('memberships:list')}?customer={customer.pk}",
        f"{reverse('payments:list')}?customer={customer.pk}",
        f"{reverse('sites:list')}?customer={customer.pk}",
        f"{reverse('events:list')}?customer={customer.pk}",
    ]:
        assert target in page, target


def test_total_spent_takes_off_refunds_that_went_through_only(admin_client, customer):
    payment = PaymentFactory(customer=customer, lines=[Decimal("100.00")])
    RefundFactory(payment=payment, amount=Decimal("25.00"))
    RefundFactory(payment=payment, amount=Decimal("40.00"), status=Refund.Status.FAILED)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PARTIALLY_REFUNDED)
    PaymentFactory(customer=customer, lines=[Decimal("9.99")], status=Payment.Status.PENDING)
    other = PaymentFactory(lines=[Decimal("500.00")])
    RefundFactory(payment=other, amount=Decimal("1.00"))
    total_spent = admin_client.get(url(customer)).context["total_spent"]
    assert total_spent == {"USD": Decimal("75.00")}


def test_empty_blocks_say_so(admin_client, customer):
    page = admin_client.get(url(customer)).content.decode()
    for text in ["No memberships yet", "No payments yet", "No sites yet", "No events yet"]:
        assert text in page
    assert "Unknown" in page  # no login, no IP country


def test_the_chart_shows_the_last_twelve_months_readably(admin_client, customer):
    PaymentFactory(customer=customer, lines=[Decimal("40.00")])
    old = PaymentFactory(customer=customer, lines=[Decimal("999.00")])
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    chart = admin_client.get(url(customer)).context["chart"]
    assert len(chart.bars) == 12
    assert chart.total == Decimal("40.00")
    page = admin_client.get(url(customer)).content.decode()
    assert "<title>" in page and "40.00 USD" in page


def test_the_page_shows_only_the_newest_five_of_each(admin_client, customer):
    MembershipFactory.create_batch(7, customer=customer)
    response = admin_client.get(url(customer))
    assert len(response.context["memberships"]) == 5


def test_the_payments_and_sites_blocks_show_the_newest_five_newest_first(admin_client, customer):
    now = timezone.now()
    payments = [
        PaymentFactory(customer=customer, created_at=now - timedelta(days=days))
        for days in (3, 0, 6, 1, 5, 2, 4)
    ]
    for days in (5, 1, 6, 0, 3, 2, 4):
        SiteFactory(customer=customer, title=f"Site {days}", created_at=now - timedelta(days=days))
    PaymentFactory(created_at=now)  # someone else's

    response = admin_client.get(url(customer))
    page = response.content.decode()

    newest_payments = sorted(payments, key=lambda payment: payment.created_at, reverse=True)[:5]
    assert list(response.context["payments"]) == newest_payments
    assert [payment.total for payment in response.context["payments"]] == [
        payment.total for payment in newest_payments
    ]
    assert [site.title for site in response.context["sites"]] == [f"Site {d}" for d in range(5)]
    assert "Site 4" in page and "Site 5" not in page
    positions = [page.index(payment.reference) for payment in newest_payments]
    assert positions == sorted(positions)


def test_the_events_block_tells_the_newest_five_newest_first(admin_client, customer):
    now = timezone.now()
    for days in (2, 0, 6, 1, 5, 3, 4):
        EventFactory(
            customer_id=customer.pk,
            action="payment.refunded",
            object_type="payment",
            object_repr=f"PAY-{days}",
            payload={"amount": f"{days}.50", "currency": "EUR"},
            created_at=now - timedelta(days=days),
        )
    EventFactory(object_repr="PAY-someone-else", created_at=now)

    page = admin_client.get(url(customer)).content.decode()

    refunds = [f"Jane Admin refunded {days}.50" for days in range(5)]
    positions = [page.index(refund) for refund in refunds]
    assert positions == sorted(positions)
    assert "PAY-5" not in page and "PAY-someone-else" not in page


def test_the_page_shows_the_newest_ten_logins_and_the_newest_note_first(admin_client, customer):
    now = timezone.now()
    for minutes in range(12):
        LoginRecordFactory(
            customer=customer,
            created_at=now - timedelta(minutes=minutes),
            ip_address=f"203.0.113.{100 + minutes}",
        )
    NoteFactory(customer=customer, text="First call", created_at=now - timedelta(days=1))
    NoteFactory(customer=customer, text="Second call", created_at=now)

    page = admin_client.get(url(customer)).content.decode()

    shown = [minutes for minutes in range(12) if f"203.0.113.{100 + minutes}" in page]
    assert shown == list(range(10))
    assert page.index("203.0.113.100") < page.index("203.0.113.101")
    assert page.index("Second call") < page.index("First call")


def test_the_page_runs_the_same_queries_however_much_the_customer_has(
    admin_client, customer, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as empty:
        admin_client.get(url(customer))
    plan = MembershipFactory(customer=customer).plan
    for _ in range(200):
        MembershipFactory(customer=customer, plan=plan)
        PaymentFactory(customer=customer)
        EventFactory(customer_id=customer.pk)
        LoginRecordFactory(customer=customer)
        NoteFactory(customer=customer)
    with django_assert_max_num_queries(len(empty)):
        admin_client.get(url(customer))
    # The session with the admin; the customer with their newest logins, notes, payments,
    # sites and events; their spending, custom fields and memberships.
    assert len(empty) <= 5


def test_save_customer_saves_everything_in_one_event(admin_client, customer):
    field = CustomFieldFactory(customer=customer, key="plan-note", value="old")
    old_city = customer.city
    data = save_data(
        customer,
        **{
            "customer-vip": "on",
            "customer-city": "Paris",
            "customer-country": "FR",
            "account-email": "ada@new.example",
            "fields-0-value": "new",
            "fields-1-key": "tier",
            "fields-1-value": "gold",
        },
    )
    response = admin_client.post(url(customer), data, follow=True)

    assert "Customer saved." in response.content.decode()
    customer.refresh_from_db()
    assert customer.vip and customer.city == "Paris" and customer.country.code == "FR"
    assert customer.user.email == "ada@new.example"
    assert dict(customer.custom_fields.values_list("key", "value")) == {
        "plan-note": "new",
        "tier": "gold",
    }
    (event,) = Event.objects.filter(action="customer.updated")
    changes = event.payload["changes"]
    assert set(changes) == {"vip", "city", "country", "email", "custom_fields"}
    assert changes["city"] == {"old": old_city, "new": "Paris"}
    assert changes["custom_fields"]["old"] == {"plan-note": "old"}
    assert CustomField.objects.get(pk=field.pk).value == "new"


def test_removing_a_custom_field(admin_client, customer):
    CustomFieldFactory(customer=customer, key="crm-id", value="1")
    admin_client.post(url(customer), save_data(customer, **{"fields-0-DELETE": "on"}))
    assert not customer.custom_fields.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"customer-billing_email": "not-an-email"}, "billing_email", "valid email"),
        ({"customer-country": "XX"}, "country", "valid choice"),
        ({"customer-city": "x" * 300}, "city", "at most 100"),
        ({"account-email": "broken@"}, "email", "valid email"),
        ({"fields-0-key": "has spaces", "fields-0-value": "v"}, "key", "letters, digits"),
    ],
)
def test_invalid_input_is_shown_by_its_field_and_nothing_is_saved(
    admin_client, customer, overrides, field, message
):
    before = Customer.objects.values().get(pk=customer.pk)
    response = admin_client.post(url(customer), save_data(customer, **overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Nothing was saved" in page
    assert Customer.objects.values().get(pk=customer.pk) == before
    assert not CustomField.objects.exists()
    assert not Event.objects.exists()


def test_an_email_taken_by_another_user_is_refused(admin_client, customer):
    CustomerFactory(user__email="taken@example.com")
    response = admin_client.post(
        url(customer), save_data(customer, **{"account-email": "TAKEN@example.com"})
    )
    assert "already exists" in response.content.decode()
    assert not Event.objects.exists()


def test_the_billing_tab_opens_when_it_holds_the_problem(admin_client, customer):
    response = admin_client.post(url(customer), save_data(customer, **{"customer-city": "x" * 300}))
    assert response.context["forms"].open_tab == "billing"
    assert 'id="tab-billing" value="billing" checked' in response.content.decode()


def test_vip_toggle_works_alone_with_htmx(admin_client, customer):
    response = admin_client.post(
        reverse("customers:vip", args=[customer.pk]),
        {"customer-vip": "on"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Marked as VIP." in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).vip
    assert Event.objects.get().payload["changes"]["vip"] == {"old": False, "new": True}


def test_vip_toggle_works_without_javascript(admin_client, customer):
    Customer.objects.filter(pk=customer.pk).update(vip=True)
    response = admin_client.post(reverse("customers:vip", args=[customer.pk]), {}, follow=True)
    assert "No longer a VIP." in response.content.decode()
    assert not Customer.objects.get(pk=customer.pk).vip


def test_notes_can_be_added_and_deleted_with_their_author(admin_client, customer):
    admin_client.post(reverse("customers:note_add", args=[customer.pk]), {"text": "Called them"})
    note = Note.objects.get()
    assert (note.text, note.author_repr) == ("Called them", "Jane Admin")
    page = admin_client.get(url(customer)).content.decode()
    assert "Called them" in page
    admin_client.post(reverse("customers:note_delete", args=[customer.pk, note.pk]))
    assert not Note.objects.exists()
    assert Event.objects.filter(action="customer.updated").count() == 2


def test_an_empty_note_is_refused(admin_client, customer):
    response = admin_client.post(
        reverse("customers:note_add", args=[customer.pk]), {"text": ""}, follow=True
    )
    assert "This field is required." in response.content.decode()
    assert not Note.objects.exists()


def test_a_note_of_another_customer_cannot_be_deleted_through_this_one(admin_client, customer):
    note = NoteFactory()
    response = admin_client.post(reverse("customers:note_delete", args=[customer.pk, note.pk]))
    assert response.status_code == 404
    assert Note.objects.exists()


def test_support_agent_sees_the_page_and_can_save_but_not_delete(agent_client, customer):
    page = agent_client.get(url(customer)).content.decode()
    assert "Save Customer" in page and "Delete Customer" not in page
    agent_client.post(url(customer), save_data(customer, **{"customer-city": "Oslo"}))
    assert Customer.objects.get(pk=customer.pk).city == "Oslo"


def test_unknown_customer_is_404(admin_client):
    assert admin_client.get(reverse("customers:detail", args=[999])).status_code == 404


def test_pending_to_verified_can_activate_pending_memberships(admin_client, customer):
    Customer.objects.filter(pk=customer.pk).update(
        email_verification=Customer.EmailVerification.PENDING
    )
    customer.refresh_from_db()
    pending = MembershipFactory(customer=customer, status=Membership.Status.PENDING)
    data = save_data(
        customer,
        **{
            "customer-email_verification": "verified",
            "customer-activate_pending_memberships": "on",
        },
    )
    admin_client.post(url(customer), data)
    pending.refresh_from_db()
    assert pending.status == Membership.Status.ACTIVE
    assert Customer.objects.get(pk=customer.pk).email_verification == "verified"


def test_country_select_shows_each_customers_own_country(admin_client):
    # The select's markup is memoized; a second customer must still get their own.
    france, peru = CustomerFactory(country="FR"), CustomerFactory(country="PE")
    assert '<option value="FR" selected>' in admin_client.get(url(france)).text
    page = admin_client.get(url(peru)).text
    assert '<option value="PE" selected>' in page and '<option value="FR">' in page


def test_the_charts_months_begin_in_the_admins_time_zone(customer):
    payment = PaymentFactory(customer=customer, lines=[Decimal("40.00")])
    created = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    Payment.objects.filter(pk=payment.pk).update(created_at=created)

    def paid_by_month(time_zone):
        with timezone.override(time_zone):
            _spent, chart = customer_spending(customer, today=date(2026, 4, 15))
        return {bar.month.month: bar.amount for bar in chart.bars if bar.amount}

    # One statement per time zone, each kept: the same zones asked again answer the same.
    for _ in range(2):
        assert paid_by_month("UTC") == {3: Decimal("40.00")}
        assert paid_by_month("Asia/Tokyo") == {4: Decimal("40.00")}

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, CustomField, LoginRecord, Note, User
from customers.services import (
    DELETE_RELATED,
    MOVE_RELATED,
    CustomerError,
    customer_create,
    customer_create_for_user,
    customer_delete,
    customer_update,
    deletion_summary,
)
from events.models import Event
from events.services import Actor
from memberships.models import Membership
from payments.models import Payment, Refund
from sites.models import Site
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
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin, ip_address="198.51.100.7")


def test_create_makes_a_login_account_and_customer_and_records_it(actor):
    customer = customer_create(
        actor=actor, username="ada", email="Ada@Example.com", first_name="Ada"
    )
    assert customer.user.email == "Ada@example.com"
    assert not customer.user.has_usable_password()
    assert customer.signup_source == "by-admin"
    assert len(customer.reference) == 10
    event = Event.objects.get()
    assert (event.action, event.customer_id) == ("customer.created", customer.pk)


def test_create_refuses_an_email_taken_in_another_letter_case(actor):
    UserFactory(email="ada@example.com")
    with pytest.raises(ValidationError, match="already exists"):
        customer_create(actor=actor, username="ada2", email="ADA@example.com")
    assert not Customer.objects.exists()
    assert not Event.objects.exists()


def test_a_staff_account_cannot_become_a_customer(actor, support_agent):
    with pytest.raises(CustomerError):
        customer_create_for_user(actor=actor, user=support_agent)
    assert not Customer.objects.exists()


def test_update_saves_customer_and_account_fields_in_one_event(actor, customer):
    customer_update(
        actor=actor,
        customer=customer,
        values={"country": "ID", "vip": True},
        user_values={"email": "ada@lovelace.example"},
    )
    customer.refresh_from_db()
    assert customer.user.email == "ada@lovelace.example"
    assert customer.country.code == "ID"
    (event,) = Event.objects.all()
    assert set(event.payload["changes"]) == {"country", "vip", "email"}
    assert event.payload["changes"]["country"] == {"old": "US", "new": "ID"}


@pytest.mark.parametrize(
    ("values", "user_values"),
    [
        ({"billing_email": "not-an-email"}, {}),
        ({"country": "XX"}, {}),
        ({"city": "x" * 300}, {}),
        ({}, {"email": "broken@"}),
    ],
)
def test_invalid_update_saves_nothing(actor, customer, values, user_values):
    before = Customer.objects.values().get(pk=customer.pk)
    email_before = customer.user.email
    with pytest.raises(ValidationError):
        customer_update(actor=actor, customer=customer, values=values, user_values=user_values)
    assert Customer.objects.values().get(pk=customer.pk) == before
    assert User.objects.get(pk=customer.user_id).email == email_before
    assert not Event.objects.exists()


def build_customer_with_everything():
    customer = CustomerFactory()
    membership = MembershipFactory(customer=customer)
    SiteFactory(customer=customer, membership=membership)
    payment = PaymentFactory(customer=customer, membership=membership)
    RefundFactory(payment=payment, amount=payment.total / 2)
    NoteFactory(customer=customer)
    CustomFieldFactory(customer=customer)
    LoginRecordFactory(customer=customer)
    EventFactory(customer_id=customer.pk)
    return customer, payment


def test_deletion_summary_counts_everything_touched():
    customer, _payment = build_customer_with_everything()
    assert deletion_summary(customer) == {
        "memberships": 1,
        "sites": 1,
        "payments": 1,
        "refunds": 1,
        "notes": 1,
        "custom_fields": 1,
        "logins": 1,
        "events": 1,
    }


def test_delete_removes_customer_and_their_things_but_keeps_money_and_history(actor):
    customer, payment = build_customer_with_everything()
    user_id = customer.user_id

    customer_delete(actor=actor, customer=customer, related=DELETE_RELATED)

    assert not Customer.objects.exists()
    assert not User.objects.filter(pk=user_id).exists()
    assert not Membership.objects.exists()
    assert not Site.objects.exists()
    assert not (Note.objects.exists() or CustomField.objects.exists())
    assert not LoginRecord.objects.exists()
    payment.refresh_from_db()
    assert payment.customer is None
    assert payment.billing_email  # the snapshot survives
    assert Refund.objects.count() == 1
    deleted = Event.objects.get(action="customer.deleted")
    assert deleted.payload["counts"]["payments"] == 1
    assert Event.objects.count() == 2


def test_delete_can_move_memberships_and_sites_to_another_customer(actor):
    customer, _payment = build_customer_with_everything()
    heir = CustomerFactory()

    customer_delete(actor=actor, customer=customer, related=MOVE_RELATED, move_to=heir)

    assert Membership.objects.get().customer == heir
    assert Site.objects.get().customer == heir
    assert Event.objects.get(action="customer.deleted").payload["moved_to"] == heir.reference


def test_delete_keeps_a_staff_login_account(actor, support_agent):
    customer = CustomerFactory(user=support_agent)
    customer_delete(actor=actor, customer=customer, related=DELETE_RELATED)
    assert User.objects.filter(pk=support_agent.pk).exists()


def test_delete_refuses_to_move_things_to_the_same_customer(actor, customer):
    with pytest.raises(CustomerError):
        customer_delete(actor=actor, customer=customer, related=MOVE_RELATED, move_to=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not Event.objects.exists()


def test_delete_that_fails_halfway_changes_nothing(actor, monkeypatch):
    customer, payment = build_customer_with_everything()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Customer, "delete", explode)
    with pytest.raises(RuntimeError):
        customer_delete(actor=actor, customer=customer, related=DELETE_RELATED)
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Membership.objects.get().status == Membership.Status.ACTIVE
    assert Site.objects.exists()
    assert Payment.objects.get().customer_id == customer.pk
    assert Event.objects.count() == 1

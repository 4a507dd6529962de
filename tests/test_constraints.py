"""Each invariant the database enforces refuses bad rows, whatever code path writes them."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import User
from memberships.models import Membership
from payments.models import LineItem, Payment, Refund
from sites.models import Site
from tests.factories import (
    CustomerFactory,
    CustomFieldFactory,
    LineItemFactory,
    MembershipAddonFactory,
    MembershipFactory,
    PaymentFactory,
    ProductFactory,
    RefundFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_user_email_is_unique_whatever_the_letter_case():
    UserFactory(email="ada@example.com")
    assert_rejected(lambda: UserFactory(email="ADA@Example.COM"))


def test_user_username_is_unique():
    UserFactory(username="ada")
    assert_rejected(lambda: UserFactory(username="ada"))


def test_a_user_has_at_most_one_customer():
    customer = CustomerFactory()
    assert_rejected(lambda: CustomerFactory(user=customer.user))


def test_custom_field_keys_are_unique_per_customer():
    field = CustomFieldFactory(key="plan-notes")
    assert_rejected(lambda: CustomFieldFactory(customer=field.customer, key="plan-notes"))


def test_reference_codes_are_unique():
    customer = CustomerFactory()
    assert_rejected(lambda: CustomerFactory(reference=customer.reference))


@pytest.mark.parametrize(
    "fields",
    [{"amount": Decimal("-1")}, {"setup_fee": Decimal("-0.01")}, {"duration": 0}],
)
def test_product_rejects_negative_money_and_empty_duration(fields):
    assert_rejected(lambda: ProductFactory(**fields))


@pytest.mark.parametrize(
    "fields",
    [{"amount": Decimal("-5")}, {"initial_amount": Decimal("-5")}, {"duration": 0}],
)
def test_membership_rejects_negative_amounts_and_empty_duration(fields):
    assert_rejected(lambda: MembershipFactory(**fields))


def test_cancelled_membership_needs_cancellation_time_and_no_auto_renew():
    assert_rejected(
        lambda: MembershipFactory(status=Membership.Status.CANCELLED, cancelled_at=None)
    )
    assert_rejected(
        lambda: MembershipFactory(
            status=Membership.Status.CANCELLED, cancelled_at=timezone.now(), auto_renew=True
        )
    )
    MembershipFactory(
        status=Membership.Status.CANCELLED, cancelled_at=timezone.now(), auto_renew=False
    )


def test_addon_quantity_must_be_positive_and_product_listed_once():
    addon = MembershipAddonFactory()
    assert_rejected(lambda: MembershipAddonFactory(quantity=0))
    assert_rejected(
        lambda: MembershipAddonFactory(membership=addon.membership, product=addon.product)
    )


def test_payment_total_must_add_up():
    payment = PaymentFactory()
    payment.total = payment.total + 1
    assert_rejected(lambda: payment.save())


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": 0},
        {"unit_price": Decimal("-1")},
        {"tax_rate": Decimal("101")},
        {"type": LineItem.Type.DISCOUNT, "tax_rate": Decimal("10")},
    ],
)
def test_line_item_rejects_impossible_values(fields):
    assert_rejected(lambda: LineItemFactory(**fields))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_refund_amount_must_be_positive(amount):
    assert_rejected(lambda: RefundFactory(amount=amount))


def test_refund_idempotency_key_is_unique():
    key = uuid.uuid4()
    RefundFactory(idempotency_key=key)
    assert_rejected(lambda: RefundFactory(idempotency_key=key))


def test_only_one_main_site():
    SiteFactory(type=Site.Type.MAIN, customer=None)
    assert_rejected(lambda: SiteFactory(type=Site.Type.MAIN, customer=None))


def test_site_domain_and_path_are_unique_together():
    site = SiteFactory(domain="shop.example.net", path="/")
    SiteFactory(domain="shop.example.net", path="/blog/")
    assert_rejected(lambda: SiteFactory(domain=site.domain, path="/"))


def test_customer_owned_site_needs_a_customer_and_others_have_none():
    assert_rejected(lambda: SiteFactory(type=Site.Type.CUSTOMER_OWNED, customer=None))
    assert_rejected(lambda: SiteFactory(type=Site.Type.SITE_TEMPLATE))


def test_protected_relations_refuse_silent_cascades():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        # Memberships and sites must be handled explicitly before their customer goes.
        User.objects.filter(pk=membership.customer.user_id).delete()


def test_refund_keeps_its_payment():
    refund = RefundFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        refund.payment.delete()
    assert Refund.objects.filter(pk=refund.pk).exists()


def test_a_taxed_and_discounted_total_that_adds_up_exactly_is_accepted():
    # 48.00 - 4.80 + 5.28 = 48.48, which floating point gets wrong.
    payment = PaymentFactory(lines=[Decimal("48.00")])
    Payment.objects.filter(pk=payment.pk).update(
        subtotal=Decimal("48.00"),
        discount_total=Decimal("4.80"),
        tax_total=Decimal("5.28"),
        total=Decimal("48.48"),
    )
    assert Payment.objects.get(pk=payment.pk).total == Decimal("48.48")

"""factory-boy factories for every model, for the tests (`manage.py seed_demo` writes its own rows,
without Faker)."""

import importlib
import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from customers.models import Customer, CustomField, LoginRecord, Note, User
from events.models import Event
from memberships.models import Membership, MembershipAddon, Product
from payments.models import LineItem, Payment, Refund
from sites.models import Site


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        # `UserFactory(role="Network admin")` puts the user in that group.
        if create and extracted:
            ensure_roles()
            user.groups.add(Group.objects.get(name=extracted))


def ensure_roles() -> None:
    """Recreate the role groups if a transactional test flushed them (they come from a data
    migration, which a flush doesn't replay): the migration stays their one definition."""
    if not Group.objects.filter(name="Network admin").exists():
        roles = importlib.import_module("customers.migrations.0002_roles")
        roles.create_roles(django_apps, schema_editor=None)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    company_name = factory.Faker("company")
    billing_email = factory.LazyAttribute(lambda customer: customer.user.email)
    address_line_1 = factory.Faker("street_address")
    city = factory.Faker("city")
    postal_code = factory.Faker("postcode")
    country = "US"
    signup_source = "by-admin"


def customer_of_fixed_words(**fields) -> Customer:
    """A customer whose searchable words (names, company) are fixed, for a test that must not
    find them by chance: Faker's hold common words ("Adams" and "Estrada" hold "ada", "Rivera"
    "vera", "Smith and Bishop" "shop"; its companies are made of last names, "Fischer Inc")."""
    words = {"user__first_name": "Grace", "user__last_name": "Hopper", "company_name": "Compilers"}
    return CustomerFactory(**words | fields)


class CustomFieldFactory(DjangoModelFactory):
    class Meta:
        model = CustomField

    customer = factory.SubFactory(CustomerFactory)
    key = factory.Sequence(lambda n: f"field-{n}")
    value = factory.Faker("word")


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    customer = factory.SubFactory(CustomerFactory)
    author_repr = "Jane Admin"
    text = factory.Faker("sentence")


class LoginRecordFactory(DjangoModelFactory):
    class Meta:
        model = LoginRecord

    customer = factory.SubFactory(CustomerFactory)
    ip_address = factory.Faker("ipv4_public")
    user_agent = "Mozilla/5.0"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Plan {n}")
    slug = factory.Sequence(lambda n: f"plan-{n}")
    type = Product.Type.PLAN
    amount = Decimal("29.00")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(ProductFactory)
    status = Membership.Status.ACTIVE
    amount = factory.LazyAttribute(lambda membership: membership.plan.amount)
    initial_amount = factory.LazyAttribute(lambda membership: membership.plan.amount)
    gateway = Membership.Gateway.MANUAL
    activated_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class MembershipAddonFactory(DjangoModelFactory):
    class Meta:
        model = MembershipAddon

    membership = factory.SubFactory(MembershipFactory)
    product = factory.SubFactory(ProductFactory, type=Product.Type.PACKAGE)
    quantity = 1


class PaymentFactory(DjangoModelFactory):
    """A payment with one product line; its totals are computed from that line."""

    class Meta:
        model = Payment
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    membership = None
    status = Payment.Status.COMPLETED
    gateway = Membership.Gateway.MANUAL
    billing_name = factory.LazyAttribute(lambda payment: payment.customer.name)
    billing_email = factory.LazyAttribute(lambda payment: payment.customer.email)
    billing_country = "US"

    @factory.post_generation
    def lines(payment, create, extracted, **kwargs):
        if not create:
            return
        for unit_price in extracted or [Decimal("50.00")]:
            LineItemFactory(payment=payment, unit_price=unit_price)
        payment.refresh_totals()


class LineItemFactory(DjangoModelFactory):
    class Meta:
        model = LineItem

    payment = factory.SubFactory(PaymentFactory, lines=[])
    title = factory.Faker("catch_phrase")
    unit_price = Decimal("50.00")
    quantity = 1

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        line = model_class(*args, **kwargs)
        line.compute_totals()
        line.save()
        return line


class RefundFactory(DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = Decimal("10.00")
    status = Refund.Status.SUCCEEDED
    idempotency_key = factory.LazyFunction(uuid.uuid4)
    created_by_repr = "Jane Admin"


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    title = factory.Faker("catch_phrase")
    domain = factory.Sequence(lambda n: f"site{n}.example.net")
    type = Site.Type.CUSTOMER_OWNED
    customer = factory.SubFactory(CustomerFactory)


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    action = "customer.updated"
    actor_repr = "Jane Admin"
    object_type = "customer"

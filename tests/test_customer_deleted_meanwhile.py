"""A customer another admin deleted after this page loaded them: adding something to that
customer answers "not found" (VanishedObjectMiddleware) and writes nothing, instead of failing at
commit with an IntegrityError (a server error on PostgreSQL)."""

from decimal import Decimal

import pytest

from customers.models import Customer, Note
from customers.services import note_add
from events.models import Event
from events.services import Actor
from memberships.models import Membership
from memberships.services import membership_create
from payments.models import LineItem, Payment
from payments.services import payment_create
from sites.models import Site
from sites.services import site_create
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gone():
    """The customer as the page loaded them; their row is deleted since."""
    customer = CustomerFactory()
    Customer.objects.filter(pk=customer.pk).delete()
    return customer


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin)


ADDITIONS = {
    "note": lambda actor, customer: note_add(actor=actor, customer=customer, text="Called"),
    "membership": lambda actor, customer: membership_create(
        actor=actor, customer=customer, plan=ProductFactory()
    ),
    "payment": lambda actor, customer: payment_create(
        actor=actor,
        customer=customer,
        lines=[{"title": "Plan", "type": LineItem.Type.PRODUCT, "unit_price": Decimal("9.00")}],
    ),
    "site": lambda actor, customer: site_create(
        actor=actor, title="Blog", domain="blog.example.net", customer=customer
    ),
}


@pytest.mark.parametrize("addition", ADDITIONS)
def test_adding_to_a_deleted_customer_is_not_found_and_writes_nothing(gone, actor, addition):
    with pytest.raises(Customer.DoesNotExist):
        ADDITIONS[addition](actor, gone)
    assert not Note.objects.exists()
    assert not Membership.objects.exists()
    assert not Payment.objects.exists()
    assert not Site.objects.exists()
    assert not Event.objects.exists()

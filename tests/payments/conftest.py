from decimal import Decimal

import pytest

from events.services import Actor
from memberships.models import Membership
from payments.models import Payment
from tests.factories import MembershipFactory, PaymentFactory


@pytest.fixture
def actor(network_admin):
    return Actor(user=network_admin, ip_address="198.51.100.7")


@pytest.fixture
def paid(customer):
    """A completed manual payment of 50.00 USD for the customer's active membership."""
    membership = MembershipFactory(customer=customer, status=Membership.Status.ACTIVE)
    return PaymentFactory(
        customer=customer,
        membership=membership,
        status=Payment.Status.COMPLETED,
        lines=[Decimal("50.00")],
    )

from decimal import Decimal
from types import SimpleNamespace

import pytest

from memberships.models import Product
from tests.factories import MembershipFactory, ProductFactory


@pytest.fixture
def catalog(db):
    """The small catalogue most page tests need: the Gold plan, a package and a service."""
    return SimpleNamespace(
        gold=ProductFactory(name="Gold", slug="gold", amount=Decimal("29.00")),
        backup=ProductFactory(name="Backup", slug="backup", type=Product.Type.PACKAGE),
        seo=ProductFactory(name="SEO", slug="seo", type=Product.Type.SERVICE),
    )


@pytest.fixture
def gold_membership(customer, catalog):
    """Ada Lovelace's active membership on Gold, expiring in 30 days."""
    return MembershipFactory(customer=customer, plan=catalog.gold)

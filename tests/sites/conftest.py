import pytest

from sites.models import Site
from tests.factories import MembershipFactory, SiteFactory


@pytest.fixture
def membership(customer):
    return MembershipFactory(customer=customer)


@pytest.fixture
def site(customer, membership):
    return SiteFactory(
        title="Ada's blog",
        domain="ada.example.net",
        description="Notes on engines",
        customer=customer,
        membership=membership,
    )


@pytest.fixture
def main_site(db):
    return SiteFactory(
        title="Network", domain="network.example.net", type=Site.Type.MAIN, customer=None
    )

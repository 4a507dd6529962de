import pytest

from customers.models import Customer
from network_admin.references import ALPHABET, LENGTH, new_reference, normalize_reference
from tests.factories import CustomerFactory, MembershipFactory, PaymentFactory, SiteFactory


def test_new_references_use_the_unambiguous_alphabet():
    codes = {new_reference() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set("ILOU") & set("".join(codes))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("7JX4E78PNR", "7JX4E78PNR"),
        ("  7jx4e78pnr ", "7JX4E78PNR"),
        ("7JX4-E78P-NR", "7JX4E78PNR"),
        ("O1IL234567", "0111234567"),
    ],
)
def test_typed_references_are_read_the_way_a_person_meant_them(typed, meant):
    assert normalize_reference(typed) == meant


@pytest.mark.parametrize("typed", ["", "7JX4E78PN", "7JX4E78PNRX", "7JX4E78PN%", "ÄJX4E78PNR"])
def test_text_that_cannot_be_a_reference_is_recognised(typed):
    assert normalize_reference(typed) is None


@pytest.mark.django_db
def test_every_public_object_gets_its_own_reference_and_can_be_found_by_it():
    objects = [CustomerFactory(), MembershipFactory(), PaymentFactory(), SiteFactory()]
    references = [obj.reference for obj in objects]
    assert len(set(references)) == len(references)
    customer = objects[0]
    typed = customer.reference.lower()
    assert Customer.objects.get(reference=normalize_reference(typed)) == customer

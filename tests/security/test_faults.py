"""A fault in the middle of a customer delete or a membership transfer leaves everything exactly
as it was: every step of either runs in one transaction, and these tests commit for real (no
test transaction around them) to prove it."""

import pytest

from customers.models import Customer, User
from memberships.models import Membership
from tests.factories import CustomerFactory, SiteFactory
from tests.security.helpers import ID, snapshot

pytestmark = pytest.mark.django_db(transaction=True)


class InjectedFault(Exception):
    pass


def fail_on_call(number: int = 1):
    """A stand-in that raises on its `number`th call, and does nothing before."""
    calls = []

    def stand_in(*args, **kwargs):
        calls.append(args)
        if len(calls) >= number:
            raise InjectedFault

    return stand_in


@pytest.fixture
def admin(signed_in):
    return signed_in(raising=False)


def inject(monkeypatch, where: tuple, fault) -> None:
    """Put `fault` at `where`: (module path, None) for a function, (class, name) for a method."""
    target, name = where
    if name is None:
        monkeypatch.setattr(target, fault)
    else:
        monkeypatch.setattr(target, name, fault)


def the_same_after(action) -> tuple[int, bool]:
    """Run `action`; return its status and whether the database is exactly as before."""
    before = snapshot()
    response = action()
    return response.status_code, snapshot() == before


DELETE_FAULTS = {
    "the event recorder": ("customers.services.record", None),
    "removing the login account": (User, "delete"),
}


@pytest.mark.parametrize("related", ["delete", "move"])
@pytest.mark.parametrize("fault", DELETE_FAULTS)
def test_a_fault_while_deleting_a_customer_changes_nothing(
    admin, world, grace, monkeypatch, fault, related
):
    inject(monkeypatch, DELETE_FAULTS[fault], fail_on_call())
    form = {"related": related, "move_to": grace.reference, "confirmation": "ada@example.com"}
    status, unchanged = the_same_after(lambda: admin.post(f"/customers/{ID}/delete/", form))
    assert status == 500
    assert unchanged
    assert Customer.objects.filter(pk=ID).exists()


def test_a_fault_deleting_the_second_of_two_customers_keeps_both(admin, world, monkeypatch):
    other = CustomerFactory()
    SiteFactory(customer=other)
    monkeypatch.setattr(User, "delete", fail_on_call(2))
    form = {
        "customers": [ID, other.pk],
        "related": "delete",
        "confirmation": "delete 2 customers",
    }
    status, unchanged = the_same_after(lambda: admin.post("/customers/delete/", form))
    assert status == 500
    assert unchanged
    assert Customer.objects.count() == 2


TRANSFER_FAULTS = {
    "the event recorder": ("memberships.services.record", None),
    "saving the membership after its sites moved": (Membership, "full_clean"),
}


@pytest.mark.parametrize("fault", TRANSFER_FAULTS)
def test_a_fault_while_transferring_a_membership_changes_nothing(
    admin, world, grace, monkeypatch, fault
):
    SiteFactory(customer=world.customer, membership=world.membership)
    inject(monkeypatch, TRANSFER_FAULTS[fault], fail_on_call())
    form = {"to": grace.reference}
    status, unchanged = the_same_after(lambda: admin.post(f"/memberships/{ID}/transfer/", form))
    assert status == 500
    assert unchanged
    assert Membership.objects.get(pk=ID).customer_id == ID


def test_without_a_fault_the_same_transfer_goes_through(admin, world, grace):
    # The control: the faults above are what stopped the transfer, not the form.
    response = admin.post(f"/memberships/{ID}/transfer/", {"to": grace.reference})
    assert response.status_code == 302
    assert Membership.objects.get(pk=ID).customer == grace


def test_without_a_fault_the_same_delete_goes_through(admin, world):
    form = {"related": "delete", "confirmation": "ada@example.com"}
    assert admin.post(f"/customers/{ID}/delete/", form).status_code == 302
    assert not Customer.objects.filter(pk=ID).exists()
    assert not Membership.objects.filter(pk=ID).exists()

"""Requests racing each other on PostgreSQL, through the real views: a delete racing a save of
the same customer, transfers racing deletes, a refund racing its customer's delete. Whatever the
order: no 500, no orphan, totals and events that add up.

Each request runs in its own thread with its own connection, so these tests commit for real.
The first request pauses while it holds its locks (`Hold`); the second starts then, so the
interleaving is the same on every run.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from customers import services as customer_services
from customers.models import Customer, CustomField, LoginRecord, Note
from events.models import Event
from memberships.models import Membership
from payments.models import Payment, Refund
from sites.models import Site
from tests.security.helpers import ID, forms_on

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs row locks between real connections"
    ),
    pytest.mark.django_db(transaction=True),
]

PAUSE = 1.0


class Hold:
    """Makes `target.name` pause for PAUSE seconds, inside the transaction and locks of whoever
    calls it, and tells (`reached`) when it has started pausing."""

    def __init__(self, monkeypatch, target, name: str):
        self.reached = threading.Event()
        original = getattr(target, name)

        def paused(*args, **kwargs):
            self.reached.set()
            time.sleep(PAUSE)
            return original(*args, **kwargs)

        monkeypatch.setattr(target, name, paused)


def _own_connection(request):
    def run():
        try:
            return request()
        finally:
            connection.close()

    return run


def race(hold: Hold, first, then):
    """Start `first`; once it holds its locks, start `then`. Both responses, in that order."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = pool.submit(_own_connection(first))
        assert hold.reached.wait(timeout=30)
        arriving = pool.submit(_own_connection(then))
        return started.result(timeout=60), arriving.result(timeout=60)


@pytest.fixture
def new_browser(signed_in):
    """A new signed-in admin browser each call, answering errors as production does."""
    return lambda: signed_in(raising=False)


def assert_no_orphans():
    customers = Customer.objects.values("pk")
    for model in [Membership, Site, Note, CustomField, LoginRecord]:
        orphans = model.objects.exclude(customer__isnull=True).exclude(customer__in=customers)
        assert not orphans.exists(), model
    assert not Site.objects.exclude(membership__isnull=True).exclude(
        membership__in=Membership.objects.values("pk")
    )
    assert not Payment.objects.exclude(customer__isnull=True).exclude(customer__in=customers)
    assert not Refund.objects.exclude(payment__in=Payment.objects.values("pk")).exists()


def actions() -> list[str]:
    """What was recorded during the test (the world's own event aside)."""
    return list(Event.objects.exclude(pk=ID).order_by("id").values_list("action", flat=True))


def delete(client, customer_pk: int, **form):
    form = {"related": "delete", "confirmation": Customer.objects.get(pk=customer_pk).email} | form
    return lambda: client.post(f"/customers/{customer_pk}/delete/", form)


def save_company(client, name: str):
    """Submit the customer page's Save form as the page offers it, with a new company name."""
    page = client.get(f"/customers/{ID}/").content.decode()
    (form,) = [f for f in forms_on(f"/customers/{ID}/", page) if f.target == f"/customers/{ID}/"]
    data = form.data() | {"customer-company_name": [name]}
    return lambda: client.post(form.target, data)


def test_a_save_arriving_while_the_customer_is_deleted_finds_it_gone(
    new_browser, world, monkeypatch
):
    hold = Hold(monkeypatch, customer_services, "deletion_summary")
    deleted, saved = race(
        hold, delete(new_browser(), ID), save_company(new_browser(), "Too late Ltd")
    )
    assert deleted.status_code == 302
    assert saved.status_code == 404
    assert not Customer.objects.filter(pk=ID).exists()
    assert actions() == ["customer.deleted"]
    assert_no_orphans()


def test_a_delete_arriving_while_the_customer_is_saved_waits_then_deletes(
    new_browser, world, monkeypatch
):
    hold = Hold(monkeypatch, customer_services, "apply_changes")
    saved, deleted = race(
        hold, save_company(new_browser(), "Saved first Ltd"), delete(new_browser(), ID)
    )
    assert (saved.status_code, deleted.status_code) == (302, 302)
    assert not Customer.objects.filter(pk=ID).exists()
    assert actions() == ["customer.updated", "customer.deleted"]
    assert Event.objects.get(action="customer.deleted").object_repr == "Ada Lovelace"
    assert_no_orphans()


def transfer(client, to: Customer):
    return lambda: client.post(f"/memberships/{ID}/transfer/", {"to": to.reference})


def test_a_transfer_to_a_customer_being_deleted_is_refused_with_a_message(
    new_browser, world, grace, monkeypatch
):
    hold = Hold(monkeypatch, customer_services, "deletion_summary")
    transferrer = new_browser()
    deleted, moved = race(hold, delete(new_browser(), grace.pk), transfer(transferrer, grace))
    assert (deleted.status_code, moved.status_code) == (302, 302)
    page = transferrer.get(moved["Location"]).content.decode()
    assert "no longer exists" in page
    assert Membership.objects.get(pk=ID).customer_id == ID
    assert Site.objects.get(pk=ID).customer_id == ID
    assert actions() == ["customer.deleted"]
    assert_no_orphans()


def test_a_transfer_while_the_owner_is_deleted_saves_the_membership_and_its_sites(
    new_browser, world, grace, monkeypatch
):
    hold = Hold(monkeypatch, customer_services, "deletion_summary")
    deleted, moved = race(hold, delete(new_browser(), ID), transfer(new_browser(), grace))
    assert (deleted.status_code, moved.status_code) == (302, 302)
    # The transfer went through while the delete waited: what moved is no longer the owner's.
    assert Membership.objects.get(pk=ID).customer == grace
    assert Site.objects.get(pk=ID).customer == grace
    assert not Customer.objects.filter(pk=ID).exists()
    assert sorted(actions()) == ["customer.deleted", "membership.transferred"]
    assert_no_orphans()


def test_a_transfer_arriving_after_the_delete_removed_the_membership_finds_it_gone(
    new_browser, world, grace, monkeypatch
):
    hold = Hold(monkeypatch, Customer, "delete")
    deleted, moved = race(hold, delete(new_browser(), ID), transfer(new_browser(), grace))
    assert (deleted.status_code, moved.status_code) == (302, 404)
    assert not Membership.objects.filter(pk=ID).exists()
    assert not Site.objects.exists()
    assert actions() == ["customer.deleted"]
    assert_no_orphans()


def test_a_refund_racing_its_customers_delete_keeps_the_payment_whole(
    new_browser, world, monkeypatch
):
    hold = Hold(monkeypatch, customer_services, "deletion_summary")
    refund_form = new_browser().get(f"/payments/{ID}/refund/").content.decode()
    (form,) = [f for f in forms_on(f"/payments/{ID}/refund/", refund_form) if f.text_fields]
    data = form.data() | {"amount": ["20.00"]}
    deleted, refunded = race(
        hold, delete(new_browser(), ID), lambda: new_browser().post(form.target, data)
    )
    assert (deleted.status_code, refunded.status_code) == (302, 302)
    payment = Payment.objects.get(pk=ID)
    assert payment.customer is None
    assert payment.refunded_total() == Decimal("20.00")
    assert payment.refundable() == payment.total - Decimal("20.00")
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert sorted(actions()) == ["customer.deleted", "payment.refunded"]
    assert_no_orphans()


def test_two_admins_deleting_the_same_customer_delete_it_once(new_browser, world, monkeypatch):
    hold = Hold(monkeypatch, customer_services, "deletion_summary")
    first, second = race(hold, delete(new_browser(), ID), delete(new_browser(), ID))
    assert first.status_code == 302
    assert second.status_code == 404
    assert actions() == ["customer.deleted"]
    assert_no_orphans()

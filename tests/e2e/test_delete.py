import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.e2e.helpers import customer_card, message, open_customer, open_section

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_deleting_a_customer_shows_the_counts_refuses_a_wrong_email_and_keeps_payments(
    admin_page, network
):
    page = admin_page
    open_customer(page, "Ada Lovelace")

    page.get_by_role("link", name="Delete Customer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Delete customer Ada Lovelace?")
    summary = page.get_by_role("region", name="Ada Lovelace")
    for count in ["1 note", "2 memberships", "1 site", "1 payment", "0 refunds"]:
        expect(summary.get_by_role("listitem").filter(has_text=count)).to_be_visible()
    confirmation = page.get_by_label("Confirmation")
    confirmation.fill("grace.hopper@example.com")
    page.get_by_role("button", name="Yes, delete this customer").click()

    expect(confirmation).to_have_accessible_description(
        re.compile(re.escape("That doesn't match. Type ada.lovelace@example.com exactly."))
    )
    assert Customer.objects.filter(pk=network.ada.pk).exists()

    page.get_by_label("Confirmation").fill("ada.lovelace@example.com")
    page.get_by_role("button", name="Yes, delete this customer").click()

    expect(message(page, "Customer Ada Lovelace deleted.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    expect(customer_card(page, "Ada Lovelace")).to_have_count(0)
    expect(customer_card(page, "Grace Hopper")).to_be_visible()
    open_section(page, "Payments")
    payment = page.get_by_role("row").filter(has_text=network.payment.reference)
    expect(payment).to_contain_text("Deleted customer")
    expect(payment).to_contain_text("100.00 USD")

"""From the customer page, along its → arrows, to the customer's membership, payment and site."""

import pytest
from playwright.sync_api import expect

from payments.models import Payment
from tests.e2e.helpers import fact, message, open_customer, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_refund_form(page) -> None:
    page.get_by_role("link", name="Refund", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refund payment")


def refund(page, reason: str, amount: str | None = None) -> None:
    """Fill in the open refund form: `amount`, or what the form proposes when None."""
    if amount is not None:
        page.get_by_label("Amount (USD)").fill(amount)
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Refund", exact=True).click()


def test_an_admin_changes_a_membership_then_refunds_a_payment_in_two_parts(admin_page, network):
    page = admin_page
    open_customer(page, "Ada Lovelace")

    region(page, "Memberships").get_by_role(
        "link", name=f"Open membership {network.membership.reference}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Membership Active")
    page.get_by_role("combobox", name="Status", exact=True).select_option(label="On Hold")
    page.get_by_role("button", name="Save Membership").click()

    expect(message(page, "Membership saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Membership On Hold")

    region(page, "Customer").get_by_role("link", name="Ada Lovelace").click()
    expect(region(page, "Memberships")).to_contain_text("On Hold")
    region(page, "Payments").get_by_role(
        "link", name=f"Open payment {network.payment.reference}"
    ).click()
    glance = region(page, "At a Glance")
    expect(fact(glance, "Refundable")).to_have_text("100.00 USD")

    open_refund_form(page)
    refund(page, "Goodwill: a week of downtime", amount="30.00")

    expect(message(page, "Refunded 30.00 USD")).to_be_visible()
    expect(fact(glance, "Payment status")).to_have_text("Partially Refunded")
    expect(fact(glance, "Refundable")).to_have_text("70.00 USD")
    expect(region(page, "Refunds")).to_contain_text("Goodwill: a week of downtime")

    open_refund_form(page)
    expect(page.get_by_label("Amount (USD)")).to_have_value("70.00")
    refund(page, "Cancelled the plan")

    expect(fact(glance, "Payment status")).to_have_text("Refunded")
    expect(fact(glance, "Refundable")).to_have_text("0.00 USD")
    expect(page.get_by_role("link", name="Refund", exact=True)).to_have_count(0)
    assert Payment.objects.get(pk=network.payment.pk).status == Payment.Status.REFUNDED


def test_an_admin_moves_a_site_to_another_customers_membership_and_switches_it_off(
    admin_page, network
):
    page = admin_page
    open_customer(page, "Ada Lovelace")

    region(page, "Sites").get_by_role("link", name="Open site Engine Works").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Engine Works")
    page.get_by_label("Membership", exact=True).fill(network.grace_membership.reference)
    page.get_by_role("button", name="Save Site").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Move site to another customer")
    expect(page.get_by_text("from Ada Lovelace to Grace Hopper")).to_be_visible()
    page.get_by_role("button", name="Yes, move the site").click()

    expect(message(page, "Site moved to Grace Hopper.")).to_be_visible()
    owner = region(page, "Owner")
    expect(fact(owner, "Customer")).to_contain_text("Grace Hopper")
    expect(fact(owner, "Membership")).to_contain_text(network.grace_membership.reference)

    switch = page.get_by_role("switch", name="Active")
    expect(switch).to_be_checked()
    switch.click()

    expect(page.get_by_text("Site deactivated.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("switch", name="Active")).not_to_be_checked()
    expect(region(page, "Events")).to_contain_text("Jane Admin")

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from events.models import Event
from tests.e2e.helpers import (
    customer_card,
    log_in,
    message,
    open_customer,
    open_options_tab,
    open_section,
    region,
    save_customer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_a_customer_vip_and_sees_it_on_the_card_and_in_the_events(
    visitor, javascript
):
    log_in(visitor, "jane")
    open_customer(visitor, "Ada Lovelace")
    vip = visitor.get_by_label("VIP", exact=True)
    expect(vip).not_to_be_checked()

    vip.check()
    if javascript:
        # With JavaScript the switch saves at once and says so beside it.
        expect(visitor.get_by_text("Marked as VIP.")).to_be_visible()
    save_customer(visitor)

    expect(
        message(visitor, "Nothing changed." if javascript else "Customer saved.")
    ).to_be_visible()
    expect(vip).to_be_checked()
    expect(region(visitor, "Events")).to_contain_text(
        "Jane Admin updated customer Ada Lovelace (VIP)"
    )
    open_section(visitor, "Customers")
    expect(customer_card(visitor, "Ada Lovelace").get_by_text("VIP", exact=True)).to_be_visible()
    expect(customer_card(visitor, "Grace Hopper").get_by_text("Regular")).to_be_visible()


def test_an_admin_asks_for_verification_resends_it_then_verifies_and_activates_memberships(
    admin_page, network, mailoutbox
):
    page = admin_page
    open_customer(page, "Ada Lovelace")
    memberships = region(page, "Memberships")
    expect(memberships.get_by_role("listitem").filter(has_text="Starter")).to_contain_text(
        "Pending"
    )
    expect(page.get_by_label("Also activate pending memberships")).to_have_count(0)

    page.get_by_label("Email verification").select_option(label="Pending")
    save_customer(page)

    expect(message(page, "Customer saved.")).to_be_visible()
    page.get_by_role("button", name="Re-send verification email").click()
    expect(message(page, "Verification email sent to ada.lovelace@example.com.")).to_be_visible()
    assert [email.to for email in mailoutbox] == [["ada.lovelace@example.com"]] * 2

    page.get_by_label("Email verification").select_option(label="Verified")
    page.get_by_label("Also activate pending memberships").check()
    save_customer(page)

    expect(message(page, "Customer saved.")).to_be_visible()
    expect(page.get_by_label("Email verification")).to_have_value("verified")
    expect(page.get_by_role("button", name="Re-send verification email")).to_have_count(0)
    expect(memberships.get_by_role("listitem").filter(has_text="Starter")).to_contain_text("Active")


def test_invalid_billing_email_is_refused_with_a_message_and_saves_nothing_until_fixed(
    admin_page, network
):
    page = admin_page
    open_customer(page, "Ada Lovelace")
    open_options_tab(page, "Billing Info")
    events_before = Event.objects.count()

    page.get_by_label("Billing email").fill("ada at engines")
    page.get_by_label("City").fill("Marylebone")
    save_customer(page)

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    billing_email = page.get_by_label("Billing email")
    expect(billing_email).to_be_visible()
    expect(billing_email).to_have_accessible_description("Enter a valid email address.")
    ada = Customer.objects.get(pk=network.ada.pk)
    assert (ada.billing_email, ada.city) == (network.ada.billing_email, network.ada.city)
    assert Event.objects.count() == events_before

    billing_email.fill("ada@engines.example")
    save_customer(page)

    expect(message(page, "Customer saved.")).to_be_visible()
    open_options_tab(page, "Billing Info")
    expect(page.get_by_label("Billing email")).to_have_value("ada@engines.example")
    expect(page.get_by_label("City")).to_have_value("Marylebone")

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import message, open_customer, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_switches_to_a_customer_sees_their_account_and_switches_back(admin_page):
    page = admin_page
    open_customer(page, "Ada Lovelace")

    page.get_by_role("button", name="Switch to Ada Lovelace").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(
        page.get_by_text("Signed in as Ada Lovelace (ada.lovelace@example.com).")
    ).to_be_visible()
    expect(region(page, "Your sites")).to_contain_text("Engine Works")
    banner = page.get_by_role("region", name="Switched to a customer")
    expect(banner).to_contain_text("You are signed in as Ada Lovelace")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    banner.get_by_role("button", name="Switch back").click()

    expect(message(page, "You switched back from Ada Lovelace.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit Customer Ada Lovelace")
    expect(page.get_by_role("region", name="Switched to a customer")).to_have_count(0)
    expect(region(page, "Events")).to_contain_text(
        "Jane Admin switched back from customer Ada Lovelace"
    )

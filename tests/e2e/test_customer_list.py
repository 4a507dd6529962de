import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import customer_card, log_in, open_section, search_customers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_logs_in_finds_a_customer_by_part_of_their_email_and_switches_views(
    visitor, network
):
    log_in(visitor, "jane")
    open_section(visitor, "Customers")
    expect(customer_card(visitor, "Grace Hopper")).to_be_visible()

    search_customers(visitor, "lovelace@")

    expect(customer_card(visitor, "Ada Lovelace")).to_be_visible()
    expect(customer_card(visitor, "Grace Hopper")).to_have_count(0)

    visitor.get_by_role("button", name="Rows").click()

    expect(visitor.get_by_role("button", name="Rows")).to_have_attribute("aria-pressed", "true")
    rows = visitor.get_by_role("table").get_by_role("row")
    expect(rows.filter(has_text="Ada Lovelace")).to_be_visible()
    expect(rows.filter(has_text="Grace Hopper")).to_have_count(0)
    expect(visitor.get_by_label("Search customers")).to_have_value("lovelace@")

    visitor.get_by_role("button", name="Cards").click()

    expect(visitor.get_by_role("table")).to_have_count(0)
    expect(customer_card(visitor, "Ada Lovelace")).to_be_visible()
    expect(customer_card(visitor, "Grace Hopper")).to_have_count(0)

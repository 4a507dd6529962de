"""What a person does in the browser, in steps the journeys share."""

import re

from playwright.sync_api import Locator, Page, expect

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def open_section(page: Page, name: str) -> None:
    """Follow a link of the sidebar."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def region(page: Page, name: str) -> Locator:
    """A panel of a page, found by its heading."""
    return page.get_by_role("region", name=name, exact=True)


def message(page: Page, text: str) -> Locator:
    """The message the page shows after an action (a status, or an alert for an error)."""
    return page.get_by_role("status").or_(page.get_by_role("alert")).filter(has_text=text)


def customer_card(page: Page, name: str) -> Locator:
    """The card of the customer list whose title is `name`."""
    title = page.get_by_role("link", name=name, exact=True)
    return page.get_by_role("listitem").filter(has=title)


def search_customers(page: Page, text: str) -> None:
    search = page.get_by_label("Search customers")
    search.fill(text)
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))


def manage(page: Page, name: str) -> None:
    page.get_by_role("link", name=f"Manage {name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit Customer")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def open_customer(page: Page, name: str) -> None:
    """From anywhere: the customer list, then Manage."""
    open_section(page, "Customers")
    manage(page, name)


def open_options_tab(page: Page, name: str) -> None:
    """The Customer Options tabs are radio buttons styled as tabs."""
    page.get_by_role("radiogroup", name="Customer options").get_by_text(name, exact=True).click()


def save_customer(page: Page) -> None:
    page.get_by_role("button", name="Save Customer").click()


def fact(scope: Locator, term: str) -> Locator:
    """The value beside `term` in a list of key facts (At a Glance and the like)."""
    return (
        scope.locator("dt")
        .filter(has_text=re.compile(f"^{re.escape(term)}$"))
        .locator("xpath=following-sibling::dd[1]")
    )

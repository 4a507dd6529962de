"""The list and the customer page fit a desktop and a phone, in light and dark mode."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHEMES = ["light", "dark"]
DESKTOP = 1280
PAGE_SCROLLS_SIDEWAYS = (
    "document.documentElement.scrollWidth > document.documentElement.clientWidth"
)
# On a desktop not even a part of the page (a table in its frame) may need scrolling sideways.
PART_SCROLLS_SIDEWAYS = """() => [...document.querySelectorAll("main *")].some(element =>
  !["INPUT", "SELECT", "TEXTAREA"].includes(element.tagName)
  && ["auto", "scroll"].includes(getComputedStyle(element).overflowX)
  && element.scrollWidth > element.clientWidth + 1)"""
# Relative luminance of the page background, 0 (black) to 1 (white).
BACKGROUND_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def sideways_scrolling(page: Page, name: str, url: str) -> list[str]:
    """Where the page at `url` scrolls sideways, over every width and colour scheme."""
    found = []
    for width in [DESKTOP, 390]:
        for scheme in SCHEMES:
            page.set_viewport_size({"width": width, "height": 900})
            page.emulate_media(color_scheme=scheme)
            page.goto(url)
            if page.evaluate(PAGE_SCROLLS_SIDEWAYS):
                found.append(f"{name} at {width}px in {scheme} mode")
            elif width == DESKTOP and page.evaluate(PART_SCROLLS_SIDEWAYS):
                found.append(f"part of {name} at {width}px in {scheme} mode")
    return found


def test_the_list_as_cards_or_rows_and_the_customer_page_never_scroll_sideways(admin_page, network):
    page = admin_page
    customers = reverse("customers:list")
    found = sideways_scrolling(
        page, "customer page", reverse("customers:detail", args=[network.ada.pk])
    )
    found += sideways_scrolling(page, "list as cards", customers)
    page.get_by_role("button", name="Rows").click()
    expect(page.get_by_role("table")).to_be_visible()
    found += sideways_scrolling(page, "list as rows", customers)

    assert found == []


def test_dark_mode_darkens_the_page(admin_page):
    page = admin_page
    page.goto(reverse("customers:list"))
    light = page.evaluate(BACKGROUND_LUMINANCE)

    page.emulate_media(color_scheme="dark")

    assert page.evaluate(BACKGROUND_LUMINANCE) < 0.2 < light

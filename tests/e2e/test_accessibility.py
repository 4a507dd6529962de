"""Accessibility of the pages admins use most: axe-core finds nothing serious or critical, every
form control has a label, focus is always visible, and the keyboard alone gets the work done."""

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect
from pytest_playwright_axe import Axe

from tests.e2e.helpers import message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe(use_minified_file=True)
SERIOUS = {"serious", "critical"}

UNLABELLED_CONTROLS = """() =>
  [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
    .filter(control => !control.labels.length && !control.ariaLabel
                       && !control.hasAttribute("aria-labelledby"))
    .map(control => `unlabelled: ${control.outerHTML}`)"""

# An aria-describedby pointing at nothing leaves a help text or an error unannounced.
BROKEN_REFERENCES = """() =>
  [...document.querySelectorAll("[aria-describedby], [aria-labelledby]")].flatMap(element =>
    ["aria-describedby", "aria-labelledby"].flatMap(name =>
      (element.getAttribute(name) || "").split(/\\s+/)
        .filter(id => id && !document.getElementById(id))
        .map(id => `${name} points at no #${id}: ${element.outerHTML.slice(0, 120)}`)))"""

# The focused element shows a ring; a control drawn by its label (the radio buttons of the
# Customer Options tabs) shows it on the label.
FOCUS_SHOWN = """() => {
  const focused = document.activeElement;
  const box = focused.getBoundingClientRect();
  const drawn = box.width <= 1 && focused.labels?.length ? focused.labels[0] : focused;
  const style = getComputedStyle(drawn);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


def accessibility_problems(page: Page) -> list[str]:
    results = AXE.run(
        page,
        options={"resultTypes": ["violations"]},
        html_report_generated=False,
        json_report_generated=False,
    )
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']]}"
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
    ]
    return serious + page.evaluate(UNLABELLED_CONTROLS) + page.evaluate(BROKEN_REFERENCES)


def test_the_most_used_pages_have_no_serious_accessibility_problems(admin_page, network):
    ada, payment = network.ada.pk, network.payment.pk
    pages = {
        "customer list": reverse("customers:list"),
        "customer page": reverse("customers:detail", args=[ada]),
        "delete confirmation": reverse("customers:delete", args=[ada]),
        "payment": reverse("payments:detail", args=[payment]),
        "refund": reverse("payments:refund", args=[payment]),
    }
    problems = {}
    for name, url in pages.items():
        admin_page.goto(url)
        problems[name] = accessibility_problems(admin_page)

    assert problems == dict.fromkeys(pages, [])


def test_the_list_and_customer_page_keep_their_contrast_in_dark_mode(admin_page, network):
    admin_page.emulate_media(color_scheme="dark")
    problems = {}
    for url in [reverse("customers:list"), reverse("customers:detail", args=[network.ada.pk])]:
        admin_page.goto(url)
        problems[url] = accessibility_problems(admin_page)

    assert problems == dict.fromkeys(problems, [])


def tab_to(page: Page, target: Locator, *, limit: int = 150) -> None:
    """Press Tab until `target` has the focus, checking that every stop shows where focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {focused}"
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reaches {target}")


def test_the_keyboard_alone_reaches_and_presses_manage_save_customer_and_delete(
    admin_page, network
):
    page = admin_page
    page.goto(reverse("customers:list"))

    tab_to(page, page.get_by_role("link", name="Manage Ada Lovelace"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Customer Ada Lovelace")

    tab_to(page, page.get_by_label("VIP", exact=True))
    page.keyboard.press("Space")
    expect(page.get_by_text("Marked as VIP.")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Save Customer"))
    page.keyboard.press("Enter")
    expect(message(page, "Nothing changed.")).to_be_visible()
    expect(page.get_by_label("VIP", exact=True)).to_be_checked()

    tab_to(page, page.get_by_role("link", name="Delete Customer"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete customer Ada Lovelace?")

    tab_to(page, page.get_by_label("Confirmation"))
    page.keyboard.type("ada.lovelace@example.com")
    tab_to(page, page.get_by_role("button", name="Yes, delete this customer"))
    page.keyboard.press("Enter")
    expect(message(page, "Customer Ada Lovelace deleted.")).to_be_visible()

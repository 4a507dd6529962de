import pytest
from django.urls import reverse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_debians_chromium_runs_the_pages_and_their_scripts(browser, page):
    """A smoke test that fails first, and plainly, when Playwright and the system Chromium stop
    understanding each other (Playwright pins its own Chromium; we use Debian's)."""
    assert int(browser.version.split(".")[0]) >= 120

    page.goto(reverse("login"))

    assert page.title() == "Log in · Network Admin"
    # htmx loads under the strict Content-Security-Policy (scripts by nonce only).
    assert page.evaluate("typeof htmx") == "object"

"""Hostile input, thrown at every URL and every form the pages offer: malformed ids, markup,
SQL-looking text, NUL bytes, huge strings, direction and zero-width characters, look-alikes,
open redirects, oversized requests and forged Host headers.

The rule: never a 500, nothing changed by input that can't be valid, and anything echoed back
is escaped. The forms are read from the pages themselves, so a new form is fuzzed too.
"""

from html import unescape

import pytest
from django.test import Client

from customers.models import Customer
from tests.security.helpers import (
    ID,
    admin_routes,
    assert_security_headers,
    forms_on,
    routes,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("world")

BAD_IDS = ["abc", "-1", "0", "9223372036854775808", "%00"]
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><b>bold</b>",
]
PAYLOADS = {
    **{f"markup-{i}": payload for i, payload in enumerate(MARKUP)},
    "javascript-url": "javascript:alert(1)",
    "sql-quote": "' OR '1'='1",
    "sql-drop": "1; DROP TABLE customers_customer; --",
    "sql-sleep": "'; SELECT pg_sleep(5); --",
    "sql-wildcards": "%_%\\",
    "right-to-left": "\u202egnp.exe",
    "zero-width": "ad\u200bmin\u200d\ufeff",
    "look-alike": "аdmin@exаmple.com",  # Cyrillic "а"s
    "fullwidth": "ＡＤＭＩＮ",
    "emoji": "😀 \U0001f9d1\u200d\U0001f4bb",
    "nul": "abc\x00def",
    "huge": "x" * 10_000,
}
# No field anywhere may hold these: a form given them must change nothing.
NEVER_VALID = {"nul", "huge"}
ROUTES = routes()


def assert_escaped(content: str, payload: str) -> None:
    if any(char in payload for char in "<>\"'"):
        assert payload not in content


def pages(client) -> dict[str, str]:
    """Every admin page that opens with a GET, by URL: where the forms are."""
    found = {}
    for route in admin_routes():
        response = client.get(route.url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            found[route.url] = response.content.decode()
    return found


def all_forms(client, method: str):
    """The forms of every page that submit with `method`, each kind once (the same form on
    several pages is one form), apart from logging out."""
    forms = {}
    for url, html in pages(client).items():
        for form in forms_on(url, html):
            key = (form.target, tuple(sorted({name for name, _kind, _value in form.fields})))
            if form.method == method and form.target != "/logout/":
                forms.setdefault(key, form)
    return list(forms.values())


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("route", [route for route in ROUTES if route.has_ids], ids=str)
def test_a_malformed_id_in_any_url_is_not_found(admin_client, route, bad):
    url = route.url.replace(str(ID), bad)
    before = snapshot()
    response = admin_client.get(url)
    if response.status_code == 405:
        response = admin_client.post(url)
    assert response.status_code == 404
    assert snapshot() == before


def test_search_boxes_and_list_filters_take_anything(admin_client):
    forms = all_forms(admin_client, "GET")
    assert len(forms) >= 5
    for form in forms:
        for name, payload in PAYLOADS.items():
            for everywhere in (False, True):
                data = form.data(filled_with=payload, everywhere=everywhere)
                response = admin_client.get(form.target, data)
                # 404: a filter naming a customer that doesn't exist.
                assert response.status_code in (200, 404), (form, name)
                assert_escaped(response.content.decode(), payload)


@pytest.mark.parametrize("param", ["after", "before", "page", "per_page", "sort", "tab", "view"])
def test_list_paging_takes_anything(admin_client, param):
    lists = ["/customers/", "/memberships/", "/memberships/products/", "/payments/", "/sites/"]
    for url in [*lists, "/events/"]:
        for name, payload in PAYLOADS.items():
            response = admin_client.get(url, {param: payload})
            assert response.status_code == 200, (url, name)
            assert_escaped(response.content.decode(), payload)


def test_every_form_takes_anything_in_its_text_boxes(signed_in):
    """Each form of each page, its text boxes all filled with the payload, the rest as the page
    filled it in. Each post from a fresh session: a form may switch to a customer or log out."""
    browser = signed_in()
    forms = [form for form in all_forms(browser, "POST") if form.text_fields]
    assert len(forms) >= 12
    for form in forms:
        for name, payload in PAYLOADS.items():
            client = signed_in()
            before = snapshot() if name in NEVER_VALID else None
            data = form.data(filled_with=payload)
            response = client.post(form.target, data)
            assert response.status_code in (200, 302), (form, name)
            if before is not None:
                assert snapshot() == before, (form, name)
            if response.status_code == 302:
                response = client.get(response["Location"])
            assert_escaped(response.content.decode(), payload)


def test_every_form_takes_anything_in_every_field(signed_in):
    """Hidden fields, choices and checkboxes too: a forged post is refused or saved, never a 500."""
    browser = signed_in()
    for form in all_forms(browser, "POST"):
        for payload in [*MARKUP, PAYLOADS["nul"], PAYLOADS["huge"]]:
            client = signed_in()
            data = form.data(filled_with=payload, everywhere=True)
            response = client.post(form.target, data)
            # 404: an id field naming nothing.
            assert response.status_code in (200, 302, 404), (form, payload[:20])
            assert_escaped(response.content.decode(), payload)


def test_markup_saved_anywhere_is_shown_escaped_on_every_page(signed_in):
    browser = signed_in()
    for form in all_forms(browser, "POST"):
        if form.text_fields:
            for payload in MARKUP:
                browser.post(form.target, form.data(filled_with=payload))
                browser = signed_in()
    for url, html in pages(browser).items():
        for payload in MARKUP:
            assert payload not in html, url


@pytest.mark.parametrize("token", ["", "x" * 10_000, "abc\x00", "../../etc/passwd", *MARKUP])
def test_the_verification_link_takes_any_token(customer_client, token):
    response = customer_client.get(f"/account/verify/{token}/")
    assert response.status_code in (400, 404)
    assert_escaped(response.content.decode(), token)


def test_a_look_alike_of_the_email_does_not_confirm_a_delete(admin_client, world):
    look_alike = world.customer.email.replace("a", "а")  # Cyrillic
    for typed in [look_alike, world.customer.email.upper(), f" {world.customer.email}"]:
        response = admin_client.post(
            f"/customers/{ID}/delete/", {"related": "delete", "confirmation": typed}
        )
        assert response.status_code == 200
        assert "doesn't match" in unescape(response.content.decode())
    assert Customer.objects.filter(pk=ID).exists()


EVIL_NEXT = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    "/\t/evil.example",
    " //evil.example",
]


def assert_stays_here(response, expected: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == expected


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_login_ignores_a_next_that_leaves_the_site(client, network_admin, evil):
    response = client.post(
        f"/login/?next={evil}",
        {"username": network_admin.username, "password": "correct horse battery staple"}
        | {"next": evil},
    )
    assert_stays_here(response, "/")


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_switching_ignores_a_next_that_leaves_the_site(admin_client, world, evil):
    url = f"/customers/{ID}/switch-to/?next={evil}"
    assert_stays_here(admin_client.post(url, {"next": evil}), "/account/")
    back = admin_client.post(f"/switch-back/?next={evil}", {"next": evil})
    assert_stays_here(back, f"/customers/{ID}/")


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_list_actions_ignore_a_next_that_leaves_the_site(admin_client, world, evil):
    bulk = admin_client.post(
        "/customers/bulk/", {"action": "mark_vip", "customers": [ID], "next": evil}
    )
    assert_stays_here(bulk, "/customers/")
    for url, back in [("/customers/view/", "/customers/"), ("/sites/view/", "/sites/")]:
        assert_stays_here(admin_client.post(url, {"view": "list", "next": evil}), back)


@pytest.mark.parametrize("not_a_path", ["home", "customers:list", MARKUP[1]])
def test_list_actions_ignore_a_next_that_is_not_a_path(admin_client, world, not_a_path):
    # Found by this battery: redirect() took such a `next` for a URL name, and failed with a 500.
    bulk = admin_client.post(
        "/customers/bulk/", {"action": "mark_vip", "customers": [ID], "next": not_a_path}
    )
    assert_stays_here(bulk, "/customers/")


def test_an_oversized_request_is_refused_before_anything_runs(admin_client):
    before = snapshot()
    response = admin_client.post(f"/customers/{ID}/notes/", {"text": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 400
    assert snapshot() == before
    assert "This request can't be handled" in response.content.decode()
    assert_security_headers(response)


def test_a_request_with_too_many_fields_is_refused(admin_client):
    before = snapshot()
    fields = {f"f{i}": "x" for i in range(1001)}
    response = admin_client.post(f"/customers/{ID}/notes/", {"text": "hello", **fields})
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("host", ["evil.example", "testserver.evil.example", "bad host"])
def test_a_wrong_host_is_refused_and_not_echoed(admin_client, host):
    for response in [
        admin_client.get("/customers/", headers={"host": host}),
        Client().get("/login/", headers={"host": host}),
    ]:
        assert response.status_code == 400
        content = response.content.decode()
        assert host not in content and "DisallowedHost" not in content
        assert_security_headers(response)

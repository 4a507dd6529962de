"""What the security tests share: every route of the project (read from the URL resolver, so a
new view is covered the day it is added), a small world of objects to aim the routes at, a
snapshot of the database to prove nothing changed, and a reader of the forms a page offers."""

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin

from django.apps import apps
from django.contrib.sessions.base_session import AbstractBaseSession
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from memberships.models import Product
from tests.factories import (
    CustomerFactory,
    EventFactory,
    LineItemFactory,
    MembershipFactory,
    NoteFactory,
    PaymentFactory,
    ProductFactory,
    SiteFactory,
)

# Every object of the world has this primary key, so any <int:…> in a route names one that exists.
ID = 4242

# Routes anyone may open (each view is marked `login_not_required`); a test keeps this list and
# the views in step, so a route can't turn public unnoticed.
PUBLIC = {
    "login",
    "set_language",  # the login page has the language switch too
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",
}
# Routes a customer's own login may use: their account, their verification link, the way back
# from a switch, logging out, and the start page (which sends them to their account).
CUSTOMER_FACING = {
    "home",
    "account:index",
    "account:verify_email",
    "customer_switch_back",
    "logout",
}


@dataclass(frozen=True)
class Route:
    name: str
    url: str
    view: object = field(compare=False)

    def __str__(self):
        return self.name

    @property
    def permissions(self) -> tuple[str, ...]:
        """The permissions `staff_permission_required` checks (none if it doesn't guard it)."""
        return getattr(self.view, "required_permissions", ())

    @property
    def is_public(self) -> bool:
        return not getattr(self.view, "login_required", True)

    @property
    def has_ids(self) -> bool:
        return str(ID) in self.url


def _walk(patterns, namespace: str = "", converters=None):
    for entry in patterns:
        found = {**(converters or {}), **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry.url_patterns, inner, found)
        else:
            assert entry.name, f"unnamed route {entry.pattern}: name it so it can be tested"
            yield ":".join(part for part in (namespace, entry.name) if part), entry, found


def routes() -> list[Route]:
    """Every route of the project, with the world's ids (and "token" for any other argument)."""
    found = []
    for name, entry, converters in _walk(get_resolver().url_patterns):
        kwargs = {
            key: ID if isinstance(converter, IntConverter) else "token"
            for key, converter in converters.items()
        }
        found.append(Route(name, reverse(name, kwargs=kwargs), entry.callback))
    return found


def admin_routes() -> list[Route]:
    return [r for r in routes() if r.name not in PUBLIC | CUSTOMER_FACING]


def make_world() -> SimpleNamespace:
    """One of everything, each with the primary key ID: Ada Lovelace, her membership on the
    Gold plan, a completed payment with a line item, a site, a note and an event."""
    customer = CustomerFactory(
        pk=ID, user__first_name="Ada", user__last_name="Lovelace", user__email="ada@example.com"
    )
    plan = ProductFactory(pk=ID, name="Gold", slug="gold", type=Product.Type.PLAN)
    membership = MembershipFactory(pk=ID, customer=customer, plan=plan)
    payment = PaymentFactory(pk=ID, customer=customer, membership=membership)
    LineItemFactory(pk=ID, payment=payment)
    payment.refresh_totals()
    return SimpleNamespace(
        customer=customer,
        plan=plan,
        membership=membership,
        payment=payment,
        site=SiteFactory(pk=ID, customer=customer, membership=membership),
        note=NoteFactory(pk=ID, customer=customer),
        event=EventFactory(pk=ID, customer=customer, object_id=ID, object_repr="Ada Lovelace"),
    )


def fresh_environment(**variables: str) -> dict[str, str]:
    """The environment of a fresh process that sees only `variables` of ours: nothing a test or
    a developer's shell or .env file set can make it pass or fail."""
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "TMPDIR") if name in os.environ}
    no_env_file = str(Path(__file__).resolve().parent / "no-such.env")
    return kept | {"ENV_FILE": no_env_file, "PYTHONDONTWRITEBYTECODE": "1", **variables}


# Rows that change without anyone changing data: sessions, django-axes' login bookkeeping, and
# when someone was last seen or logged in.
UNTRACKED_APPS = {"axes"}
UNTRACKED_FIELDS = {"last_login", "last_seen"}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table the product keeps, apart from the security trail itself
    (events about refused pages and failed logins are what a hostile request *should* leave)."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in UNTRACKED_APPS or issubclass(model, AbstractBaseSession):
            continue
        rows = model._base_manager.order_by("pk")
        if model._meta.label == "events.Event":
            rows = rows.exclude(action__startswith="auth.")
        names = [f.attname for f in model._meta.concrete_fields if f.name not in UNTRACKED_FIELDS]
        state[model._meta.label] = list(rows.values(*names))
    return state


# Controls a person types into (input types, and textarea).
TEXT_BOXES = {"text", "email", "search", "url", "password", "number", "tel", "date", "textarea"}
TEXT_BOXES |= {"datetime-local"}


@dataclass
class Form:
    """A <form> of a page: where it goes, and its controls as the page fills them in."""

    page: str
    action: str
    method: str
    form_id: str = ""
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, value)

    def __str__(self):
        names = ",".join(sorted({name for name, _kind, _value in self.fields}))
        return f"{self.method} {self.action} [{names}] (on {self.page})"

    @property
    def target(self) -> str:
        return urljoin(self.page, self.action)

    @property
    def text_fields(self) -> list[str]:
        return [name for name, kind, _value in self.fields if kind in TEXT_BOXES]

    def data(self, *, filled_with: str | None = None, everywhere: bool = False) -> dict:
        """The form as submitted, with `filled_with` typed into every text box (or, with
        `everywhere`, put in every field but the CSRF token)."""
        data: dict[str, list[str]] = {}
        for name, kind, value in self.fields:
            fuzzed = kind in TEXT_BOXES or (everywhere and name != "csrfmiddlewaretoken")
            data.setdefault(name, []).append(
                filled_with if filled_with is not None and fuzzed else value
            )
        return data


class _FormReader(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.open: Form | None = None
        self.strays: list[tuple[str, tuple[str, str, str]]] = []  # controls with form="id"
        self.select: tuple | None = None  # (name, chosen value, first value, form id)
        self.textarea: list | None = None

    def _add(self, owner: str | None, control: tuple[str, str, str]) -> None:
        if owner:
            self.strays.append((owner, control))
        elif self.open is not None:
            self.open.fields.append(control)

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.open = Form(
                page=self.page,
                action=a.get("action") or self.page,
                method=(a.get("method") or "get").upper(),
                form_id=a.get("id", ""),
            )
            self.forms.append(self.open)
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self._add(a.get("form"), (a["name"], kind, a.get("value", "")))
        elif tag == "select" and a.get("name") and "disabled" not in a:
            self.select = (a["name"], None, None, a.get("form"))
        elif tag == "option" and self.select is not None:
            name, chosen, first, owner = self.select
            value = a.get("value", "")
            first = value if first is None else first
            self.select = (name, value if "selected" in a else chosen, first, owner)
        elif tag == "textarea" and a.get("name") and "disabled" not in a:
            self.textarea = [a["name"], a.get("form"), ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None
        elif tag == "select" and self.select is not None:
            name, chosen, first, owner = self.select
            value = chosen if chosen is not None else first
            self._add(owner, (name, "select", value or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, owner, text = self.textarea
            self._add(owner, (name, "textarea", text.removeprefix("\n")))
            self.textarea = None

    def result(self) -> list[Form]:
        by_id = {form.form_id: form for form in self.forms if form.form_id}
        for owner, control in self.strays:
            by_id[owner].fields.append(control)
        return self.forms


def forms_on(page_url: str, html: str) -> list[Form]:
    reader = _FormReader(page_url)
    reader.feed(html)
    return reader.result()


class _TagReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {key: value or "" for key, value in attrs}))


def assert_security_headers(response) -> None:
    """The headers every answer carries, pages and refusals alike."""
    policy = response["Content-Security-Policy"]
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]:
        assert directive in policy, (directive, policy)
    assert "unsafe-" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def assert_runs_no_inline_code(response) -> None:
    """The page runs only our own script files, each with this response's nonce: no inline
    <script>, no on…= handler, no inline style, no javascript: link."""
    assert response["Content-Type"].startswith("text/html")
    # The nonce is in the policy only when the page used it.
    nonce = re.search(r"'nonce-([^']+)'|$", response["Content-Security-Policy"])[1]
    reader = _TagReader()
    reader.feed(response.content.decode())
    for tag, attrs in reader.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert "style" not in attrs and tag != "style", (tag, attrs)
        if tag == "script":
            assert nonce and attrs.get("src") and attrs.get("nonce") == nonce, attrs
        for name in ("href", "action", "formaction", "src"):
            assert not attrs.get(name, "").strip().lower().startswith("javascript:"), attrs

"""Property-based tests (hypothesis) of the forms that change money and customers' data: whatever
is posted, the answer is a saved, valid object or the form again with nothing changed. Never an
exception: the test client re-raises any, and hypothesis shrinks the input that caused it.

`hypothesis.extra.django.TestCase` runs each example in its own transaction, so one example's
saved changes don't leak into the next.
"""

import string
from decimal import Decimal

from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from customers.models import Customer
from memberships.models import DurationUnit, Membership
from payments.models import Payment, Refund
from sites.models import Site
from tests.factories import UserFactory
from tests.security.helpers import ID, forms_on, make_world, snapshot

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written to .hypothesis/
    derandomize=True,  # the same examples on every run: CI can't be flaky
    suppress_health_check=[HealthCheck.too_slow],
)

HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "abc\x00def",
        "x" * 10_000,
        "\u202egnp.exe",
        "ad\u200bmin",
        "аdmin@exаmple.com",
        "' OR '1'='1",
        "NaN",
        "-Infinity",
        "1e999",
        "-0",
        "0.001",
        "9" * 40,
        "2026-02-30T25:61:00",
        " ",
    ]
)
ANYTHING = st.one_of(
    st.text(max_size=120),
    HOSTILE,
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.just(""),
)
MONEY = st.decimals(min_value=-10, max_value=10**9, places=2).map(str)
WHEN = st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S"))
NAME = st.text(alphabet=string.ascii_letters + " .-'", min_size=1, max_size=60)
SLUG = st.text(alphabet=string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=20)


def either(*strategies):
    """A plausible value most of the time (three times in four), anything at all otherwise."""
    return st.one_of(*strategies * 3, ANYTHING)


def choice(*values):
    return either(st.sampled_from(values))


def posted(fields: dict, *, always=()) -> st.SearchStrategy:
    """Form data with any of `fields` present or missing (those named in `always` present),
    each drawn from its strategy."""
    return st.fixed_dictionaries(
        {name: fields[name] for name in always},
        optional={name: value for name, value in fields.items() if name not in always},
    )


class FormProperties(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = UserFactory(is_staff=True, role="Network admin")
        cls.world = make_world()
        # Each page as it first rendered: every example starts from the same data.
        cls.pages = {}

    def browser(self) -> Client:
        client = Client()
        client.force_login(self.admin)
        return client

    def submit(self, url: str, fuzzed: dict, *, target: str | None = None):
        """Post the form of the page at `url` (to `target`, else the page) as the page fills it
        in, with `fuzzed` typed over it; return the response, whether it saved, and the client."""
        client = self.browser()
        if url not in self.pages:
            self.pages[url] = client.get(url).content.decode()
        (form,) = [f for f in forms_on(url, self.pages[url]) if f.target == (target or url)]
        before = snapshot()
        response = client.post(form.target, form.data() | fuzzed)
        assert response.status_code in (200, 302), response.status_code
        event(f"answered {response.status_code}")
        if response.status_code == 200:
            assert snapshot() == before, "the form came back but something was saved"
        return response

    @PROPERTY
    @given(
        posted(
            {
                "customer-vip": choice("on"),
                "customer-email_verification": choice("none", "pending", "verified"),
                "customer-company_name": either(NAME),
                "customer-country": choice("", "US", "ID", "GB", "XK"),
                "account-username": either(SLUG),
                "account-first_name": either(NAME),
                "account-last_name": either(NAME),
                "account-email": either(st.emails()),
                "fields-TOTAL_FORMS": choice("0", "1", "2", "1001"),
                "fields-INITIAL_FORMS": choice("0", "1"),
                "fields-0-key": either(SLUG),
                "fields-0-value": ANYTHING,
                "fields-0-DELETE": choice("on"),
            }
        )
    )
    def test_the_customer_form_saves_a_valid_customer_or_shows_errors(self, fuzzed):
        response = self.submit(f"/customers/{ID}/", fuzzed)
        if response.status_code == 302:
            customer = Customer.objects.select_related("user").get(pk=ID)
            customer.full_clean()
            customer.user.full_clean()
            for field in customer.custom_fields.all():
                field.full_clean()

    @PROPERTY
    @given(
        posted(
            {
                "customer-billing_email": either(st.emails()),
                "customer-address_line_1": either(NAME),
                "customer-address_line_2": ANYTHING,
                "customer-city": either(NAME),
                "customer-state": either(NAME),
                "customer-postal_code": either(st.from_regex(r"[0-9A-Z -]{3,10}", fullmatch=True)),
                "customer-country": choice("", "US", "ID", "DE", "ZZ", "us"),
            }
        )
    )
    def test_the_billing_details_save_valid_or_show_errors(self, fuzzed):
        response = self.submit(f"/customers/{ID}/", fuzzed)
        if response.status_code == 302:
            Customer.objects.get(pk=ID).full_clean()

    @PROPERTY
    @given(
        posted(
            {
                "status": choice(*Membership.Status.values),
                "cancellation_reason": ANYTHING,
                "initial_amount": either(MONEY),
                "amount": either(MONEY),
                "recurring": choice("on"),
                "duration": either(st.integers(-5, 400).map(str)),
                "duration_unit": choice(*DurationUnit.values),
                "billing_cycles": either(st.integers(-5, 100).map(str)),
                "auto_renew": choice("on"),
                "gateway": choice(*Membership.Gateway.values),
                "gateway_customer_id": ANYTHING,
                "expires_at": either(WHEN),
                "trial_ends_at": either(WHEN),
                "cancelled_at": either(WHEN),
            }
        )
    )
    def test_the_membership_form_saves_a_valid_membership_or_shows_errors(self, fuzzed):
        response = self.submit(f"/memberships/{ID}/", fuzzed)
        if response.status_code == 302:
            membership = Membership.objects.get(pk=ID)
            membership.full_clean()
            if membership.status == Membership.Status.CANCELLED:
                assert membership.cancelled_at is not None and not membership.auto_renew

    @PROPERTY
    @given(
        posted(
            {
                "amount": either(MONEY, st.decimals(0, 60, places=3).map(str)),
                "reason": ANYTHING,
                "cancel_membership": choice("on"),
                "idempotency_key": either(st.uuids().map(str)),
            }
        )
    )
    def test_the_refund_form_refunds_within_the_payment_or_shows_errors(self, fuzzed):
        self.submit(f"/payments/{ID}/refund/", fuzzed)
        payment = Payment.objects.get(pk=ID)
        for refund in payment.refunds.all():
            refund.full_clean()
            assert refund.amount > 0
        refunded = payment.refunded_total()
        assert Decimal("0") <= refunded <= payment.total
        assert payment.refundable() == payment.total - refunded
        if refunded == payment.total:
            assert payment.status == Payment.Status.REFUNDED
        elif refunded:
            assert payment.status == Payment.Status.PARTIALLY_REFUNDED
        assert Refund.objects.count() <= 1

    SITE_FIELDS = {
        "title": either(NAME),
        "description": either(NAME),
        "domain": either(st.from_regex(r"[a-z0-9]{1,20}\.example\.(net|com)", fullmatch=True)),
        "path": choice("/", "/shop/", "shop", "/a/b/", "//", "/../"),
        "type": choice(*Site.Type.values),
        "customer": choice("ada@example.com", "ADA@EXAMPLE.COM", "", "nobody@example.com"),
        "membership": choice(""),
        "active": choice("on"),
    }

    @PROPERTY
    @given(posted(SITE_FIELDS, always=("title", "domain", "type", "customer")))
    def test_the_new_site_form_creates_a_valid_site_or_shows_errors(self, fuzzed):
        response = self.submit("/sites/add/", fuzzed)
        if response.status_code == 302:
            for site in Site.objects.all():
                site.full_clean()
            assert Site.objects.filter(type=Site.Type.MAIN).count() <= 1

    @PROPERTY
    @given(posted(SITE_FIELDS))
    def test_the_site_form_saves_a_valid_site_or_shows_errors(self, fuzzed):
        response = self.submit(f"/sites/{ID}/", fuzzed)
        if response.status_code == 302:
            site = Site.objects.get(pk=ID)
            site.full_clean()
            if site.membership_id:
                assert site.customer_id == site.membership.customer_id

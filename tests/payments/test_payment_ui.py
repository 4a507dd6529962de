"""The payment list's rows, and a payment's row on other pages, as a user reads them."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from payments.models import Payment
from tests.factories import CustomerFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load payment_ui %}" + source).render(Context(context))


@pytest.fixture
def odd_payment():
    """A payment whose customer would break the page if their name were not escaped."""
    customer = CustomerFactory(
        user__first_name="Tom & <b>Jerry</b>", user__last_name="", user__email="t&j@example.com"
    )
    payment = PaymentFactory(
        customer=customer,
        status=Payment.Status.REFUNDED,
        lines=[Decimal("1234.50")],
        created_at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
    )
    Payment.objects.filter(pk=payment.pk).update(invoice_number=1042)
    return payment


def listed(payment) -> Payment:
    return Payment.objects.with_customer().get(pk=payment.pk)


def test_a_listed_payment_links_itself_and_its_customer_with_everything_escaped(odd_payment):
    html = render("{% payment_rows p %}", p=[listed(odd_payment)])

    detail = reverse("payments:detail", args=[odd_payment.pk])
    assert f'<a class="ref" href="{detail}">{odd_payment.reference}</a>' in html
    assert '<span class="cell-sub">Invoice #1042</span>' in html
    assert '<span class="badge badge-refunded">Refunded</span>' in html
    customer_page = reverse("customers:detail", args=[odd_payment.customer_id])
    assert (
        f'<a class="cell-title" href="{customer_page}">Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;</a>'
    ) in html
    assert '<span class="cell-sub">t&amp;j@example.com</span>' in html
    assert '<span class="money">1,234.50 <span class="currency">USD</span></span>' in html
    assert '<span class="cell-sub">Manual</span>' in html
    assert ">March 4, 2026</time>" in html
    assert "<b>" not in html


def test_a_payment_of_a_deleted_customer_shows_the_billing_name_in_indonesian(odd_payment):
    Payment.objects.filter(pk=odd_payment.pk).update(
        customer=None, billing_name="<Old> name", invoice_number=None
    )
    with translation.override("id"):
        html = render("{% payment_rows p %}", p=[listed(odd_payment)])
    assert '<span class="cell-title">&lt;Old&gt; name</span>' in html
    assert ">Pelanggan terhapus</span>" in html
    assert 'title="Pelanggannya sudah tidak ada;' in html
    assert "Faktur" not in html and "customers/" not in html


def test_a_payment_without_customer_or_billing_name_is_unknown(odd_payment):
    Payment.objects.filter(pk=odd_payment.pk).update(customer=None, billing_name="")
    html = render("{% payment_customer p %}", p=listed(odd_payment))
    assert html.startswith('<span class="cell-title">Unknown</span>')
    assert ">Deleted customer</span>" in html


def test_a_related_payment_row_shows_total_gateway_date_and_opens_the_payment(odd_payment):
    html = render("{% payment_related_row p %}", p=odd_payment)

    assert f'<code class="ref">{odd_payment.reference}</code>' in html
    assert '<span class="badge badge-refunded">Refunded</span>' in html
    assert (
        '<span class="row-main"><span class="money">1,234.50 <span class="currency">USD</span>'
        '</span> <span class="muted small">Manual</span></span>'
    ) in html
    assert '<time datetime="2026-03-04T12:00:00+00:00">March 4, 2026</time>' in html
    detail = reverse("payments:detail", args=[odd_payment.pk])
    assert f'href="{detail}" aria-label="Open payment {odd_payment.reference}">→</a>' in html


def test_a_related_payment_row_reads_in_indonesian(odd_payment):
    with translation.override("id"):
        html = render("{% payment_related_row p %}", p=odd_payment)
    assert f'aria-label="Buka pembayaran {odd_payment.reference}"' in html
    assert "1.234,50" in html

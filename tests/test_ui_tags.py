"""The markup tags list rows use instead of includes: same output a user relies on, escaped."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from django_countries.fields import Country

from customers.charts import _chart
from customers.models import LoginRecord
from network_admin.templatetags.ui import choice_label, each, markup, prefilled
from payments.models import Payment
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load ui customer_ui %}" + source).render(Context(context))


def test_a_badge_always_carries_its_text_and_escapes_it():
    assert render("{% badge 'vip' label %}", label="<b>VIP</b>") == (
        '<span class="badge badge-vip">&lt;b&gt;VIP&lt;/b&gt;</span>'
    )
    assert render("{% badge status %}", status="failed") == (
        '<span class="badge badge-failed">failed</span>'
    )


def test_money_has_two_decimals_grouped_and_its_currency():
    html = render("{% money amount 'USD' %}", amount=Decimal("1234.5"))
    assert html == '<span class="money">1,234.50 <span class="currency">USD</span></span>'


def test_money_is_grouped_as_the_language_does():
    with translation.override("id"):
        assert "1.234,50" in render("{% money amount 'IDR' %}", amount=Decimal("1234.5"))


def test_a_count_is_grouped_and_an_estimate_says_so():
    assert render("{{ count|count_or_estimate }}", count=(1234, False)) == "1,234"
    assert render("{{ count|count_or_estimate }}", count=(1000003, True)) == "≈1,000,003"
    with translation.override("id"):
        assert render("{{ count|count_or_estimate }}", count=(1234, True)) == "≈1.234"


def test_time_ago_is_relative_with_the_exact_time_on_hover():
    when = timezone.now() - timedelta(minutes=3)
    html = render("{% time_ago when %}", when=when)
    assert "3\xa0minutes ago" in html
    assert f'datetime="{timezone.localtime(when).isoformat()}"' in html
    assert 'title="' in html


def test_calendar_date_shows_the_day_and_the_exact_time_on_hover():
    html = render("{% calendar_date when %}", when=datetime(2026, 3, 4, 15, 30, tzinfo=UTC))
    assert ">March 4, 2026</time>" in html
    assert 'title="March 4, 2026, 3:30 p.m."' in html


def test_a_reference_is_selectable_with_a_copy_button():
    html = render("{% reference code %}", code="ABCD234567")
    assert '<code class="ref">ABCD234567</code>' in html and 'data-copy="ABCD234567"' in html


def test_last_login_says_online_else_when_else_never():
    online = CustomerFactory(last_seen=timezone.now())
    assert "Online" in render("{% last_login c %}", c=online)
    seen_before = CustomerFactory(last_seen=None, last_login=timezone.now() - timedelta(days=2))
    assert "2\xa0days ago" in render("{% last_login c %}", c=seen_before)
    assert (
        render("{% last_login c %}", c=CustomerFactory(last_seen=None, last_login=None)) == "Never"
    )


@pytest.mark.parametrize("role, shown", [("network_admin", True), ("support_agent", False)])
def test_the_switch_to_button_shows_only_for_admins_who_may_switch(request, role, shown):
    web_request = RequestFactory().get("/customers/")
    web_request.user = request.getfixturevalue(role)
    customer = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    html = render(
        "{% switch_to_button c %}", c=customer, request=web_request, csrf_token="token-123"
    )
    assert ("Switch to" in html) is shown
    if shown:
        assert f'action="/customers/{customer.pk}/switch-to/"' in html
        assert 'name="csrfmiddlewaretoken" value="token-123"' in html
        assert "Ada Lovelace" in html


@pytest.mark.parametrize(
    "amount, recurring, duration, unit, text",
    [
        (
            Decimal("29"),
            True,
            1,
            "month",
            'USD</span></span> <span class="muted">every month</span>',
        ),
        (Decimal("29"), True, 3, "month", "every 3 months"),
        (Decimal("29"), True, 1, "day", "every day"),
        (Decimal("29"), True, 2, "week", "every 2 weeks"),
        (Decimal("29"), True, 1, "year", "every year"),
        (Decimal("5"), False, 1, "month", "one time"),
        (Decimal("0"), True, 1, "year", "Free"),
    ],
)
def test_a_price_says_how_often_it_is_paid(amount, recurring, duration, unit, text):
    product = ProductFactory.build(
        amount=amount, currency="USD", recurring=recurring, duration=duration, duration_unit=unit
    )
    assert text in render("{% price product %}", product=product)


def test_a_price_is_translated():
    product = ProductFactory.build(
        amount=Decimal("9"), recurring=True, duration=2, duration_unit="week"
    )
    with translation.override("id"):
        assert "setiap 2 minggu" in render("{% price product %}", product=product)


def test_a_login_country_shows_its_flag_and_name_or_unknown():
    html = render("{% country c %}", c=Country("ID"))
    assert html == '<span class="country"><span aria-hidden="true">🇮🇩</span> Indonesia</span>'
    assert render("{% country c %}", c=Country("")) == "Unknown"


def test_the_spending_chart_titles_each_month_and_flattens_empty_ones():
    months = [datetime(2026, month, 1).date() for month in (1, 2)]
    chart = _chart(months, {"USD": {months[1]: Decimal("1234.5")}})
    html = render("{% spending_bars chart %}", chart=chart)
    assert html == (
        '<rect class="bar bar-empty" x="0" y="47" width="14" height="1">'
        "<title>January 2026: 0.00 USD</title></rect>"
        '<rect class="bar" x="18" y="0" width="14" height="48">'
        "<title>February 2026: 1,234.50 USD</title></rect>"
    )
    with translation.override("id"):
        assert "Februari 2026: 1.234,50 USD" in render("{% spending_bars chart %}", chart=chart)


def test_the_login_history_shows_when_where_from_and_unknown_ips():
    when = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    logins = [
        LoginRecord(created_at=when, ip_address="8.8.8.8", country="US"),
        LoginRecord(created_at=when, ip_address=None, country=""),
    ]
    html = render("{% login_history logins %}", logins=logins)
    assert html.count("<li>") == 2
    assert '<time datetime="2026-03-04T05:06:00+00:00">March 4, 2026, 5:06 a.m.</time>' in html
    assert "<code>8.8.8.8</code> · " in html and "United States of America" in html
    assert "<code>—</code> · Unknown</li>" in html


def test_a_timestamp_is_the_exact_time_then_how_long_ago_or_never():
    when = timezone.now() - timedelta(minutes=3)
    local = timezone.localtime(when)
    html = render("{% timestamp when %}", when=when)
    assert html.startswith(f'<time datetime="{local.isoformat()}">')
    assert html.endswith('</time> <span class="muted small">3\xa0minutes ago</span>')
    assert render("{% timestamp when %}", when=None) == "Never"
    with translation.override("id"):
        assert "3\xa0menit yang lalu" in render("{% timestamp when %}", when=when)


def test_a_choice_label_says_what_django_says_in_each_language():
    payment = Payment(status=Payment.Status.PARTIALLY_REFUNDED, gateway="")
    labels = {}
    for language in ("en", "id"):
        with translation.override(language):
            labels[language] = choice_label(payment, "status")
            assert labels[language] == payment.get_status_display()
            assert choice_label(payment, "gateway") == payment.get_gateway_display()
    assert labels["en"] == "Partially Refunded" and labels["id"] != labels["en"]
    assert choice_label(Payment(status="made-up"), "status") == "made-up"


def test_markup_escapes_exactly_as_format_html_does():
    values = [
        "<script>alert('x') & \"y\"</script>",
        mark_safe("<b>kept</b>"),
        gettext_lazy("Customers"),
        mark_safe(gettext_lazy("Customers")),  # noqa: S308 (a fixed test string)
        42,
        Decimal("1.50"),
        None,
        "",
    ]
    for value in values:
        assert markup("<p>{}</p>", value) == format_html("<p>{}</p>", value)
        assert markup("<p>{v}</p>", v=value) == format_html("<p>{v}</p>", v=value)
    assert isinstance(markup("<p>{}</p>", "x"), SafeString)
    assert markup("{}", "<i>") == "&lt;i&gt;"


def test_a_prefilled_template_gives_what_markup_gives_in_one_go():
    template = '<a href="{url}" title="{label}">{name} {label}</a>'
    shared = {"label": "Say {hi} & <b>", "url": "/customers/?a=1&b=2"}
    row = {"name": "<i>Ada</i> {label}"}
    assert markup(prefilled(template, **shared), **row) == format_html(template, **shared, **row)


def test_a_row_tag_writes_each_item_in_order_as_markup_a_template_keeps_unescaped():
    def row(name):
        return markup("<li>{}</li>", name)

    rows = each(row)
    template = Template("{% load ui %}<ul>{{ rows }}</ul>")

    assert rows(["Ada", "<b>Grace</b>"]) == "<li>Ada</li><li>&lt;b&gt;Grace&lt;/b&gt;</li>"
    assert template.render(Context({"rows": rows(["Ada"])})) == "<ul><li>Ada</li></ul>"
    assert rows([]) == ""

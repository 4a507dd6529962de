"""The membership list's rows, and a membership's row on other pages, as a user reads them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from memberships.models import Membership
from tests.factories import CustomerFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load membership_ui %}" + source).render(Context(context))


@pytest.fixture
def odd_membership():
    """A membership whose plan and customer would break the page if they were not escaped."""
    return MembershipFactory(
        customer=CustomerFactory(
            user__first_name="Tom & <b>Jerry</b>", user__last_name="", user__email="t&j@example.com"
        ),
        plan=ProductFactory(name='Gold <i>"plus"</i>'),
        status=Membership.Status.ON_HOLD,
        created_at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
        expires_at=timezone.now() + timedelta(days=3, hours=1),
    )


ESCAPED_PLAN = "Gold &lt;i&gt;&quot;plus&quot;&lt;/i&gt;"


def listed(membership) -> Membership:
    return Membership.objects.select_related("customer__user", "plan").get(pk=membership.pk)


def test_a_listed_membership_links_itself_and_its_customer_with_everything_escaped(
    odd_membership,
):
    html = render("{% membership_rows m %}", m=[listed(odd_membership)])

    detail = reverse("memberships:detail", args=[odd_membership.pk])
    assert f'<a class="ref" href="{detail}">{odd_membership.reference}</a>' in html
    assert '<span class="badge badge-on-hold">On Hold</span>' in html
    customer_page = reverse("customers:detail", args=[odd_membership.customer_id])
    assert (
        f'<a class="cell-title" href="{customer_page}">Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;</a>'
    ) in html
    assert '<span class="cell-sub">t&amp;j@example.com</span>' in html
    assert f"<td>{ESCAPED_PLAN}</td>" in html
    assert '29.00 <span class="currency">USD</span></span> <span class="muted">every month' in html
    assert '<span class="cell-sub">3\xa0days from now</span>' in html
    assert ">March 4, 2026</time>" in html
    assert "<b>" not in html and "<i>" not in html


def test_a_lifetime_membership_reads_lifetime_in_indonesian(odd_membership):
    Membership.objects.filter(pk=odd_membership.pk).update(
        expires_at=None, status=Membership.Status.ACTIVE
    )
    with translation.override("id"):
        html = render("{% membership_rows m %}", m=[listed(odd_membership)])
    assert '<td class="nowrap">Seumur hidup</td>' in html
    assert '<span class="badge badge-active">Aktif</span>' in html
    assert "setiap 1 bulan" in html


def test_a_related_membership_row_shows_plan_price_expiry_and_opens_the_membership(
    odd_membership,
):
    Membership.objects.filter(pk=odd_membership.pk).update(
        expires_at=datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    )
    membership = Membership.objects.select_related("plan").get(pk=odd_membership.pk)

    html = render("{% membership_related_row m %}", m=membership)

    assert f'<code class="ref">{membership.reference}</code>' in html
    assert '<span class="badge badge-on-hold">On Hold</span>' in html
    assert f'<span class="row-main">{ESCAPED_PLAN}</span>' in html
    assert '<span class="row-fact"><span class="money">29.00 ' in html
    assert '<span class="row-fact muted">expires May 6, 2026</span>' in html
    detail = reverse("memberships:detail", args=[membership.pk])
    assert f'href="{detail}" aria-label="Open membership {membership.reference}">→</a>' in html


def test_a_related_membership_row_reads_in_indonesian(gold_membership):
    Membership.objects.filter(pk=gold_membership.pk).update(expires_at=None)
    membership = Membership.objects.select_related("plan").get(pk=gold_membership.pk)
    with translation.override("id"):
        html = render("{% membership_related_row m %}", m=membership)
    assert '<span class="row-fact muted">Seumur hidup</span>' in html
    assert f'aria-label="Buka keanggotaan {membership.reference}"' in html


def test_the_expiration_says_when_and_how_far_off_else_lifetime(gold_membership):
    gold_membership.expires_at = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    html = render("{% membership_expiration m %}", m=gold_membership)
    assert html.startswith('<time datetime="2026-05-06T12:00:00+00:00"')
    assert '>May 6, 2026</time> <span class="cell-sub">' in html

    gold_membership.expires_at = None
    assert render("{% membership_expiration m %}", m=gold_membership) == "Lifetime"

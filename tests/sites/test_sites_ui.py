"""The site list's cards and rows, and a site's row on other pages, as a user reads them."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from sites.models import Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load site_ui %}" + source).render(Context(context))


@pytest.fixture
def odd_site(customer):
    """A switched-off site whose title would break the page if it were not escaped."""
    return SiteFactory(
        title='Tom & Jerry <b>"x"</b>',
        domain="tom.example.net",
        path="/shop/",
        customer=customer,
        active=False,
        created_at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
    )


ESCAPED_TITLE = "Tom &amp; Jerry &lt;b&gt;&quot;x&quot;&lt;/b&gt;"


@pytest.mark.parametrize("tag", ["site_cards", "site_rows"])
def test_a_listed_site_links_its_page_address_and_owner_with_its_title_escaped(
    tag, odd_site, customer
):
    html = render(f"{{% {tag} sites %}}", sites=Site.objects.with_owner().filter(pk=odd_site.pk))

    detail = reverse("sites:detail", args=[odd_site.pk])
    assert f'<a class="cell-title" href="{detail}">{ESCAPED_TITLE}</a>' in html
    assert f"#{odd_site.pk}<" in html
    address = "https://tom.example.net/shop/"
    assert f'href="{address}" rel="noreferrer">{address}<' in html
    customer_page = reverse("customers:detail", args=[customer.pk])
    assert f'<a href="{customer_page}">Ada Lovelace</a>' in html
    assert '<span class="badge badge-customer_owned">Customer-owned</span>' in html
    assert '<span class="badge badge-inactive">Inactive</span>' in html
    assert ">March 4, 2026</time>" in html
    assert f'href="{detail}">Manage<span class="visually-hidden"> {ESCAPED_TITLE}</span>' in html
    assert "<b>" not in html


def test_a_network_site_is_owned_by_the_network_and_an_active_one_has_no_inactive_badge(db):
    site = SiteFactory(type=Site.Type.SITE_TEMPLATE, customer=None)

    html = render("{% site_cards sites %}", sites=Site.objects.with_owner().filter(pk=site.pk))

    assert '<dd><span class="muted">Network</span></dd>' in html
    assert '<span class="badge badge-site_template">Site template</span>' in html
    assert "badge-inactive" not in html


def test_a_listed_site_reads_in_indonesian(odd_site):
    site = Site.objects.with_owner().get(pk=odd_site.pk)
    with translation.override("id"):
        html = render("{% site_cards sites %}", sites=[site])
    assert "<dt>Pemilik</dt>" in html
    assert ">Kelola<" in html
    assert ">Tidak aktif<" in html and ">Milik pelanggan<" in html


def test_a_related_site_row_shows_reference_state_address_date_and_opens_the_site(odd_site):
    html = render("{% site_related_row site %}", site=odd_site)

    assert f'<code class="ref">{odd_site.reference}</code>' in html
    assert '<span class="badge badge-inactive">Inactive</span>' in html
    assert (
        f'<span class="row-main">{ESCAPED_TITLE} '
        '<span class="muted small">https://tom.example.net/shop/</span></span>'
    ) in html
    assert '<time datetime="2026-03-04T12:00:00+00:00">March 4, 2026</time>' in html
    detail = reverse("sites:detail", args=[odd_site.pk])
    assert f'href="{detail}" aria-label="Open site {ESCAPED_TITLE}">→</a>' in html


def test_a_related_site_row_says_active_and_reads_in_indonesian(customer):
    site = SiteFactory(title="Ada's blog", customer=customer)
    with translation.override("id"):
        html = render("{% site_related_row site %}", site=site)
    assert '<span class="badge badge-active">Aktif</span>' in html
    assert 'aria-label="Buka situs Ada&#x27;s blog"' in html

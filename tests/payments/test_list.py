"""The payment list: tabs with counts, search, filters, keyset pages and a fixed query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.services import DELETE_RELATED, customer_delete
from events.services import Actor
from memberships.models import Membership
from payments import views
from payments.models import Payment
from payments.services import payment_update
from tests.factories import CustomerFactory, PaymentFactory, customer_of_fixed_words
from tests.list_pages import tabs_shown
from tests.queries import finds_keys_first, get_with_statements

pytestmark = pytest.mark.django_db

URL = reverse("payments:list")


def references_on(response) -> list[str]:
    return [payment.reference for payment in response.context["page"].rows]


def test_tabs_show_their_payments_and_counts(admin_client):
    by_status = {
        status: PaymentFactory(status=status)
        for status in [
            Payment.Status.COMPLETED,
            Payment.Status.PENDING,
            Payment.Status.PARTIALLY_REFUNDED,
            Payment.Status.REFUNDED,
            Payment.Status.FAILED,
            Payment.Status.DRAFT,
        ]
    }
    response = admin_client.get(URL)
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {
        "all": 6,
        "completed": 1,
        "pending": 1,
        "partially-refunded": 1,
        "refunded": 1,
        "failed": 1,
    }
    assert tabs_shown(response) == {
        "All": "6",
        "Completed": "1",
        "Pending": "1",
        "Partially Refunded": "1",
        "Refunded": "1",
        "Failed": "1",
    }
    for status, payment in by_status.items():
        if status != Payment.Status.DRAFT:
            assert references_on(admin_client.get(URL, {"tab": status})) == [payment.reference]


def test_each_row_shows_reference_status_customer_total_gateway_and_date(admin_client):
    customer = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    payment = PaymentFactory(customer=customer, gateway=Membership.Gateway.STRIPE)
    page = admin_client.get(URL).content.decode()
    assert f'href="{reverse("payments:detail", args=[payment.pk])}">{payment.reference}' in page
    assert 'class="badge badge-completed">Completed</span>' in page
    assert f'href="{reverse("customers:detail", args=[customer.pk])}">Grace Hopper' in page
    assert '50.00 <span class="currency">USD</span>' in page
    assert "Stripe" in page
    assert payment.created_at.strftime("%Y") in page


def test_a_deleted_customers_payment_shows_the_snapshot_name(admin_client):
    payment = PaymentFactory(billing_name="Gone Customer Ltd")
    Payment.objects.filter(pk=payment.pk).update(customer=None)
    page = admin_client.get(URL).content.decode()
    assert "Gone Customer Ltd" in page
    assert "Deleted customer" in page


@pytest.mark.parametrize(
    "typed",
    ["reference", "lowercase reference", "invoice", "#invoice", "name", "email", "gateway id"],
)
def test_search_finds_a_payment_by_each_of_its_keys(admin_client, typed):
    customer = CustomerFactory(
        user__first_name="Ada", user__last_name="Lovelace", user__email="ada@engine.example"
    )
    payment = PaymentFactory(customer=customer, gateway_payment_id="pi_3Nx9")
    Payment.objects.filter(pk=payment.pk).update(invoice_number=4711)
    PaymentFactory(customer=CustomerFactory(user__first_name="Charles"))
    text = {
        "reference": payment.reference,
        "lowercase reference": payment.reference.lower(),
        "invoice": "4711",
        "#invoice": "#4711",
        "name": "ada LOVELACE",
        "email": "ada@engine",
        "gateway id": "pi_3Nx9",
    }[typed]
    assert references_on(admin_client.get(URL, {"q": text})) == [payment.reference]


def test_search_finds_payments_of_deleted_customers_by_their_snapshot(admin_client, network_admin):
    customer = CustomerFactory(user__username="gone", user__first_name="Ada")
    payment = PaymentFactory(
        customer=customer, billing_name="Gone Customer Ltd", billing_email="gone@old.example"
    )
    PaymentFactory(customer=customer_of_fixed_words())
    customer_delete(actor=Actor(user=network_admin), customer=customer, related=DELETE_RELATED)
    assert references_on(admin_client.get(URL, {"q": "gone customer"})) == [payment.reference]
    assert references_on(admin_client.get(URL, {"q": "GONE@old"})) == [payment.reference]
    # The customer's own words went with them.
    assert references_on(admin_client.get(URL, {"q": "ada"})) == []


def test_a_payment_saved_without_a_customer_is_found_by_its_snapshot(admin_client, network_admin):
    payment = PaymentFactory(
        customer=None, billing_name="Müller & Söhne", billing_email="KONTO@mueller.example"
    )
    payment_update(
        actor=Actor(user=network_admin), payment=payment, values={"gateway_payment_id": "ch_1"}
    )
    for text in ["müller söhne", "konto@mueller", "ch_1"]:
        assert references_on(admin_client.get(URL, {"q": text})) == [payment.reference], text


def test_a_search_past_the_count_cap_pages_through_every_match_newest_first(
    admin_client, monkeypatch
):
    # Past the cap, the page's keys are found first on the newest-first index (keys_first).
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    start = timezone.now()
    fischers = [
        PaymentFactory(
            customer=CustomerFactory(user__last_name="Fischer"),
            created_at=start - timedelta(hours=hours),
        )
        for hours in range(5)
    ]
    PaymentFactory(customer=customer_of_fixed_words(user__last_name="Meier"), created_at=start)
    params = {"q": "fischer", "per_page": 2}
    seen = []
    response = admin_client.get(URL, params)
    while True:
        seen += references_on(response)
        page = response.context["page"]
        if not page.has_next:
            break
        response = admin_client.get(URL, {**params, "after": page.last_cursor})
    assert seen == [payment.reference for payment in fischers]


@pytest.mark.parametrize(
    "typed", ["%", "_", "'", "\\", "a" * 10_000, "qxzj\x00", "' OR 1=1 --", "🙂", "99999999999"]
)
def test_hostile_search_text_gets_a_sensible_page(admin_client, typed):
    PaymentFactory.create_batch(2)
    response = admin_client.get(URL, {"q": typed})
    assert response.status_code == 200
    assert response.context["page"].rows == []


def test_the_customer_filter_shows_only_their_payments_and_can_be_removed(admin_client):
    ada = CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")
    hers = [PaymentFactory(customer=ada, status=status) for status in ("completed", "pending")]
    PaymentFactory()
    response = admin_client.get(URL, {"customer": ada.pk})
    assert set(references_on(response)) == {payment.reference for payment in hers}
    assert {tab["key"]: tab["count"] for tab in response.context["tabs"]}["completed"] == 1
    page = response.content.decode()
    assert "Ada Lovelace" in page and "Remove filter" in page
    assert f'name="customer" value="{ada.pk}"' in page


def test_the_gateway_filter_shows_only_that_gateway(admin_client):
    stripe = PaymentFactory(gateway=Membership.Gateway.STRIPE)
    PaymentFactory(gateway=Membership.Gateway.MANUAL)
    response = admin_client.get(URL, {"gateway": "stripe"})
    assert references_on(response) == [stripe.reference]
    assert response.context["tabs"][0]["count"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"tab": "deleted"},
        {"customer": "abc"},
        {"customer": "-1"},
        {"customer": "99999999999999999999999"},
        {"gateway": "bitcoin"},
        {"page": "-1"},
        {"after": "not-a-cursor"},
        {"before": ""},
    ],
)
def test_bad_list_parameters_fall_back_to_a_sensible_page(admin_client, params):
    PaymentFactory.create_batch(3)
    response = admin_client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 3


def test_an_unknown_customer_filter_shows_an_empty_filtered_list(admin_client):
    PaymentFactory()
    page = admin_client.get(URL, {"customer": 987654}).content.decode()
    assert "#987654 (not found)" in page
    assert "No payments match" in page


def test_pages_walk_newest_first_to_the_last_and_back(admin_client, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    now = timezone.now()
    payments = [PaymentFactory(created_at=now - timedelta(days=days)) for days in range(5)]
    newest_first = [payment.reference for payment in payments]
    first = admin_client.get(URL)
    assert references_on(first) == newest_first[:2]
    second = admin_client.get(URL, {"after": first.context["page"].last_cursor})
    assert references_on(second) == newest_first[2:4]
    last = admin_client.get(URL, {"page": "last"})
    assert references_on(last) == newest_first[3:]
    back = admin_client.get(URL, {"before": last.context["page"].first_cursor})
    assert references_on(back) == newest_first[1:3]
    assert 'rel="next"' in first.content.decode()


@pytest.mark.parametrize("rows", [1, 40])
def test_the_list_runs_the_same_queries_whatever_the_data(
    admin_client, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        payment = PaymentFactory()
        Payment.objects.filter(pk=payment.pk).update(customer=None)
        PaymentFactory(gateway=Membership.Gateway.STRIPE)
    # Session, user, the permissions, one query for all tab counts, the page of rows.
    with django_assert_max_num_queries(5):
        admin_client.get(URL)
    # Searching looks the matching customers up first.
    with django_assert_max_num_queries(6):
        admin_client.get(URL, {"q": "a", "gateway": "stripe", "tab": "completed"})
    customer_id = Payment.objects.filter(gateway="stripe")[0].customer_id
    # Naming the filtered customer costs one more.
    with django_assert_max_num_queries(6):
        admin_client.get(URL, {"customer": customer_id})


def test_tab_counts_are_capped_and_estimated_beyond_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    PaymentFactory.create_batch(3)
    PaymentFactory(status=Payment.Status.PENDING)
    counts = {tab["key"]: tab["count"] for tab in admin_client.get(URL).context["tabs"]}
    # Beyond the cap SQLite still counts exactly; PostgreSQL asks its planner.
    assert counts["pending"] == 1
    assert counts["all"] >= 3


def test_empty_states_tell_nothing_yet_from_no_match(admin_client):
    assert "No payments yet" in admin_client.get(URL).content.decode()
    PaymentFactory()
    page = admin_client.get(URL, {"q": "zzzz"}).content.decode()
    assert "No payments match" in page and "No payments yet" not in page
    assert "Clear search and filters" in page
    assert "No payments match" in admin_client.get(URL, {"tab": "failed"}).content.decode()


def test_htmx_search_swaps_only_the_results(admin_client):
    payment = PaymentFactory()
    response = admin_client.get(
        URL,
        {"q": payment.reference},
        headers={"HX-Request": "true", "HX-Target": "payment-results"},
    )
    page = response.content.decode()
    assert payment.reference in page
    assert "<html" not in page and 'id="payment-search"' not in page
    assert "HX-Request" in response["Vary"]


def test_support_agents_can_see_the_list(agent_client):
    PaymentFactory()
    assert agent_client.get(URL).status_code == 200


def test_a_search_matching_many_customers_still_finds_their_payments(admin_client):
    payments = [
        PaymentFactory(customer=CustomerFactory(user__last_name="Lovelace")) for _ in range(3)
    ]
    PaymentFactory(customer=CustomerFactory(user__last_name="Babbage"))
    found = references_on(admin_client.get(URL, {"q": "lovelace"}))
    assert sorted(found) == sorted(payment.reference for payment in payments)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_of_many_payments_in_a_status_tab_finds_its_keys_first(admin_client, planner):
    planner.rows = 5000
    grace = CustomerFactory(user__first_name="Grace", user__last_name="Hopper")
    now = timezone.now()
    failed = [
        PaymentFactory(
            customer=grace, status=Payment.Status.FAILED, created_at=now - timedelta(days=days)
        )
        for days in (3, 1, 2)
    ]
    PaymentFactory(customer=grace, created_at=now)
    PaymentFactory(status=Payment.Status.FAILED, created_at=now)

    response, statements = get_with_statements(admin_client, URL, {"q": "hopper", "tab": "failed"})

    newest_first = sorted(failed, key=lambda payment: payment.created_at, reverse=True)
    assert references_on(response) == [payment.reference for payment in newest_first]
    # Found on their own, from the status tabs' index alone.
    assert finds_keys_first(statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_rare_owner_is_searched_once_for_the_counts_and_the_page(admin_client, planner):
    planner.rows = 1
    owner = CustomerFactory(user__last_name="Hopperton")
    refunded = PaymentFactory(customer=owner, status=Payment.Status.REFUNDED)
    completed = PaymentFactory(customer=owner, status=Payment.Status.COMPLETED)
    PaymentFactory(status=Payment.Status.REFUNDED)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL, {"q": "hopperton", "tab": "refunded"})

    assert references_on(response) == [refunded.reference]
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert (counts["all"], counts["refunded"], counts["completed"]) == (2, 1, 1)
    searches = [query for query in queries if "hopperton" in str(query["sql"]).lower()]
    assert len(searches) == 1, [query["sql"] for query in searches]
    assert completed.reference not in response.content.decode()

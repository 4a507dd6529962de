import csv
import io
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers import exports
from customers.exports import COLUMNS, spreadsheet_safe
from customers.models import Customer
from events.models import Event
from payments.models import Payment
from tests.factories import (
    CustomerFactory,
    LoginRecordFactory,
    MembershipFactory,
    PaymentFactory,
    RefundFactory,
    customer_of_fixed_words,
)

pytestmark = pytest.mark.django_db

URL = reverse("customers:export")


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_streams_every_column_for_each_customer(admin_client):
    ada = CustomerFactory(
        user__first_name="Ada",
        user__last_name="Lovelace",
        vip=True,
        country="GB",
        last_login=timezone.now(),
    )
    first, second = MembershipFactory.create_batch(2, customer=ada)
    payment = PaymentFactory(customer=ada, lines=[Decimal("100.00")])
    RefundFactory(payment=payment, amount=Decimal("30.00"))
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PARTIALLY_REFUNDED)
    LoginRecordFactory(customer=ada, ip_address="203.0.113.5")

    response = admin_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    (row,) = rows_of(response)
    assert list(row) == COLUMNS
    assert row["Reference"] == ada.reference
    assert row["Name"] == "Ada Lovelace"
    assert row["VIP"] == "yes"
    assert row["Country"] == "GB"
    assert row["Memberships"] == "2"
    assert row["Membership references"].split() == [first.reference, second.reference]
    assert row["Total spent"] == "USD 70.00"
    assert row["Last login"] == ada.last_login.isoformat()
    assert row["Last IP"] == "203.0.113.5"
    assert row["Created"] == ada.created_at.isoformat()


def test_export_of_a_customer_with_nothing_and_one_paying_in_two_currencies(admin_client):
    quiet = CustomerFactory(country="", last_login=None)
    payer = CustomerFactory()
    PaymentFactory(customer=payer, currency="USD", lines=[Decimal("70.00")])
    PaymentFactory(customer=payer, currency="EUR", lines=[Decimal("12.00")])
    PaymentFactory(customer=payer, currency="EUR", lines=[Decimal("0.50")])
    PaymentFactory(customer=payer, currency="GBP", status=Payment.Status.PENDING)

    rows = {row["ID"]: row for row in rows_of(admin_client.get(URL))}

    assert rows[str(payer.pk)]["Total spent"] == "EUR 12.50; USD 70.00"
    row = rows[str(quiet.pk)]
    empty = ["Country", "Membership references", "Total spent", "Last login", "Last IP"]
    assert [row[column] for column in empty] == [""] * len(empty)
    assert row["Memberships"] == "0"


def test_export_gives_each_customer_their_own_data_across_chunks(admin_client, monkeypatch):
    # Chunks of two, and customers the tab leaves out between the exported ones.
    monkeypatch.setattr(exports, "CHUNK", 2)
    expected = {}
    for number in range(6):
        customer = CustomerFactory(vip=number % 2 == 0)
        membership = MembershipFactory(customer=customer)
        PaymentFactory(customer=customer, lines=[Decimal(f"{10 + number}.00")])
        LoginRecordFactory(customer=customer, ip_address=f"203.0.113.{number}")
        if customer.vip:
            expected[customer.reference] = [
                membership.reference,
                f"USD {10 + number}.00",
                f"203.0.113.{number}",
            ]

    rows = rows_of(admin_client.get(URL, {"tab": "vip"}))

    assert {
        row["Reference"]: [row["Membership references"], row["Total spent"], row["Last IP"]]
        for row in rows
    } == expected
    assert [int(row["ID"]) for row in rows] == sorted(int(row["ID"]) for row in rows)


def test_export_without_customers_is_the_header_alone(admin_client):
    text = b"".join(admin_client.get(URL).streaming_content).decode()
    assert text == ",".join(COLUMNS) + "\r\n"


def test_export_honours_tab_and_search(admin_client):
    customer_of_fixed_words(vip=True, user__first_name="Victor")
    customer_of_fixed_words(vip=True, user__first_name="Vera")
    customer_of_fixed_words(user__first_name="Rita")
    assert len(rows_of(admin_client.get(URL, {"tab": "vip"}))) == 2
    (row,) = rows_of(admin_client.get(URL, {"tab": "vip", "q": "vera"}))
    assert row["Name"].startswith("Vera")


def test_export_is_recorded_with_filters_and_row_count(admin_client, network_admin):
    CustomerFactory.create_batch(3, vip=True)
    rows_of(admin_client.get(URL, {"tab": "vip", "q": "example"}))
    event = Event.objects.get(action="customer.exported")
    assert event.actor == network_admin
    assert event.payload == {"filters": {"tab": "vip", "q": "example"}, "rows": 3}


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada", "Ada"),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_escaped(value, safe):
    assert spreadsheet_safe(value) == safe


def test_hostile_customer_data_is_escaped_in_the_file(admin_client):
    CustomerFactory(company_name="=cmd|' /C calc'!A0", user__first_name="@evil")
    (row,) = rows_of(admin_client.get(URL))
    assert row["Company"].startswith("'=")
    assert row["Name"].startswith("'@")


def test_support_agent_cannot_export(agent_client):
    CustomerFactory()
    assert agent_client.get(URL).status_code == 403
    assert not Event.objects.exclude(action="auth.permission_denied").exists()


def test_bulk_export_selected_contains_only_the_selection(admin_client):
    chosen, _other = CustomerFactory.create_batch(2)
    response = admin_client.post(
        reverse("customers:bulk"), {"action": "export", "customers": [chosen.pk]}
    )
    (row,) = rows_of(response)
    assert row["Reference"] == chosen.reference
    assert Event.objects.get(action="customer.exported").payload["rows"] == 1


def test_the_header_stays_english_whatever_the_admins_language(admin_client):
    CustomerFactory()
    response = admin_client.get(URL, headers={"Accept-Language": "id"})
    header = b"".join(response.streaming_content).decode().splitlines()[0]
    assert header.startswith("ID,Reference,Username,Name,Email,")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads ahead on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_export_reads_the_next_chunk_on_a_second_connection(admin_client, monkeypatch):
    # Outside a transaction (as a download is), each chunk is read by another thread on its own
    # connection while the one before is written.
    monkeypatch.setattr(exports, "CHUNK", 2)
    customers = [CustomerFactory() for _ in range(5)]
    for number, customer in enumerate(customers):
        PaymentFactory(customer=customer, lines=[Decimal(f"{10 + number}.00")])
    readers = set()
    references = exports._references

    def noting_the_reader(*args):
        readers.add(threading.current_thread())
        return references(*args)

    monkeypatch.setattr(exports, "_references", noting_the_reader)

    rows = rows_of(admin_client.get(URL))

    assert [row["Reference"] for row in rows] == [customer.reference for customer in customers]
    assert [row["Total spent"] for row in rows] == [f"USD {10 + n}.00" for n in range(5)]
    assert readers and threading.current_thread() not in readers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads ahead on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_download_stopped_half_way_stops_its_reader(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)
    CustomerFactory.create_batch(6)
    threads, connected = threading.active_count(), database_connections()

    lines = exports.csv_lines(Customer.objects.all())
    assert next(lines).startswith("ID,")
    assert next(lines).count("\r\n") == 2
    lines.close()

    assert threading.active_count() == threads
    assert database_connections(settling_to=connected) == connected


def database_connections(settling_to: int | None = None) -> int:
    """How many connections the test database has. With `settling_to`, given up to five seconds
    to reach that number: a server process leaves pg_stat_activity a moment after its client
    closed the connection (the count was one too many in about one run of 25)."""
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            (count,) = cursor.fetchone()
        if settling_to in (None, count) or time.monotonic() > deadline:
            return count
        time.sleep(0.02)

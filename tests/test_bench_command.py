"""`manage.py bench` (docs/performance.md) browses every page it times and prints one table."""

import platform
import re
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from customers.models import Customer
from network_admin.management.commands import bench
from tests.factories import (
    CustomerFactory,
    EventFactory,
    LoginRecordFactory,
    MembershipFactory,
    PaymentFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    """An ordinary customer with one of everything the benchmark opens, and a VIP."""
    ordinary = CustomerFactory(vip=False, user__last_name="Fischer")
    LoginRecordFactory(customer=ordinary, ip_address="198.51.100.23")
    MembershipFactory(customer=ordinary)
    PaymentFactory(customer=ordinary)
    SiteFactory(customer=ordinary)
    EventFactory(customer_id=ordinary.pk)
    PaymentFactory(customer=CustomerFactory(vip=True))


def test_bench_times_every_page_and_prints_its_row(network):
    out = StringIO()

    call_command("bench", "--no-export", "--requests", "1", "--warmup", "0", stdout=out)

    table = out.getvalue()
    # Which interpreter ran the pages: its build moves every number.
    python = re.escape(f"Python: {platform.python_version()} ({sys.executable}), built with")
    assert re.search(rf"{python}(out PGO or LTO| PGO and LTO| PGO| LTO)\n", table)
    for page in [
        "dashboard",
        "customers: page 1",
        "customers: Online tab (0 online)",
        "customers: common search, sorted by name",
        "customers: IP address search",
        "customer page: heavy",
        "memberships: common owner search",
        "sites: common owner search",
        "payments: rare owner search",
        "events: of the heavy customer",
        "events: errors, last page",
    ]:
        assert f"\n{page} " in table
    # How fast the machine ran plain Python around the timings, since that moves every number.
    assert re.search(r"CPU check before: 1,000,000 Python multiply-adds in \d+ ms", table)
    assert re.search(r"CPU check after: 1,000,000 Python multiply-adds in \d+ ms", table)


def test_bench_sweeps_a_name_through_every_tab_and_sort_of_the_searched_lists(network):
    out = StringIO()

    call_command(
        "bench",
        "--no-export",
        "--requests",
        "1",
        "--warmup",
        "0",
        "--sweep",
        "Fischer",
        stdout=out,
    )

    rows = re.findall(r"\n(\w+): (.+?)  +[\d.]+ +[\d.]+ +15 ", out.getvalue())
    # Customers: 3 tabs x 4 sorts; memberships 7 tabs, payments 6, sites 4: each with the name
    # and the ordinary customer's username, on the first and the last page.
    assert len(rows) == (3 * 4 + 7 + 6 + 4) * 2 * 2
    username = Customer.objects.get(user__last_name="Fischer").user.username
    for row in [
        ("customers", 'vip name "Fischer" last page'),
        ("customers", f'online last_login "{username}"'),
        ("memberships", 'on-hold "Fischer"'),
        ("payments", f'partially-refunded "{username}" last page'),
        ("sites", 'pending "Fischer"'),
    ]:
        assert row in rows
    assert "dashboard" not in out.getvalue()


def test_bench_says_how_many_customers_changed_since_their_table_was_vacuumed(network):
    out = StringIO()

    call_command(
        "bench", "--no-export", "--requests", "1", "--warmup", "0", "--only", "dash", stdout=out
    )

    said = re.search(
        r"Customers table: [\d,]+ rows changed since its last vacuum \(autovacuum (on|off)\)\n",
        out.getvalue(),
    )
    assert (said is not None) == (connection.vendor == "postgresql")


def test_bench_times_each_pages_slowest_query_finer_than_a_millisecond(network):
    out = StringIO()

    call_command("bench", "--no-export", "--requests", "1", "--warmup", "0", stdout=out)

    # The last column but "ok": the slowest query's time, in ms with two decimals. The test
    # database answers in microseconds, which a millisecond clock would show as 0.00 throughout.
    rows = re.findall(r"\s(\d+\.\d\d)\s+(?:yes|NO)\n", out.getvalue())
    assert len(rows) > 30
    assert any(float(slowest) > 0 for slowest in rows)


def test_bench_needs_customers_to_time():
    with pytest.raises(CommandError, match="run seed_demo first"):
        call_command("bench", "--no-export", "--requests", "1", stdout=StringIO())


@pytest.mark.parametrize(("rows_per_s", "missed"), [(1, "none"), (10**9, "CSV export")])
def test_bench_names_an_export_under_its_budget_among_the_misses(
    network, monkeypatch, rows_per_s, missed
):
    monkeypatch.setattr(bench, "EXPORT_ROWS_PER_S", rows_per_s)
    # The peak is the whole process's, here the test run's.
    monkeypatch.setattr(bench, "EXPORT_PEAK_MB", 10**6)
    out = StringIO()

    call_command("bench", "--only", "export", stdout=out)

    assert out.getvalue().rstrip().endswith(f"Over budget: {missed}")


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ("'--prefix=/opt/python' '--enable-optimizations' '--with-lto'", "built with PGO and LTO"),
        ("'--enable-optimizations'", "built with PGO"),
        ("'--prefix=/root/.pyenv/versions/3.13.0' '--enable-shared'", "built without PGO or LTO"),
        (None, "built without PGO or LTO"),
    ],
)
def test_bench_says_how_the_interpreter_was_compiled(monkeypatch, options, said):
    monkeypatch.setattr(bench.sysconfig, "get_config_var", {"CONFIG_ARGS": options}.get)
    assert bench._interpreter_build() == said

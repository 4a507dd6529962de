from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from events.models import Event
from network_admin import pagination
from network_admin.pagination import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    SortKey,
    capped_counts,
    capped_totals,
    forget_estimates,
    paginate,
    sampled_counts,
    sorted_by_values,
)
from tests.factories import CustomerFactory, EventFactory

pytestmark = pytest.mark.django_db

NEWEST = [SortKey("created_at", descending=True), SortKey("id", descending=True)]
LAST_LOGIN = [
    SortKey("last_login", descending=True, nullable=True),
    SortKey("id", descending=True),
]


@pytest.fixture
def customers():
    now = timezone.now()
    # Ties on created_at prove the id tie-breaker keeps pages from skipping or repeating rows.
    return [
        CustomerFactory(
            created_at=now - timedelta(days=index // 2),
            last_login=None if index % 3 == 0 else now - timedelta(hours=index),
        )
        for index in range(11)
    ]


def walk(keys, direction_start, step, queryset=None, **options):
    queryset = Customer.objects.all() if queryset is None else queryset

    def page_of(direction, cursor=""):
        return paginate(queryset, keys, size=4, direction=direction, cursor=cursor, **options)

    seen, page = [], page_of(direction_start)
    while True:
        seen.append([customer.pk for customer in page.rows])
        if step == AFTER and page.has_next:
            page = page_of(AFTER, page.last_cursor)
        elif step == BEFORE and page.has_previous:
            page = page_of(BEFORE, page.first_cursor)
        else:
            return seen


@pytest.mark.parametrize("how", ["by-columns", "by-values", "keys-first"])
@pytest.mark.parametrize("keys", [NEWEST, LAST_LOGIN], ids=["newest", "last-login"])
def test_paging_forwards_and_backwards_visits_every_row_once_in_order(customers, keys, how):
    expected = list(
        Customer.objects.order_by(*(key.order_by(nulls_last=True) for key in keys)).values_list(
            "pk", flat=True
        )
    )
    queryset, keys = (
        sorted_by_values(Customer.objects.all(), keys)
        if how == "by-values"
        else (Customer.objects.all(), keys)
    )
    options = {"keys_first": how == "keys-first"}
    forwards = walk(keys, FIRST, AFTER, queryset, **options)
    backwards = walk(keys, LAST, BEFORE, queryset, **options)
    assert [pk for page in forwards for pk in page] == expected
    assert [pk for page in reversed(backwards) for pk in page] == expected
    assert [len(page) for page in forwards] == [4, 4, 3]
    # Pages counted from the end align with the end: the short page is the first one.
    assert [len(page) for page in backwards] == [4, 4, 3]


def test_a_page_found_by_its_keys_first_is_one_query_of_the_filtered_rows(
    customers, django_assert_num_queries
):
    never_logged_in = Customer.objects.filter(last_login__isnull=True)
    with django_assert_num_queries(1):
        page = paginate(
            never_logged_in, NEWEST, size=2, direction=FIRST, cursor="", keys_first=True
        )
    assert page.rows == list(never_logged_in.order_by("-created_at", "-id")[:2])
    assert page.has_next


def test_first_and_last_pages_know_where_they_are(customers):
    first = paginate(Customer.objects.all(), NEWEST, size=4, direction=FIRST, cursor="")
    last = paginate(Customer.objects.all(), NEWEST, size=4, direction=LAST, cursor="")
    assert (first.has_previous, first.has_next) == (False, True)
    assert (last.has_previous, last.has_next) == (True, False)


@pytest.mark.parametrize("cursor", ["", "garbage", "W10:1abc:def", "0" * 5000])
def test_a_bad_cursor_falls_back_to_the_first_page(customers, cursor):
    page = paginate(Customer.objects.all(), NEWEST, size=4, direction=AFTER, cursor=cursor)
    assert page.rows == list(Customer.objects.order_by("-created_at", "-id")[:4])


def test_an_empty_list_has_one_empty_page():
    page = paginate(Customer.objects.all(), NEWEST, size=4, direction=LAST, cursor="")
    assert page.rows == [] and page.is_only_page


def test_capped_counts_are_exact_for_small_tables(customers):
    counts = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN)
    assert counts == {"all": (11, False), "never": (4, False)}


def test_a_subset_counted_again_is_not_compiled_again_and_counts_what_is_there_now(
    customers, monkeypatch
):
    counts = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN)
    compiled = []
    values = pagination.QuerySet.values

    def compiling(rows, *fields):
        compiled.append(rows)
        return values(rows, *fields)

    monkeypatch.setattr(pagination.QuerySet, "values", compiling)
    CustomerFactory(last_login=None)

    again = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN)

    # The whole list, whose SQL is the subsets' key; not the two subsets again.
    assert len(compiled) == 1
    assert (counts["never"], again["never"]) == ((4, False), (5, False))


def test_a_subset_with_a_cap_of_its_own_is_counted_exactly_up_to_it(customers):
    counts = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=3, caps={"never": 4})
    assert counts["never"] == (4, False)
    # Past its cap of 3 on PostgreSQL, the whole list is an estimate; SQLite counts exactly.
    assert counts["all"][1] is (connection.vendor == "postgresql")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_capped_counts_estimate_beyond_the_cap_on_postgresql(customers):
    counts = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert counts["all"][1] and counts["all"][0] >= 6
    assert counts["never"] == (4, False)


def test_capped_totals_count_several_tables_exactly_under_the_cap(
    customers, django_assert_num_queries
):
    EventFactory.create_batch(2)
    with django_assert_num_queries(1):
        totals = capped_totals({"customers": Customer.objects.all(), "events": Event.objects.all()})
    assert totals == {"customers": (11, False), "events": (2, False)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_capped_totals_estimate_the_tables_past_the_cap(customers):
    EventFactory.create_batch(2)
    totals = capped_totals(
        {"customers": Customer.objects.all(), "events": Event.objects.all()}, cap=5
    )
    assert totals["customers"][1] and totals["customers"][0] >= 6
    assert totals["events"] == (2, False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_estimates_are_whole_where_the_planner_would_use_parallel_workers(customers):
    # Made cheap, a parallel plan puts a Gather above the branches and estimates per worker.
    with connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; "
            "SET LOCAL min_parallel_table_scan_size = 0; ANALYZE customers_customer"
        )
    queries = pagination._subsets(Customer.objects.all(), NEVER_LOGGED_IN)
    assert pagination._estimate(connection.alias, queries) == {"all": 11, "never": 4}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_an_estimate_asked_for_again_and_again_is_never_a_prepared_statement(customers):
    # A statement run five times on a connection is prepared; the EXPLAIN is three statements,
    # which can't be one.
    queries = pagination._subsets(Customer.objects.all(), NEVER_LOGGED_IN)
    estimates = [pagination._estimate(connection.alias, queries) for _ in range(8)]
    assert all(estimate.keys() == {"all", "never"} for estimate in estimates)


NEVER_LOGGED_IN = {"all": Q(), "never": Q(last_login__isnull=True)}


def planner_expects(monkeypatch, **estimates):
    """Make the planner's estimates these, by subset ("all" also for the whole queryset): they
    depend on table statistics."""

    def estimate(database, queries):
        return {key: estimates.get(key, estimates["all"]) for key in queries}

    monkeypatch.setattr(pagination, "_estimate", estimate)


def test_sampled_counts_are_exact_within_the_cap_from_one_query(
    customers, monkeypatch, django_assert_num_queries
):
    planner_expects(monkeypatch, all=3, never=1)
    with django_assert_num_queries(1):
        counts = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=11)
    assert counts == {"all": (11, False), "never": (4, False)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_sampled_counts_estimate_beyond_the_cap_but_never_below_what_they_saw_and_keep_them(
    customers, monkeypatch, django_assert_num_queries
):
    planner_expects(monkeypatch, all=3, never=1)
    with django_assert_num_queries(1):
        counts = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert counts["all"] == (6, True) and counts["never"][1]
    assert counts["never"][0] >= 1
    # Kept: the search's next pages and tabs don't read it again for a while.
    CustomerFactory.create_batch(2)
    with django_assert_num_queries(0):
        assert sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5) == counts
    forget_estimates()
    with django_assert_num_queries(1):
        sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_sampled_counts_do_not_read_what_the_planner_expects_far_beyond_the_cap(
    customers, monkeypatch, django_assert_num_queries
):
    planner_expects(monkeypatch, all=100, never=40)
    with django_assert_num_queries(0):
        counts = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert counts == {"all": (100, True), "never": (40, True)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_sampled_counts_ask_the_planner_and_read_in_two_queries(
    customers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        counts = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=1_000)
    assert counts == {"all": (11, False), "never": (4, False)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_count_past_the_cap_is_kept_as_an_estimate_for_a_while(
    customers, monkeypatch, django_assert_num_queries
):
    with django_assert_num_queries(2):
        first = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert first["all"][1] and first["never"] == (4, False)
    CustomerFactory(last_login=None)
    # "all" is not counted again; "never", under the cap, is, and sees the new customer.
    with django_assert_num_queries(1):
        again = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert again == {"all": first["all"], "never": (5, False)}
    monkeypatch.setattr(pagination, "ESTIMATE_SECONDS", 0)
    forget_estimates()
    with django_assert_num_queries(2):
        capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    with django_assert_num_queries(2):
        capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="kept numbers need PostgreSQL")
def test_a_count_kept_for_some_seconds_is_exact_and_counted_again_after_them(
    customers, kept_numbers_clock, django_assert_num_queries
):
    kept_for = {"never": 5}
    with django_assert_num_queries(1):
        first = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, kept_for=kept_for)
    assert first == {"all": (11, False), "never": (4, False)}
    CustomerFactory(last_login=None)
    # Within the seconds only "all" is counted (and sees the new customer); "never" says what
    # it counted, still exact, not an estimate.
    kept_numbers_clock.advance(4.9)
    with django_assert_num_queries(1) as queries:
        again = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, kept_for=kept_for)
    assert again == {"all": (12, False), "never": (4, False)}
    assert queries.captured_queries[0]["sql"].count("COUNT(*)") == 1
    kept_numbers_clock.advance(0.2)
    assert capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, kept_for=kept_for) == {
        "all": (12, False),
        "never": (5, False),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="kept numbers need PostgreSQL")
def test_a_count_kept_for_some_seconds_past_its_cap_is_an_estimate_kept_as_estimates_are(
    customers, monkeypatch
):
    planner_expects(monkeypatch, all=30, never=20)
    kept_for = {"never": 5}
    first = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=3, kept_for=kept_for)
    assert first == {"all": (30, True), "never": (20, True)}
    assert not pagination._kept_counts


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite counts on every call")
def test_counts_kept_for_some_seconds_are_counted_on_every_call_on_sqlite(customers):
    def never_logged_in():
        counts = capped_counts(Customer.objects.all(), NEVER_LOGGED_IN, kept_for={"never": 5})
        return counts["never"]

    assert never_logged_in() == (4, False)
    CustomerFactory(last_login=None)
    assert never_logged_in() == (5, False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_estimated_far_past_the_cap_is_not_estimated_again_for_a_while(customers, planner):
    planner.rows = 100
    first = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert first == {"all": (100, True), "never": (100, True)} and len(planner.asked) == 2
    assert sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5) == first
    assert len(planner.asked) == 2
    forget_estimates()
    sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert len(planner.asked) == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_rare_search_is_read_on_every_view_but_planned_once_a_while(customers, planner):
    planner.rows = 1
    first = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=1000)
    assert first == {"all": (len(customers), False), "never": (first["never"][0], False)}
    assert len(planner.asked) == 1
    Customer.objects.first().delete()
    # Read again (the counts are exact), without asking the planner again.
    again = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=1000)
    assert again["all"] == (len(customers) - 1, False) and len(planner.asked) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_that_matches_few_rows_keeps_them_for_the_page(
    customers, planner, django_assert_num_queries
):
    planner.rows = 1
    search = Customer.objects.filter(pk__in=[customer.pk for customer in customers[:7]])
    counts = sampled_counts(search, NEVER_LOGGED_IN, cap=1000)
    never = [customer.pk for customer in customers[:7] if customer.last_login is None]
    assert counts == {"all": (7, False), "never": (len(never), False)}
    assert sorted(counts.matches) == sorted(customer.pk for customer in customers[:7])
    # The page then fetches those rows by primary key: the same rows, however it is filtered.
    with django_assert_num_queries(1):
        found = list(counts.rows.filter(NEVER_LOGGED_IN["never"]))
    assert sorted(customer.pk for customer in found) == sorted(never)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates need PostgreSQL")
def test_a_search_that_matches_many_rows_is_paged_by_the_search_itself(
    customers, planner, monkeypatch
):
    planner.rows = 1
    monkeypatch.setattr(pagination, "FEW_MATCHES", len(customers) - 1)
    many = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=1000)
    assert many["all"] == (len(customers), False) and many.matches is None
    past_the_cap = sampled_counts(Customer.objects.all(), NEVER_LOGGED_IN, cap=5)
    assert past_the_cap["all"][1] and past_the_cap.matches is None
    search = Customer.objects.filter(last_login__isnull=True)
    assert sampled_counts(search, NEVER_LOGGED_IN, cap=3).rows is search

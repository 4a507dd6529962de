"""Keyset pagination: every page, the last included, costs one indexed query.

OFFSET pagination reads and discards every row before the page, which on the last page of a
million customers means reading a million rows. Here a page starts right after (or ends right
before) the row a signed cursor names, so the database seeks straight to it.
"""

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter

import psycopg
from django.core import signing
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce

CURSOR_SALT = "network_admin.pagination"
FIRST, AFTER, BEFORE, LAST = "first", "after", "before", "last"


@dataclass(frozen=True)
class SortKey:
    """One column of a total ordering; NULLs, where allowed, sort after every value."""

    path: str
    descending: bool = False
    nullable: bool = False

    def reversed(self) -> "SortKey":
        return SortKey(self.path, not self.descending, self.nullable)

    def order_by(self, *, nulls_last: bool):
        expression = F(self.path)
        if not self.nullable:
            return expression.desc() if self.descending else expression.asc()
        nulls = {"nulls_last": True} if nulls_last else {"nulls_first": True}
        return expression.desc(**nulls) if self.descending else expression.asc(**nulls)

    def beyond(self, value, *, nulls_last: bool) -> Q:
        """Rows strictly past `value` in this key's order."""
        if value is None:
            return Q(pk__in=[]) if nulls_last else Q(**{f"{self.path}__isnull": False})
        past = Q(**{f"{self.path}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and nulls_last:
            past |= Q(**{f"{self.path}__isnull": True})
        return past

    def equal(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.path}__isnull": True})
        return Q(**{self.path: value})


@dataclass
class KeysetPage:
    rows: list
    has_previous: bool
    has_next: bool
    first_cursor: str = ""
    last_cursor: str = ""
    params: dict = field(default_factory=dict)

    @property
    def is_only_page(self) -> bool:
        return not (self.has_previous or self.has_next)


def _after(keys: list[SortKey], values: list, *, nulls_last: bool) -> Q:
    """Rows strictly after the row with `values`, in the (lexicographic) order of `keys`."""
    condition = Q(pk__in=[])
    leading_equal = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= leading_equal & key.beyond(value, nulls_last=nulls_last)
        leading_equal &= key.equal(value)
    return condition


def _cursor(row, keys: list[SortKey]) -> str:
    values = [attrgetter(key.path.replace("__", "."))(row) for key in keys]
    return signing.dumps([_jsonable(value) for value in values], salt=CURSOR_SALT)


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _read_cursor(cursor: str, keys: list[SortKey]) -> list | None:
    try:
        values = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, list) and len(values) == len(keys) else None


def paginate(
    queryset: QuerySet,
    keys: list[SortKey],
    *,
    size: int,
    direction: str,
    cursor: str,
    keys_first: bool = False,
):
    """One page of `queryset` in the order of `keys` (the last key must be unique, e.g. pk).

    `direction` is FIRST, LAST, or AFTER / BEFORE the row that `cursor` names. A cursor that
    is missing, tampered with or stale falls back to the first page.

    With `keys_first`, the page's primary keys are found first and its rows read by them, in
    the same query. For a search that matches many rows, whose page PostgreSQL finds by walking
    the list's index and filtering: when that index carries the filtered columns (INCLUDE),
    the walk reads only the index instead of a table row per entry (thousands for a common
    last name), and only the page's rows are read from the table.
    """
    values = _read_cursor(cursor, keys) if direction in (AFTER, BEFORE) else None
    if direction in (AFTER, BEFORE) and values is None:
        direction = FIRST
    backwards = direction in (BEFORE, LAST)
    order_keys = [key.reversed() for key in keys] if backwards else keys
    nulls_last = not backwards
    queryset = queryset.order_by(*(key.order_by(nulls_last=nulls_last) for key in order_keys))
    if values is not None:
        queryset = queryset.filter(_after(order_keys, values, nulls_last=nulls_last))

    if keys_first:
        queryset = queryset.filter(pk__in=queryset.values("pk")[: size + 1])
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(
        rows=rows,
        has_previous=has_more if backwards else direction == AFTER,
        has_next=has_more if not backwards else direction == BEFORE,
    )
    if rows:
        page.first_cursor = _cursor(rows[0], keys)
        page.last_cursor = _cursor(rows[-1], keys)
    return page


def sorted_by_values(queryset: QuerySet, keys: list[SortKey]) -> tuple[QuerySet, list[SortKey]]:
    """`queryset` and the keys to page it in the order of `keys`, sorted by the keys' values
    rather than by their columns.

    For a search that matches up to some thousands of rows: ordered by the columns, PostgreSQL
    walks the index of that order and filters until a page of matches turns up (seconds, when
    there are none, since it walks the whole index); ordered by values, it finds the matches
    by the search's own indexes and sorts just those.
    """
    annotations, value_keys = {}, []
    for position, key in enumerate(keys):
        name = f"sort_value_{position}"
        annotations[name] = Coalesce(key.path, key.path)
        value_keys.append(SortKey(name, key.descending, key.nullable))
    return queryset.annotate(**annotations), value_keys


# Exact counts up to here. Each count reads at most this many index entries per tab (on every
# page view), so it is small: 10,000 cost ~1.5 ms per tab on PostgreSQL, 1,000 ~0.2 ms.
COUNT_CAP = 1_000


def counts_up_to(queryset: QuerySet, subsets: dict[str, Q], *, cap: int) -> dict[str, int]:
    """How many rows of `queryset` match each of `subsets`, each counted up to `cap` + 1 rows, all
    in one round trip: a count on millions of rows costs a short index range scan, and a result
    above `cap` means "more than cap". Returns {key: count}.

    A subset this process found past the cap less than ESTIMATE_SECONDS ago is not counted
    again (the way `capped_counts` keeps its estimates): a tab that says "1,000+" of a million
    rows still does a minute later, and when every tab does, this runs no query at all.
    """
    database = queryset.db
    queries = _subsets(queryset, subsets)
    kept, counts = _kept_or_counted(database, queries, caps=dict.fromkeys(queries, cap))
    _keep(queries, {key: count for key, count in counts.items() if count > cap})
    return {key: kept[key] if key in kept else counts[key] for key in queries}


def capped_counts(
    queryset: QuerySet,
    subsets: dict[str, Q],
    *,
    cap: int = COUNT_CAP,
    caps: dict | None = None,
    kept_for: dict | None = None,
) -> dict[str, tuple[int, bool]]:
    """How many rows of `queryset` match each of `subsets`, exact up to `cap`, beyond it the
    planner's estimate: exact counts in one round trip, plus one more for the planner's
    estimates of all the subsets past the cap (a subset this process found past
    the cap less than ESTIMATE_SECONDS ago keeps that estimate, uncounted).
    Returns {key: (count, is_estimate)}.

    SQLite always counts exactly. On PostgreSQL an exact count of a million rows costs tens of
    milliseconds on every page view, and nobody needs to know it's 1,000,017 rather than about a
    million. `caps` gives some subsets a cap of their own ({key: cap}), and `kept_for` lets
    some keep their exact count a few seconds ({key: seconds}; PostgreSQL only, as the estimates).
    """
    return _capped(queryset.db, _subsets(queryset, subsets), cap=cap, caps=caps, kept_for=kept_for)


def capped_totals(
    querysets: dict[str, QuerySet], *, cap: int = COUNT_CAP
) -> dict[str, tuple[int, bool]]:
    """`capped_counts` of querysets of different tables, such as a dashboard's headline
    numbers: how many rows each has, in the same round trips. They must read one database.
    Returns {key: (count, is_estimate)}."""
    databases = {queryset.db for queryset in querysets.values()}
    if len(databases) != 1:
        raise ValueError(f"capped_totals needs querysets of one database, not {databases}.")
    queries = {key: _Subset(queryset) for key, queryset in querysets.items()}
    return _capped(databases.pop(), queries, cap=cap)


def _capped(
    database: str,
    queries: dict[str, "_Subset"],
    *,
    cap: int,
    caps: dict | None = None,
    kept_for: dict | None = None,
) -> dict[str, tuple[int, bool]]:
    if connections[database].vendor != "postgresql":
        return {key: (count, False) for key, count in _count(database, queries).items()}
    caps = {key: (caps or {}).get(key, cap) for key in queries}
    kept, counts = _kept_or_counted(database, queries, caps=caps, kept_for=kept_for)
    past_cap = {key: queries[key] for key, count in counts.items() if count > caps[key]}
    # Never less than the count saw, now or when a later view finds it kept.
    estimates = {
        key: max(estimate, counts[key]) for key, estimate in _estimate(database, past_cap).items()
    }
    _keep(past_cap, estimates)
    estimated = kept | estimates
    return {
        key: (estimated[key], True) if key in estimated else (counts[key], False) for key in queries
    }


def _kept_or_counted(
    database: str,
    queries: dict[str, "_Subset"],
    *,
    caps: dict[str, int],
    kept_for: dict | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """Of `queries`, the numbers kept for those past their cap less than ESTIMATE_SECONDS ago,
    and the others' counts: each counted up to its cap ({key: cap}) + 1 rows, in one round trip
    (none when all are kept), or, for those `kept_for` names ({key: seconds}), counted that
    long ago."""
    kept = _recent(queries)
    kept_for = {key: seconds for key, seconds in (kept_for or {}).items() if key not in kept}
    counted = _recent({key: queries[key] for key in kept_for}, _kept_counts)
    known = kept.keys() | counted.keys()
    unkept = {key: query for key, query in queries.items() if key not in known}
    counts = _count(database, unkept, limits={key: caps[key] + 1 for key in unkept})
    for key, seconds in kept_for.items():
        if key in counts and counts[key] <= caps[key]:
            _keep({key: queries[key]}, {key: counts[key]}, seconds=seconds, store=_kept_counts)
    return kept, counted | counts


class TabCounts(dict):
    """{key: (count, is_estimate)} of the subsets of `queryset`; `matches` holds the primary
    keys of all its rows when the count read them and they were few (see `sampled_counts`),
    else None."""

    def __init__(self, counts: dict, queryset: QuerySet, matches: list | None = None):
        super().__init__(counts)
        self.queryset, self.matches = queryset, matches

    @property
    def rows(self) -> QuerySet:
        """The counted queryset to page: fetched by primary key when the count found its rows,
        so a search runs once per page view."""
        if self.matches is None:
            return self.queryset
        return self.queryset.model._default_manager.filter(pk__in=self.matches)


def sampled_counts(queryset: QuerySet, subsets: dict[str, Q], *, cap: int = COUNT_CAP) -> TabCounts:
    """`capped_counts` for a queryset that is costly to read, such as a text search: every
    subset is counted in one read of at most `cap` + 1 of its rows.

    When the queryset has no more rows than `cap`, those counts are exact. Otherwise (PostgreSQL)
    they are the planner's estimates, never less than what the read saw; and when the planner
    expects far more rows than `cap` (SKIP_READ_FACTOR times), nothing is read: the counts would
    be its estimates anyway. Estimates are kept like `capped_counts` keeps its estimates.
    The primary keys of a search that matches at most FEW_MATCHES rows are kept in `matches`
    (`TabCounts.rows` pages them). Returns {key: (count, is_estimate)}.
    """
    if connections[queryset.db].vendor != "postgresql":
        return TabCounts(capped_counts(queryset, subsets, cap=cap), queryset)
    queries = _subsets(queryset, {_ALL_SEEN: Q()} | subsets)
    # Estimates made less than ESTIMATE_SECONDS ago: the same search, another page or tab of it.
    kept = _recent(queries)
    if kept.keys() >= subsets.keys():
        return TabCounts({key: (kept[key], True) for key in subsets}, queryset)
    # The planner is asked about the whole queryset first: a rare search's tabs then cost one
    # cheap EXPLAIN and the read, not an EXPLAIN of every tab (each plans the search again).
    everything = kept.get(_ALL_SEEN)
    if everything is None:
        whole = {_ALL_SEEN: queries[_ALL_SEEN]}
        everything = _estimate(queryset.db, whole)[_ALL_SEEN]
        # Kept however small: it only decides whether the search is read, so a rare search's
        # next views are its read alone (the EXPLAIN planned the search: ~1 ms of a 14 ms page).
        _keep(whole, {_ALL_SEEN: everything})
    if everything > SKIP_READ_FACTOR * cap:
        unknown = {
            key: queries[key] for key, condition in subsets.items() if condition and key not in kept
        }
        made = dict.fromkeys(subsets.keys() - kept.keys(), everything)
        if unknown:
            made |= _estimate(queryset.db, unknown)
        _keep(queries, made)
        estimated = {key: (kept.get(key, made.get(key)), True) for key in subsets}
        return TabCounts(estimated, queryset)
    matches, seen = _read(queryset, subsets, cap=cap)
    if len(matches) <= cap:
        exact = {key: (count, False) for key, count in seen.items()}
        return TabCounts(exact, queryset, matches if len(matches) <= FEW_MATCHES else None)
    estimates = _estimate(queryset.db, {key: queries[key] for key in subsets})
    counts = {key: max(estimates[key], count) for key, count in seen.items()}
    # Kept like the others, so the search's next pages and tabs don't read it again.
    _keep(queries, counts)
    return TabCounts({key: (count, True) for key, count in counts.items()}, queryset)


# A search that matches at most this many rows is paged by their primary keys (TabCounts.rows)
# rather than searched again. Among 3.1 million payments, a page of a rare customer's name
# searched again took 11.5 ms, the same page of ten payments by primary key 5.1 ms, but of a
# thousand 40 ms (each id is an index lookup; Django compiles a parameter per id).
FEW_MATCHES = 50


def _read(queryset: QuerySet, subsets: dict[str, Q], *, cap: int) -> tuple[list, dict]:
    """The primary keys of up to `cap` + 1 rows of `queryset`, and how many of them each
    subset holds. (As cheap as counting them in the database: the search's index scan is
    the cost either way.)"""
    flagged = [key for key, condition in subsets.items() if condition]
    flags = {
        f"in_subset_{position}": ExpressionWrapper(subsets[key], output_field=BooleanField())
        for position, key in enumerate(flagged)
    }
    rows = list(queryset.order_by().annotate(**flags).values_list("pk", *flags)[: cap + 1])
    # A subset without a condition holds every row.
    seen = dict.fromkeys(subsets, len(rows))
    for column, key in enumerate(flagged, start=1):
        seen[key] = sum(1 for row in rows if row[column])
    return [row[0] for row in rows], seen


# A trigram search's read can't stop early: PostgreSQL first builds the bitmap of every match
# (8 ms for a last name 10,000 of a million customers share). So a search the planner expects
# to match this many times the cap is not read; planner estimates of searches are within a
# factor of two here (search_text has a statistics target of 1,000, migration customers/0007).
SKIP_READ_FACTOR = 3


def tab_counts(
    queryset: QuerySet,
    subsets: dict[str, Q],
    *,
    searched: bool,
    cap: int = COUNT_CAP,
    caps: dict | None = None,
    kept_for: dict | None = None,
) -> TabCounts:
    """The counts of a list's tabs: a searched list is read once for all its tabs
    (`sampled_counts`), since each read repeats the search; an unsearched one counts each tab
    on its own index (`capped_counts`, where `caps` gives some tabs a cap of their own and
    `kept_for` lets some keep their count a few seconds). Returns {key: (count, is_estimate)}."""
    if searched:
        return sampled_counts(queryset, subsets, cap=cap)
    counts = capped_counts(queryset, subsets, cap=cap, caps=caps, kept_for=kept_for)
    return TabCounts(counts, queryset)


def counted_tabs(labels: dict[str, str], counts: dict[str, tuple[int, bool]]) -> list[dict]:
    """A list's tabs as the `list_tabs` tag shows them: each key with its label and its
    count from `capped_counts` / `sampled_counts`, "≈" marking an estimate."""
    return [
        list_tab(key, label, counts[key][0], is_estimate=counts[key][1])
        for key, label in labels.items()
    ]


def list_tab(key: str, label: str, count: int, *, is_estimate=False, more=False) -> dict:
    """One tab of the `list_tabs` tag (network_admin/templatetags/list_controls.py): `count`
    rows, "≈" before it if it `is_estimate`, "+" after it if there are `more`."""
    return {"key": key, "label": label, "count": count, "is_estimate": is_estimate, "more": more}


# The whole queryset's key beside the subsets' (for its sample's row count and its estimate): a
# name no caller's subset can have.
_ALL_SEEN = "__all_seen"


# A planner estimate moves only when PostgreSQL re-analyzes the table, and it is shown as "≈":
# each process keeps those of tabs past the cap this long, so such a tab costs neither its count
# nor an EXPLAIN on most page views (on the customer list, 1.1 of its ~12 ms). A tab that drops
# under the cap meanwhile shows its estimate until then.
ESTIMATE_SECONDS = 60
# At most this many are kept, the oldest dropped first (one per list, tab and search).
KEPT_ESTIMATES = 1_000
_kept_estimates: dict[tuple, tuple[float, int]] = {}
# Exact counts kept a few seconds where `capped_counts` is told to (`kept_for`), as many.
_kept_counts: dict[tuple, tuple[float, int]] = {}
# The SQL of subsets counted or estimated, by their kept key; as many as estimates are kept.
_compiled_subsets: dict[tuple, tuple[str, tuple]] = {}
_keeping = threading.Lock()


def forget_estimates() -> None:
    """Drop the kept estimates and counts (tests whose data differ but whose queries are the
    same)."""
    with _keeping:
        _kept_estimates.clear()
        _kept_counts.clear()


class _Subset:
    """Rows to count or estimate: the SQL and parameters of their primary keys (`query`), and
    the key their kept number is found by (`kept_key`), each made when first needed."""

    def __init__(self, queryset: QuerySet, condition: Q | None = None, kept_key=None):
        self.queryset, self.condition = queryset, condition
        # Given by `_subsets` before the subset's SQL is known, so the SQL can be found by it.
        self.given_key = kept_key

    @cached_property
    def query(self) -> tuple[str, tuple]:
        # A subset with a given key is compiled once per process: the same key is the same SQL,
        # and a tab under the cap is counted, so compiled, on every page view (~80 µs for the
        # customer list's Online tab).
        given = self.given_key
        compiled = None if given is None else _compiled_subsets.get(given)
        if compiled is None:
            rows = self.queryset if self.condition is None else self.queryset.filter(self.condition)
            compiled = rows.order_by().values("pk").query.sql_with_params()
            if given is not None:
                with _keeping:
                    _remember(_compiled_subsets, given, compiled)
        return compiled

    @cached_property
    def kept_key(self) -> tuple:
        if self.given_key is not None:
            return self.given_key
        sql, params = self.query
        return self.queryset.db, sql, tuple(params)


def _subsets(queryset: QuerySet, subsets: dict[str, Q]) -> dict[str, _Subset]:
    """Each subset of `queryset`, to count or estimate.

    Only `queryset` is compiled here: a subset's kept number is found by that SQL and the
    subset's condition (a Q compares and hashes by its contents), and a subset's own SQL is
    compiled only when it is counted or estimated. Compiling every subset of a list on every
    view, to look up numbers mostly kept, took ~1.5 ms of a searched membership list.
    """
    whole = _Subset(queryset).kept_key
    return {
        key: _Subset(queryset, condition, kept_key=(*whole, condition))
        for key, condition in subsets.items()
    }


def _count(database: str, queries: dict[str, _Subset], *, limits: dict | None = None):
    if not queries:
        return {}
    parts, params = [], []
    for key, subset in queries.items():
        sql, query_params = subset.query
        # Only SQL the ORM compiled (and an integer) is joined here; every value travels as a
        # parameter.
        limited = sql if limits is None else f"{sql} LIMIT {int(limits[key])}"
        parts.append(f"(SELECT COUNT(*) FROM ({limited}) AS subset)")  # noqa: S608
        params.extend(query_params)
    with connections[database].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)  # noqa: S608
        return dict(zip(queries, cursor.fetchone(), strict=True))


def _estimate(database: str, queries: dict[str, _Subset]) -> dict[str, int]:
    """The planner's row estimate of each query, from one EXPLAIN of their UNION ALL: each
    branch of the plan's Append node carries its own estimate.

    The plan is made without parallel workers: a parallel plan puts a Gather above the Append
    and gives each branch its rows per worker. Sent as one string, the three statements run as
    one implicit transaction, so the setting lasts for this EXPLAIN only. Three statements can't
    be one prepared statement: the values are bound into the text here, by psycopg's own
    client-side binding, and the text is sent without parameters, which psycopg never prepares.
    """
    if not queries:
        return {}
    compiled = [subset.query for subset in queries.values()]
    params = [param for _sql, query_params in compiled for param in query_params]
    union = " UNION ALL ".join(f"({sql})" for sql, _params in compiled)
    with connections[database].cursor() as cursor:
        # Only SQL the ORM compiled is joined here, and the values are quoted by psycopg.
        statements = psycopg.ClientCursor(cursor.connection).mogrify(
            "SET LOCAL max_parallel_workers_per_gather = 0; "
            f"EXPLAIN (FORMAT JSON) {union}; "
            "RESET max_parallel_workers_per_gather",
            params,
        )
        cursor.execute(statements)
        cursor.nextset()
        plan = cursor.fetchone()[0][0]["Plan"]
    branches = plan["Plans"] if len(queries) > 1 else [plan]
    return {key: int(branch["Plan Rows"]) for key, branch in zip(queries, branches, strict=True)}


def _keep(
    queries: dict[str, _Subset],
    numbers: dict[str, int],
    *,
    seconds: float | None = None,
    store: dict = _kept_estimates,
):
    """Keep the numbers of queries for `seconds`: by default, estimates of those past the cap,
    for ESTIMATE_SECONDS."""
    expires = time.monotonic() + (ESTIMATE_SECONDS if seconds is None else seconds)
    with _keeping:
        for key, number in numbers.items():
            _remember(store, queries[key].kept_key, (expires, number))


def _remember(kept: dict, key, value) -> None:
    """`value` under `key` in one of the per-process dicts, re-inserted at the end so that the
    oldest are dropped first, at most KEPT_ESTIMATES of them. Threaded workers share the dicts:
    call it holding `_keeping`, so that one at a time changes them."""
    kept.pop(key, None)
    kept[key] = value
    while len(kept) > KEPT_ESTIMATES:
        del kept[next(iter(kept))]


def _recent(queries: dict[str, _Subset], store: dict = _kept_estimates) -> dict[str, int]:
    """The numbers `_keep` keeps in `store` of those of `queries`, where they haven't expired:
    by default, estimates made less than ESTIMATE_SECONDS ago."""
    now = time.monotonic()
    recent = {}
    for key, subset in queries.items():
        expires, number = store.get(subset.kept_key, (0.0, 0))
        if now < expires:
            recent[key] = number
    return recent

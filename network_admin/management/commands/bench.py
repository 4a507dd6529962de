"""Time every list and detail page against the configured database (see docs/performance.md).

Each page is requested through Django's test client, in this process, so the time is server
time only: URL routing, middleware, queries and template rendering, without a network or a web
server in front. Run it with DEBUG off (production settings: cached templates, no query log).
"""

import itertools
import platform
import resource
import statistics
import sys
import sysconfig
import time
from dataclasses import dataclass
from operator import itemgetter
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.forms import CustomerListForm
from customers.models import Customer, LoginRecord, User
from events.models import Event
from memberships.forms import MembershipListForm
from memberships.models import Membership
from payments.forms import PaymentListForm
from payments.models import Payment
from sites.forms import SiteListForm
from sites.models import Site

BENCH_USERNAME = "bench-admin"
# Page budgets of docs/performance.md, in ms at p95.
PAGE_BUDGET_MS, SEARCH_BUDGET_MS = 20, 15
QUERY_BUDGET, HEAVY_CUSTOMER_QUERY_BUDGET = 8, 12
EXPORT_ROWS_PER_S, EXPORT_PEAK_MB = 30_000, 150
# Plans are shown for the slowest query of a page only; its first lines say which index it uses.
PLAN_LINES = 12
# The loop of `_cpu_check`: ~0.1-0.2 s on the machines measured so far.
CPU_CHECK_LOOP = 1_000_000


@dataclass
class Page:
    name: str
    url: str
    budget_ms: float = PAGE_BUDGET_MS
    query_budget: int = QUERY_BUDGET


@dataclass
class Result:
    page: Page
    median_ms: float
    p95_ms: float
    queries: int
    slowest_sql: str
    slowest_ms: float

    @property
    def ok(self) -> bool:
        return self.p95_ms <= self.page.budget_ms and self.queries <= self.page.query_budget


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = (
        "Time the list, detail, search and export pages (median and p95 server time, query "
        "count) and print one table; --explain adds the plan of each page's slowest query."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30, help="Timed requests per page.")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed requests first.")
        parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page.")
        parser.add_argument("--no-export", action="store_true", help="Skip the CSV export.")
        parser.add_argument("--only", default="", help="Only pages whose name contains this.")
        parser.add_argument(
            "--sweep",
            metavar="NAME",
            default="",
            help="Instead of the pages: NAME and a customer's username searched in every tab "
            "(and sort) of the customer, membership, payment and site lists.",
        )

    def handle(self, *args, **options):
        if options["requests"] < 1:
            raise CommandError("--requests must be at least 1.")
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: templates are not cached, these are not real numbers.")
        client = self._client()
        # Pages are mostly Python: how the interpreter was built moves every number (an
        # unoptimized build, as pyenv makes by default, was up to 1.4x slower; docs/deployment.md).
        self.stdout.write(
            f"Python: {platform.python_version()} ({sys.executable}), {_interpreter_build()}"
        )
        self.stdout.write(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
        self.stdout.write(f"Customers: {Customer.objects.count():,}")
        if connection.vendor == "postgresql":
            self.stdout.write(f"Customers table: {_changed_since_vacuum(Customer)}")
        loaders = [type(loader).__module__ for loader in engines["django"].engine.template_loaders]
        self.stdout.write(f"Template loaders: {', '.join(loaders)}")
        self.stdout.write(f"CPU check before: {_cpu_check()}")
        export = None
        # The export runs first, so the process's peak memory is the export's own.
        if not options["no_export"] and "export" in (options["only"] or "export"):
            export = self._export(client)
        pages = self._sweep(options["sweep"]) if options["sweep"] else self._pages()
        pages = [page for page in pages if options["only"] in page.name]
        results = [self._time(client, page, options) for page in pages]
        self.stdout.write(f"CPU check after: {_cpu_check()}")
        self._table(results, export)
        if options["explain"]:
            for result in results:
                self._explain(result)

    def _client(self) -> Client:
        host = next((host for host in settings.ALLOWED_HOSTS if "*" not in host), "testserver")
        client = Client(HTTP_HOST=host.lstrip("."), raise_request_exception=True)
        client.force_login(self._admin())
        return client

    def _admin(self) -> User:
        """A network admin to browse as: an existing one, else a passwordless bench account."""
        group = Group.objects.get(name="Network admin")
        admin = group.user_set.filter(is_active=True, is_staff=True, is_superuser=False).first()
        if admin is None:
            admin, _created = User.objects.get_or_create(
                username=BENCH_USERNAME, defaults={"is_staff": True, "email": "bench@localhost"}
            )
            admin.set_unusable_password()
            admin.save()
            admin.groups.add(group)
        return admin

    def _ordinary(self) -> Customer:
        # The newest: its username ends in its many-digit number, so searching for it is rare.
        ordinary = Customer.objects.filter(vip=False).order_by("-pk").select_related("user").first()
        if ordinary is None:
            raise CommandError("No customers to time: run seed_demo first.")
        return ordinary

    def _pages(self) -> list[Page]:
        ordinary = self._ordinary()
        heavy = (
            Customer.objects.filter(vip=True)
            .annotate(payment_count=Count("payments"))
            .order_by("-payment_count")
            .first()
        )
        if heavy is None:
            raise CommandError("No VIP customer to time: run seed_demo first.")
        membership = ordinary.memberships.order_by("pk").first() or Membership.objects.first()
        payment = ordinary.payments.order_by("pk").first() or Payment.objects.first()
        site = ordinary.sites.order_by("pk").first() or Site.objects.first()
        event = Event.objects.filter(customer_id=ordinary.pk).order_by("pk").first()
        login = (
            ordinary.logins.order_by("-pk").first() or LoginRecord.objects.order_by("-pk").first()
        )
        # A last name thousands of customers share: searched on every list, which match owners.
        common = ordinary.user.last_name.lower()
        # Their username: one customer's, searched on every list too.
        rare = ordinary.user.username
        customers = reverse("customers:list")
        pages = [
            Page("dashboard", reverse("home")),
            Page("customers: page 1", customers),
            Page("customers: last page", f"{customers}?page=last"),
            Page("customers: VIP tab", f"{customers}?tab=vip"),
            # How many are online depends on when it runs: seed_demo leaves 1 % of the customers
            # online, for three minutes.
            Page(
                f"customers: Online tab ({Customer.objects.online().count():,} online)",
                f"{customers}?tab=online",
            ),
            Page("customers: rows view", f"{customers}?view=list"),
            Page("customers: rows view, 100 per page", f"{customers}?view=list&per_page=100"),
            Page("customers: sort by name", f"{customers}?sort=name"),
            Page(
                "customers: sort by last login, last page", f"{customers}?sort=last_login&page=last"
            ),
            *(
                Page(
                    f"customers: {kind} search ({Customer.objects.search(term).count():,} found)",
                    f"{customers}?q={term}",
                    SEARCH_BUDGET_MS,
                )
                for kind, term in (
                    ("rare", rare),
                    ("common", common),
                    ("reference", ordinary.reference),
                )
            ),
            Page(
                "customers: common search, sorted by name",
                f"{customers}?{urlencode({'q': common, 'sort': 'name'})}",
                SEARCH_BUDGET_MS,
            ),
            # A common name in a tab that few customers are in: walked by the tab's order, a
            # search must pass many customers of the tab to fill a page.
            *(
                Page(
                    f"customers: common search in the VIP tab{suffix}",
                    f"{customers}?{urlencode({'q': common, 'tab': 'vip', **sort})}",
                    SEARCH_BUDGET_MS,
                )
                for suffix, sort in (("", {}), (", sorted by name", {"sort": "name"}))
            ),
            *(
                [
                    Page(
                        "customers: IP address search",
                        f"{customers}?{urlencode({'q': login.ip_address})}",
                        SEARCH_BUDGET_MS,
                    )
                ]
                if login is not None and login.ip_address
                else []
            ),
            Page("customer page: ordinary", reverse("customers:detail", args=[ordinary.pk])),
            Page(
                "customer page: heavy",
                reverse("customers:detail", args=[heavy.pk]),
                query_budget=HEAVY_CUSTOMER_QUERY_BUDGET,
            ),
        ]
        for app, obj in (
            ("memberships", membership),
            ("payments", payment),
            ("sites", site),
            ("events", event),
        ):
            url = reverse(f"{app}:list")
            pages += [
                Page(f"{app}: page 1", url),
                Page(f"{app}: last page", f"{url}?page=last"),
                Page(f"{app}: detail", reverse(f"{app}:detail", args=[obj.pk])),
                Page(f"{app}: common owner search", f"{url}?q={common}", SEARCH_BUDGET_MS),
                Page(f"{app}: rare owner search", f"{url}?q={rare}", SEARCH_BUDGET_MS),
            ]
        # The same in the pending sites' tab, whose sites have no owner: none of them match.
        pages.append(
            Page(
                "sites: common owner search in the Pending tab",
                f"{reverse('sites:list')}?{urlencode({'q': common, 'tab': 'pending'})}",
                SEARCH_BUDGET_MS,
            )
        )
        heavy_memberships = f"{reverse('memberships:list')}?customer={heavy.pk}"
        pages.append(Page("memberships: of the heavy customer", heavy_memberships))
        pages.append(
            Page("events: of the heavy customer", f"{reverse('events:list')}?customer={heavy.pk}")
        )
        # A rare value of a filter, the oldest first: a prepared statement's generic plan,
        # which assumes every severity is as common, walked the oldest events for it (235 ms).
        events = reverse("events:list")
        pages.append(Page("events: errors, last page", f"{events}?severity=error&page=last"))
        # The commonest action (every change of a membership), the oldest first: planned as a
        # walk of all events testing the action it took 120 ms.
        pages.append(
            Page(
                "events: membership.updated, last page",
                f"{events}?action=membership.updated&page=last",
            )
        )
        # An action and a severity that seldom or never come together: either's own index reads
        # every event of it before the list can say "no events" (140 ms).
        pages.append(
            Page(
                "events: refunds that were errors",
                f"{events}?action=payment.refunded&severity=error",
            )
        )
        return pages

    def _sweep(self, common: str) -> list[Page]:
        """`common` and the ordinary customer's username searched in every tab of the customer
        (in every sort), membership, payment and site lists, first and last page. A search of
        many walks its tab's and order's index and tests each row it passes; in a tab few rows
        are in, a page of matches can be far along the walk (docs/performance.md, fifteenth
        pass)."""
        rare = self._ordinary().user.username
        lists = [
            ("customers", CustomerListForm.TABS, CustomerListForm.SORTS),
            ("memberships", MembershipListForm.TABS, [""]),
            ("payments", PaymentListForm.TABS, [""]),
            ("sites", SiteListForm.TABS, [""]),
        ]
        pages = []
        for app, tabs, sorts in lists:
            url = reverse(f"{app}:list")
            for tab, sort, term, page in itertools.product(
                tabs, sorts, (common, rare), ("", "last")
            ):
                shown = {"q": term, "tab": tab, "sort": sort, "page": page}
                query = urlencode({key: value for key, value in shown.items() if value})
                words = [f"{app}: {tab}", sort, f'"{term}"', page and "last page"]
                pages.append(
                    Page(" ".join(filter(None, words)), f"{url}?{query}", SEARCH_BUDGET_MS)
                )
        return pages

    def _get(self, client: Client, url: str):
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}.")
        return response

    def _time(self, client: Client, page: Page, options) -> Result:
        for _ in range(options["warmup"]):
            self._get(client, page.url)
        times = []
        for _ in range(options["requests"]):
            started = time.perf_counter()
            self._get(client, page.url)
            times.append((time.perf_counter() - started) * 1000)
        # Counted on a separate request: recording queries would slow the timed ones. The
        # recorder keeps each query's SQL with its values (for EXPLAIN) but its time only to
        # the millisecond; the wrapper times each one finely.
        timings = []

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started) * 1000)

        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timed):
            self._get(client, page.url)
        slowest_ms, slowest = max(
            zip(timings, queries.captured_queries, strict=True), key=itemgetter(0)
        )
        return Result(
            page=page,
            median_ms=statistics.median(times),
            p95_ms=percentile(times, 0.95),
            queries=len(queries),
            slowest_sql=slowest["sql"],
            slowest_ms=slowest_ms,
        )

    def _export(self, client: Client) -> dict:
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        response = client.get(reverse("customers:export"), secure=True)
        if response.status_code != 200:
            raise CommandError(f"The export answered {response.status_code}.")
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        seconds = time.perf_counter() - started
        rows = lines - 1  # the header
        return {
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "peak_mb": _peak_rss_mb(),
            "growth_mb": _peak_rss_mb() - rss_before,
        }

    def _table(self, results: list[Result], export: dict | None):
        width = max(len(result.page.name) for result in results) if results else 20
        header = (
            f"{'page':<{width}}  {'median ms':>9}  {'p95 ms':>7}  {'budget':>6}  "
            f"{'queries':>7}  {'slowest SQL ms':>14}  ok"
        )
        self.stdout.write("\n" + header)
        self.stdout.write("-" * len(header))
        for result in results:
            page = result.page
            self.stdout.write(
                f"{page.name:<{width}}  {result.median_ms:>9.1f}  {result.p95_ms:>7.1f}  "
                f"{page.budget_ms:>6.0f}  {result.queries:>3} / {page.query_budget:<2}  "
                f"{result.slowest_ms:>14.2f}  {'yes' if result.ok else 'NO'}"
            )
        missed = [result.page.name for result in results if not result.ok]
        if export:
            ok = export["rows_per_s"] >= EXPORT_ROWS_PER_S and export["peak_mb"] < EXPORT_PEAK_MB
            if not ok:
                missed.append("CSV export")
            self.stdout.write(
                f"\nCSV export: {export['rows']:,} rows in {export['seconds']:.1f} s = "
                f"{export['rows_per_s']:,.0f} rows/s (budget {EXPORT_ROWS_PER_S:,}); peak memory "
                f"{export['peak_mb']:.0f} MB for the whole process, {export['growth_mb']:.0f} MB "
                f"of it during the export (budget {EXPORT_PEAK_MB} MB): {'yes' if ok else 'NO'}"
            )
        self.stdout.write(f"\nOver budget: {', '.join(missed) if missed else 'none'}")

    def _explain(self, result: Result):
        self.stdout.write(f"\n== {result.page.name}: slowest query ({result.slowest_ms:.2f} ms)")
        analyze = "ANALYZE, " if connection.vendor == "postgresql" else ""
        prefix = f"EXPLAIN ({analyze}COSTS OFF)" if analyze else "EXPLAIN QUERY PLAN"
        with connection.cursor() as cursor:
            # The SQL was captured from this process's own requests, values already quoted.
            cursor.execute(f"{prefix} {result.slowest_sql}")
            plan = [str(row[-1]) for row in cursor.fetchall()]
        self.stdout.write(result.slowest_sql[:300])
        self.stdout.write("\n".join(plan[:PLAN_LINES]))


def _interpreter_build() -> str:
    """Whether CPython was compiled with profile-guided and link-time optimization (pyenv's
    default build is not; on the pages that was worth 1.1-1.3 times, docs/performance.md)."""
    options = sysconfig.get_config_var("CONFIG_ARGS") or ""
    used = [
        name
        for name, flag in (("PGO", "--enable-optimizations"), ("LTO", "--with-lto"))
        if flag in options
    ]
    return f"built with {' and '.join(used)}" if used else "built without PGO or LTO"


def _changed_since_vacuum(model) -> str:
    """How many of `model`'s rows changed since its table was last vacuumed (PostgreSQL's
    statistics, which lag a second behind). An index walk reads the pages of those rows from
    the table too, so the same page is slower on a table vacuumed long ago (docs/performance.md,
    sixteenth pass); with autovacuum off, as on a CI machine, only a VACUUM by hand clears them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = %s::regclass",
            [model._meta.db_table],
        )
        (changed,) = cursor.fetchone()
        cursor.execute("SHOW autovacuum")
        (autovacuum,) = cursor.fetchone()
    return f"{changed:,} rows changed since its last vacuum (autovacuum {autovacuum})"


def _cpu_check() -> str:
    """How fast this machine runs plain Python right now. The same page's times moved by up to
    1.8 times within an hour on one machine (docs/performance.md, eleventh pass), so a table is
    read against this: printed before and after the pages are timed."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(CPU_CHECK_LOOP):
            total += number * number
        runs.append(time.perf_counter() - started)
    return f"{CPU_CHECK_LOOP:,} Python multiply-adds in {min(runs) * 1000:.0f} ms (best of 3)"


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

"""`manage.py seed_demo`: a realistic, internally consistent demo network, fast enough to build a
million customers.

Rows come from plain `random` and small built-in pools of names and places (not Faker: it is a
test-only dependency, and `first_run` calls this command on fresh installations). They are written
a batch of customers at a time, each batch in one transaction: through COPY on PostgreSQL and
`bulk_create` elsewhere. Primary keys are reserved before a batch is generated, so its rows can
point at each other without a query per row. On PostgreSQL a second thread writes one batch while
the next is generated, and a big first load restores indexes and foreign keys only at the end.
"""

import bisect
import itertools
import random
import re
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import iptocc
import orjson
import psycopg
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from customers.models import Customer, CustomField, LoginRecord, Note, User
from events.models import Event
from memberships.models import Membership, MembershipAddon, Product
from network_admin.references import ALPHABET
from payments.models import CENT, InvoiceCounter, LineItem, Payment, Refund
from sites.models import Site

DAY = 86400.0
HISTORY = 730 * DAY  # Customers joined over the last two years.
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
ZERO = Decimal("0.00")
EMAIL_DOMAIN = "example.com"
CUSTOM_DOMAIN = "example.net"
MAIN_DOMAIN = "network.example.org"

# (name, slug, price, setup fee, recurring, billing period, share of new memberships)
PLANS = [
    ("Free", "free", "0.00", "0.00", False, "month", 8),
    ("Starter", "starter", "9.00", "0.00", True, "month", 35),
    ("Business", "business", "29.00", "0.00", True, "month", 30),
    ("Premium", "premium", "99.00", "49.00", True, "month", 17),
    ("Agency (yearly)", "agency-yearly", "990.00", "0.00", True, "year", 10),
]
# Add-ons: packages are billed with every renewal, services once.
PACKAGES = [
    ("Extra storage (10 GB)", "extra-storage", "5.00"),
    ("Custom domain", "custom-domain", "2.50"),
    ("Priority support", "priority-support", "19.00"),
    ("Daily backups", "daily-backups", "4.00"),
]
SERVICES = [
    ("Site migration", "site-migration", "149.00"),
    ("Logo design", "logo-design", "299.00"),
    ("SEO audit", "seo-audit", "199.00"),
]
# The network's own sites besides the main one: (title, subdomain, type).
NETWORK_SITES = [
    ("Blog template", "template-blog", "site_template"),
    ("Online shop template", "template-shop", "site_template"),
    ("Portfolio template", "template-portfolio", "site_template"),
    ("Restaurant template", "template-restaurant", "site_template"),
    ("Help center", "help", "regular"),
    ("Status page", "status", "regular"),
    ("Partner portal", "partners", "pending"),
]


def words(text: str, sep: str | None = None) -> list[str]:
    """Split a pool written as one string: a hundred names stay a few lines long."""
    return text.split(sep)


FIRST_NAMES = words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony "
    "Betty Mark Sandra Steven Ashley Paul Emily Andrew Donna Joshua Michelle Kevin Carol Brian "
    "Amanda Ahmad Siti Budi Dewi Agus Putri Rizky Ayu Hendra Ratna Wahyu Indah Eko Sri Yusuf Nur "
    "Fajar Intan Dimas Lestari Lucas Sofia Mateo Valentina Hugo Chloe Liam Emma Noah Olivia Lukas "
    "Mia Jonas Hannah Elias Lena Kenji Yuki Haruto Sakura Wei Mei Arjun Priya Rahul Ananya Omar "
    "Fatima Ali Aisha Kwame Amara Chidi Zainab Mateus Camila Diego Lucia Pierre Camille"
)
LAST_NAMES = words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark "
    "Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter "
    "Mitchell Santoso Wijaya Hidayat Saputra Pratama Kusuma Nugroho Setiawan Halim Gunawan Siregar "
    "Hartono Susanto Rahman Tanaka Suzuki Sato Watanabe Kim Park Nguyen Tran Chen Wang Li Zhang "
    "Patel Sharma Singh Kumar Mueller Schmidt Schneider Fischer Weber Dubois Moreau Laurent Rossi "
    "Russo Ferrari Silva Santos Oliveira Costa Pereira Novak Kowalski Nowak Jansen Visser Okafor "
    "Mensah Haddad Cohen Murphy Kelly O'Connor McAllister"
)
# (city, state, country, postal code pattern where # is a digit and @ a letter, weight)
PLACES = [
    ("Austin", "TX", "US", "787##", 6),
    ("Seattle", "WA", "US", "981##", 5),
    ("Brooklyn", "NY", "US", "112##", 6),
    ("Denver", "CO", "US", "802##", 4),
    ("Chicago", "IL", "US", "606##", 5),
    ("San Diego", "CA", "US", "921##", 5),
    ("Atlanta", "GA", "US", "303##", 4),
    ("Jakarta Selatan", "DKI Jakarta", "ID", "12###", 5),
    ("Bandung", "Jawa Barat", "ID", "40###", 3),
    ("Surabaya", "Jawa Timur", "ID", "60###", 3),
    ("Denpasar", "Bali", "ID", "80###", 2),
    ("Yogyakarta", "DI Yogyakarta", "ID", "55###", 2),
    ("London", "", "GB", "SW# #@@", 5),
    ("Manchester", "", "GB", "M# #@@", 2),
    ("Berlin", "", "DE", "10###", 4),
    ("München", "Bayern", "DE", "80###", 2),
    ("Paris", "", "FR", "750##", 3),
    ("Lyon", "", "FR", "6900#", 1),
    ("Amsterdam", "Noord-Holland", "NL", "10## @@", 2),
    ("Sydney", "NSW", "AU", "20##", 3),
    ("Melbourne", "VIC", "AU", "30##", 2),
    ("Toronto", "ON", "CA", "M#@ #@#", 3),
    ("Vancouver", "BC", "CA", "V#@ #@#", 2),
    ("São Paulo", "SP", "BR", "0####-###", 2),
    ("Tokyo", "", "JP", "1##-####", 2),
    ("Bengaluru", "Karnataka", "IN", "560###", 2),
    ("Singapore", "", "SG", "######", 2),
    ("Lagos", "Lagos", "NG", "1#####", 1),
]
TAX_RATES = {
    "GB": Decimal("20.00"),
    "DE": Decimal("19.00"),
    "FR": Decimal("20.00"),
    "NL": Decimal("21.00"),
    "ID": Decimal("11.00"),
    "AU": Decimal("10.00"),
    "CA": Decimal("5.00"),
    "IN": Decimal("18.00"),
    "SG": Decimal("9.00"),
    "JP": Decimal("10.00"),
}
STREETS = words(
    "Main Street|Oak Avenue|Maple Drive|Park Road|High Street|Jalan Sudirman|Jalan Thamrin|"
    "Church Lane|Station Road|Elm Street|Harbour View|Market Square|Mill Lane|King Street|"
    "Rue de la Paix|Hauptstraße|Cedar Court|Sunset Boulevard|River Walk|Orchard Road",
    "|",
)
COMPANY_WORDS = words(
    "Blue Bright North Green Silver Golden Urban Coastal Swift Clever Little Bold Summit Pixel "
    "Maple Harbor Cedar Atlas Nova Lumen"
)
COMPANY_NOUNS = words(
    "Labs Media Studio Works Digital Bakery Coffee Design Travel Fitness Consulting Creative "
    "Garden Photography Kitchen Ventures Solutions Collective"
)
COMPANY_SUFFIXES = ["LLC", "Inc.", "Ltd", "GmbH", "& Co.", "Group", "", ""]
SITE_TOPICS = words(
    "Blog|Bakery|Portfolio|Photography|Kitchen|Travel Notes|Yoga Studio|Coffee Roasters|"
    "Bike Shop|Design Studio|Wedding Photos|Garden Journal|Book Club|Dental Clinic|Law Office",
    "|",
)
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
]
ADMIN_NAMES = ["Jane Admin", "Sam Agent", "Rina Support"]
CANCELLATION_REASONS = [
    "Too expensive",
    "Moved to another provider",
    "Project finished",
    "Missing features",
    "Taking a break",
    "Asked by email",
]
REFUND_REASONS = [
    "Duplicate charge",
    "Not satisfied",
    "Cancelled within the refund window",
    "Billing error",
    "Goodwill gesture",
]
NOTES = [
    "Called about moving their shop to a custom domain.",
    "Prefers to be contacted by email.",
    "Asked for an invoice with their VAT number.",
    "Interested in the Agency plan next year.",
    "Had trouble with the page builder; sent a help article.",
    "Referred two friends.",
]
CUSTOM_FIELDS = [
    ("industry", ["Retail", "Hospitality", "Education", "Health", "Non-profit", "Agency"]),
    ("referral", ["Google", "Friend", "Podcast", "Newsletter", "Conference"]),
    ("account-manager", ADMIN_NAMES),
    ("crm-id", None),
]

# (values, weights) of the main random choices.
MEMBERSHIPS_PER_CUSTOMER = ([0, 1, 2, 3], [11, 42, 33, 14])  # 1.5 on average
RENEWALS = ([0, 1, 2, 3, 4, 5], [28, 28, 20, 12, 7, 5])
STATUSES = (
    [
        Membership.Status.ACTIVE,
        Membership.Status.TRIALING,
        Membership.Status.PENDING,
        Membership.Status.ON_HOLD,
        Membership.Status.EXPIRED,
        Membership.Status.CANCELLED,
    ],
    [52, 5, 5, 6, 12, 20],
)
LOGINS = ([0, 1, 2, 3, 4, 6], [15, 25, 25, 15, 10, 10])
GATEWAYS = (["stripe", "paypal", "manual"], [60, 25, 15])
VIP_SHARE = 0.05
ONLINE_SHARE = 0.01
SITE_PER_MEMBERSHIP = 0.67
# Per customer: sites nobody owns (templates, the network's own, sites being set up).
SITE_TEMPLATE_SHARE = 0.002
SITE_REGULAR_SHARE = 0.01
SITE_PENDING_SHARE = 0.015
REFUND_SHARE = 0.03
FAILED_REFUND_SHARE = 0.005

# On PostgreSQL, loading this many customers into an empty network suspends the non-unique
# indexes and the foreign keys, and restores them at the end (see Writer.suspend_checks).
SUSPEND_CHECKS_FROM = 20000
# Indexes rebuilt at once after such a load. PostgreSQL builds a trigram (GIN) index on one
# core; two builders keep both cores of the machines this was measured on busy.
INDEX_BUILDERS = 2
# How PostgreSQL's binary inet format names the two families (its own numbers, not the OS's).
POSTGRES_AF_INET, POSTGRES_AF_INET6 = 2, 3

# An actor is (user id, name, IP address); the system has none of them.
SYSTEM = (None, "", None)
# The namespace of the refunds' idempotency keys (UUID 5 of the payment reference).
REFUND_KEYS = uuid.UUID("5eed0de4-0000-4000-8000-000000000000")

COLUMNS = {
    User: "id password last_login is_superuser username first_name last_name email is_staff "
    "is_active date_joined",
    Customer: "id reference user_id vip email_verification company_name billing_email "
    "address_line_1 address_line_2 city state postal_code country signup_source last_login "
    "last_seen created_at updated_at search_text first_name last_name",
    LoginRecord: "customer_id created_at ip_address country user_agent",
    Note: "customer_id author_id author_repr text created_at",
    CustomField: "customer_id key value",
    Membership: "id reference customer_id plan_id status initial_amount amount currency recurring "
    "auto_renew duration duration_unit billing_cycles times_billed gateway gateway_customer_id "
    "gateway_subscription_id cancellation_reason created_at activated_at trial_ends_at "
    "renewed_at cancelled_at expires_at updated_at owner_search_text",
    MembershipAddon: "membership_id product_id quantity",
    Payment: "id reference customer_id membership_id status currency subtotal discount_total "
    "tax_total total gateway gateway_payment_id invoice_number billing_name billing_email "
    "billing_address billing_country created_at updated_at owner_search_text",
    LineItem: "payment_id type product_id title description quantity unit_price tax_rate subtotal "
    "tax_total total",
    Refund: "payment_id amount reason status gateway_refund_id idempotency_key created_by_id "
    "created_by_repr created_at",
    Site: "id reference title domain path description type customer_id membership_id active "
    "created_at updated_at owner_search_text",
    Event: "created_at action severity initiator actor_id actor_repr object_type object_id "
    "object_repr customer_id ip_address payload",
}
COLUMNS = {model: columns.split() for model, columns in COLUMNS.items()}
# Written in this order, so every foreign key points at a row written before it.
MODELS = list(COLUMNS)

PAYMENT_STATUS = COLUMNS[Payment].index("status")
PAYMENT_INVOICE = COLUMNS[Payment].index("invoice_number")
PAYMENT_CREATED = COLUMNS[Payment].index("created_at")
INVOICED = (Payment.Status.COMPLETED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED)

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def weighted(rng, choices):
    """A function drawing from (values, weights) with a single `rng.random()` call."""
    values, weights = choices
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    return lambda: values[bisect.bisect(cumulative, rng.random() * total)]


class ReferenceCodes:
    """Reference codes that look random and never collide with another demo row's.

    A code is a keyed permutation (a four-round Feistel network over 50 bits, which is exactly ten
    base-32 characters) of the row's demo ordinal: distinct ordinals always give distinct codes,
    so no set of used codes has to be kept for a million rows. The keys are fixed per model, not
    seeded, so runs with different seeds can't collide either.
    """

    HALF = 25
    MASK = (1 << HALF) - 1
    PAIRS = [a + b for a in ALPHABET for b in ALPHABET]

    def __init__(self, model):
        keys = random.Random(f"reference codes of {model._meta.label}")
        self.keys = [keys.getrandbits(32) for _ in range(4)]

    def __call__(self, ordinal: int) -> str:
        left, right, mask = ordinal >> self.HALF, ordinal & self.MASK, self.MASK
        for key in self.keys:
            left, right = right, left ^ ((((right ^ key) * 0x9E3779B1) >> 13) & mask)
        value, pairs = (left << self.HALF) | right, self.PAIRS
        return (
            pairs[value >> 40]
            + pairs[(value >> 30) & 1023]
            + pairs[(value >> 20) & 1023]
            + pairs[(value >> 10) & 1023]
            + pairs[value & 1023]
        )


@dataclass
class SuspendedChecks:
    """What `Writer.suspend_checks` dropped, as the statements that restore it."""

    indexes: list[str]
    foreign_keys: list[str]  # added NOT VALID
    validations: list[str]


class Writer:
    """Writes generated rows: COPY on PostgreSQL, `bulk_create` elsewhere."""

    def __init__(self):
        self.postgresql = connection.vendor == "postgresql"
        self.next_id = {}

    def start_batch(self):
        """Call before generating a batch."""
        self.next_id = {}

    def start_transaction(self):
        """Call first inside the transaction that writes a batch."""
        if self.postgresql:
            # Demo data can be rebuilt: don't wait for the disk at every batch's commit.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def reserve_ids(self, model, count: int) -> list[int]:
        if count <= 0:
            return []
        if self.postgresql:
            # nextval() hands out ids no other session gets, even while the app is writing.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, count],
                )
                return [row[0] for row in cursor.fetchall()]
        # Elsewhere the batch's transaction holds the write lock (SQLite's IMMEDIATE mode), so no
        # one can take an id between reading the highest one and inserting.
        if model not in self.next_id:
            self.next_id[model] = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        first = self.next_id[model]
        self.next_id[model] = first + count
        return list(range(first, first + count))

    def suspend_checks(self) -> SuspendedChecks:
        """Drop the demo tables' non-unique indexes and foreign keys; return how to restore them.

        Filling tables and then indexing them and checking their foreign keys in one pass each
        is several times cheaper than doing both row by row. Unique indexes stay, so a duplicate
        still fails at once.
        """
        tables = [model._meta.db_table for model in MODELS]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(i.oid)
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = ANY(%s)
                  AND t.relnamespace = current_schema()::regnamespace
                  AND NOT x.indisunique
                ORDER BY i.relname
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                """
                SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid
                WHERE c.contype = 'f'
                  AND t.relname = ANY(%s)
                  AND t.relnamespace = current_schema()::regnamespace
                ORDER BY c.conname
                """,
                [tables],
            )
            foreign_keys = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        # Foreign keys are added NOT VALID first, so even if validating failed, new rows would be
        # checked.
        keys = [(quote(table), quote(name), definition) for table, name, definition in foreign_keys]
        return SuspendedChecks(
            indexes=[definition for _name, definition in indexes],
            foreign_keys=[
                f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID"
                for table, name, definition in keys
            ],
            validations=[
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}" for table, name, _ in keys
            ],
        )

    def restore_checks(self, suspended: SuspendedChecks):
        """Rebuild the dropped indexes, then re-add the foreign keys and check them."""
        # The trigram indexes take longest to build: started first, the builders finish at about
        # the same time.
        self.run_in_parallel(
            sorted(suspended.indexes, key=lambda index: " USING gin " not in index)
        )
        # Adding a constraint NOT VALID is instant, but locks the table it references against
        # the others being added: one at a time. Checking the rows, the slow part, is not.
        with connection.cursor() as cursor:
            for statement in suspended.foreign_keys:
                cursor.execute(statement)
        self.run_in_parallel(suspended.validations)

    def run_in_parallel(self, statements: list[str]):
        """Run statements that each take a while, INDEX_BUILDERS at a time on the builders' own
        connections, in the order given; one by one on this connection inside a transaction,
        whose rows the others couldn't see."""
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            return
        with ThreadPoolExecutor(max_workers=INDEX_BUILDERS) as builders:
            list(builders.map(self._run_alone, statements))

    @staticmethod
    def _run_alone(statement: str):
        """Run in a builder thread, on that thread's own connection."""
        try:
            with connection.cursor() as cursor:
                # A bigger sort area than the default 64 MB makes building big indexes faster.
                cursor.execute("SET maintenance_work_mem TO '256MB'")
                cursor.execute(statement)
        finally:
            connection.close()

    def id_stream(self, model, first_count: int, then: int):
        """Ids for rows whose number is only known while generating: reserve more as needed."""
        count = first_count
        while True:
            yield from self.reserve_ids(model, count)
            count = then

    def write(self, model, rows):
        if not rows:
            return
        columns = COLUMNS[model]
        if not self.postgresql:
            model.objects.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=1000
            )
            return
        # Fields added to a model after this command was written get their defaults.
        extra = [
            field
            for field in model._meta.concrete_fields
            if field.attname not in columns and not field.primary_key
        ]
        fields = [model._meta.get_field(name) for name in columns] + extra
        # Binary COPY spares the server parsing every value from text. Each column's type is its
        # field's database type without the size ("varchar(50)" is sent as "varchar").
        types = [field.db_type(connection).split("(")[0] for field in fields]
        quote = connection.ops.quote_name
        statement = "COPY {} ({}) FROM STDIN (FORMAT BINARY)".format(
            quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
        )
        with connection.cursor() as cursor:
            use_fast_dumpers(cursor.cursor)
            with cursor.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    if extra:
                        row = [*row, *(field.get_default() for field in extra)]
                    copy.write_row(row)


def use_fast_dumpers(cursor):
    """Make `cursor` (psycopg's) write JSON with orjson and IP addresses straight from text.

    JSON payloads and IP addresses were a third of the writer's Python: json.dumps takes ~5 µs
    a payload, orjson ~0.2; parsing an address into an `ipaddress` object for psycopg's own
    dumper ~3 µs, `inet_pton` ~0.2.
    """
    psycopg.types.json.set_json_dumps(orjson.dumps, cursor)
    cursor.adapters.register_dumper(None, TextInetBinaryDumper)


class TextInetBinaryDumper(psycopg.adapt.Dumper):
    """An IP address given as text ("203.0.113.7", "2001:db8::1"), in inet's binary form:
    family, prefix length, is-CIDR flag, length, then the address's bytes."""

    format = psycopg.pq.Format.BINARY
    oid = psycopg.postgres.types["inet"].oid

    def dump(self, obj: str) -> bytes:
        if ":" in obj:
            family, packed = POSTGRES_AF_INET6, socket.inet_pton(socket.AF_INET6, obj)
        else:
            family, packed = POSTGRES_AF_INET, socket.inet_pton(socket.AF_INET, obj)
        return bytes((family, 8 * len(packed), 0, len(packed))) + packed


class Command(BaseCommand):
    help = (
        "Build a realistic demo network: customers with login history, memberships with add-ons, "
        "payments with line items, invoice numbers and refunds, sites, and two years of events. "
        "Safe to re-run: when the database already has customers it adds nothing and says so; "
        "with --force-more it adds the requested customers next to the existing ones (usernames, "
        "emails, reference codes and domains never collide). The same --seed on an empty "
        "database gives the same network. On PostgreSQL a load of 20,000 customers or more into "
        "an empty network drops the tables' non-unique indexes and foreign keys and restores "
        "them at the end; Ctrl-C restores them too, but if the process is killed outright, drop "
        "the database and start again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=200, help="Customers to create (default 200)."
        )
        parser.add_argument("--seed", type=int, help="Seed for repeatable data.")
        parser.add_argument(
            "--heavy",
            type=int,
            default=0,
            help="Also create this many heavy customers (default 0), each with "
            "--heavy-memberships memberships, --heavy-payments payments and --heavy-events events.",
        )
        parser.add_argument("--heavy-memberships", type=int, default=50, help="Default 50.")
        parser.add_argument("--heavy-payments", type=int, default=1000, help="Default 1,000.")
        parser.add_argument("--heavy-events", type=int, default=10000, help="Default 10,000.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Customers per transaction (default 5,000).",
        )
        parser.add_argument(
            "--force-more",
            action="store_true",
            help="Add the demo customers even when the database already has customers.",
        )

    def handle(self, *args, **options):
        for name in ("customers", "heavy", "heavy_memberships", "heavy_payments", "heavy_events"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} can't be negative.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["heavy"] and options["heavy_payments"] < options["heavy_memberships"]:
            raise CommandError("Heavy customers need at least one payment per membership.")
        self.verbosity = options["verbosity"]
        existing = Customer.objects.count()
        if existing and not options["force_more"]:
            self.say(
                f"The database already has {existing:,} customers, so seed_demo added nothing. "
                "Pass --force-more to add demo customers anyway."
            )
            return

        started = time.monotonic()
        seed = options["seed"]
        if seed is None:
            seed = random.SystemRandom().getrandbits(32)
        heavy = (options["heavy_memberships"], options["heavy_payments"], options["heavy_events"])
        batches = [(size, None) for size in chunks(options["customers"], options["batch_size"])]
        batches += [(1, heavy)] * options["heavy"]
        total = options["customers"] + options["heavy"]

        writer = Writer()
        builder = Builder(seed, writer)
        with transaction.atomic():
            builder.setup()
        self.progress(0, total, started)
        # On PostgreSQL a second thread writes each batch (with its own connection) while the
        # next one is generated, so the database and Python work at the same time. Not when
        # called inside a transaction: the other connection couldn't see what it holds.
        if writer.postgresql and not connection.in_atomic_block:
            # A big first load indexes the tables and checks their foreign keys once, at the end.
            restore = None
            if not existing and total >= SUSPEND_CHECKS_FROM:
                restore = writer.suspend_checks()
            try:
                with ThreadPoolExecutor(max_workers=1) as thread:
                    try:
                        self.build(builder, batches, total, started, thread)
                    finally:
                        thread.submit(connections.close_all).result()
            finally:
                if restore:
                    self.say("\nIndexing and checking foreign keys…")
                    writer.restore_checks(restore)
        else:
            self.build(builder, batches, total, started)
        builder.keep_online()
        builder.analyze()

        if self.verbosity >= 1:
            self.stdout.write("")
            created = ", ".join(
                f"{count:,} {model._meta.verbose_name_plural}"
                for model, count in builder.created.items()
                if count
            )
            elapsed = time.monotonic() - started
            self.say(f"Created {created} in {elapsed:.1f} s (seed {seed}).")

    def build(self, builder, batches, total, started, thread=None):
        done = 0
        writing = None  # the batch being written, with its size
        for size, heavy_sizes in batches:
            if thread is None:
                with transaction.atomic():
                    builder.store(builder.generate(size, heavy_sizes))
                done += size
                self.progress(done, total, started)
                continue
            rows = builder.generate(size, heavy_sizes)
            if writing:
                writing[0].result()  # raises what went wrong in the writer
                done += writing[1]
                self.progress(done, total, started)
            writing = (thread.submit(builder.store, rows), size)
        if writing:
            writing[0].result()
            self.progress(done + writing[1], total, started)

    def say(self, message):
        if self.verbosity >= 1:
            self.stdout.write(message)

    def progress(self, done, total, started):
        if self.verbosity < 1 or not total:
            return
        width = 40
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - started
        self.stdout.write(f"\r[{bar}] {done:,}/{total:,} customers, {elapsed:.0f} s", ending="")
        self.stdout.flush()


def chunks(total, size):
    while total > 0:
        yield min(size, total)
        total -= size


class Builder:
    """Generates the demo network's rows, one batch of customers at a time.

    Times are handled as seconds before the start of the run ("ago"), so every random choice
    depends on the seed only, never on the clock.
    """

    def __init__(self, seed: int, writer):
        self.seed = seed
        self.writer = writer
        self.now = timezone.now()
        self.now_ts = self.now.timestamp()
        self.created = dict.fromkeys(MODELS, 0)
        self.codes = {
            model: ReferenceCodes(model) for model in (Customer, Membership, Payment, Site)
        }
        self.line_totals = {}
        self.online = []  # (customer id, seconds before the start the customer was last seen)

    # Setup: the product catalogue, the network's own sites, the admins, where ordinals start.

    def setup(self):
        # Ordinals name the demo rows (usernames, reference codes, domains). They continue after
        # the highest id in use, and every earlier demo row's ordinal is at most its own id, so
        # no ordinal can come round again. (Read before this setup adds sites: the same seed gives
        # the same network on any empty database, even where rolled-back ids were used up.)
        self.ordinal = {
            model: model.objects.aggregate(top=Max("pk"))["top"] or 0
            for model in (Customer, Membership, Payment, Site)
        }
        # Adding to an existing network with the same seed must not clone the first customers.
        self.rng = rng = random.Random(f"{self.seed}:{self.ordinal[Customer]}")
        rand = rng.random
        # Cheaper than rng.choice(), which matters a few million times over.
        self.pick = lambda seq: seq[int(rand() * len(seq))]
        self.place = weighted(rng, (PLACES, [place[-1] for place in PLACES]))
        self.membership_count = weighted(rng, MEMBERSHIPS_PER_CUSTOMER)
        self.renewals = weighted(rng, RENEWALS)
        self.status = weighted(rng, STATUSES)
        self.login_count = weighted(rng, LOGINS)
        self.gateway = weighted(rng, GATEWAYS)
        catalogue = [
            (name, slug, Product.Type.PLAN, price, fee, recurring, unit)
            for name, slug, price, fee, recurring, unit, _share in PLANS
        ]
        catalogue += [
            (name, slug, Product.Type.PACKAGE, price, "0", True, "month")
            for name, slug, price in PACKAGES
        ]
        catalogue += [
            (name, slug, Product.Type.SERVICE, price, "0", False, "month")
            for name, slug, price in SERVICES
        ]
        for name, slug, type_, price, fee, recurring, unit in catalogue:
            _product, created = Product.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "type": type_,
                    "amount": Decimal(price),
                    "setup_fee": Decimal(fee),
                    "recurring": recurring,
                    "duration_unit": unit,
                    "created_at": self.at(HISTORY + DAY),
                },
            )
            self.created[Product] = self.created.get(Product, 0) + created
        # Products an admin already made with these slugs are used as they are now.
        products = {p.slug: p for p in Product.objects.filter(slug__in=[c[1] for c in catalogue])}

        def of_type(slugs, type_):
            return [products[slug] for slug in slugs if products[slug].type == type_]

        plans = of_type([plan[1] for plan in PLANS], Product.Type.PLAN)
        if not plans:
            raise CommandError("The demo plans' slugs are taken by products that aren't plans.")
        shares = {plan[1]: plan[-1] for plan in PLANS}
        self.plan = weighted(self.rng, (plans, [shares[plan.slug] for plan in plans]))
        self.heavy_plans = [
            plan
            for plan in plans
            if plan.recurring and plan.amount > 0 and plan.duration_unit in ("day", "week", "month")
        ] or plans
        self.addons = of_type([p[1] for p in PACKAGES], Product.Type.PACKAGE)
        self.addons += of_type([s[1] for s in SERVICES], Product.Type.SERVICE)
        self.services = [addon for addon in self.addons if not addon.recurring]

        main = Site.objects.filter(type=Site.Type.MAIN).first()
        if main is None:
            main = Site.objects.create(
                title="Demo Network",
                domain=MAIN_DOMAIN,
                type=Site.Type.MAIN,
                description="The network's own site.",
                created_at=self.at(HISTORY + DAY),
            )
            self.created[Site] += 1
        self.base_domain = main.domain
        for title, subdomain, type_ in NETWORK_SITES:
            _site, created = Site.objects.get_or_create(
                domain=f"{subdomain}.{self.base_domain}",
                path="/",
                defaults={
                    "title": title,
                    "type": type_,
                    "active": type_ != Site.Type.PENDING,
                    "created_at": self.at(HISTORY),
                },
            )
            self.created[Site] += created

        staff = User.objects.filter(is_staff=True, is_active=True).order_by("pk")[:10]
        # Without staff accounts, admin actions keep only a name, as after the admin was deleted.
        admins = [(user.pk, str(user)) for user in staff] or [(None, name) for name in ADMIN_NAMES]
        self.admins = [(pk, name, self.public_ip()) for pk, name in admins]

        # One hash for everybody: nobody can log in with it, and hashing a million passwords
        # would take hours. Demo customers set a password through "forgot password".
        self.password = make_password(None)
        self.first_ordinal = self.ordinal[Customer]

    def keep_online(self):
        """Move the online customers' last_seen to the end of the run, which may be minutes later.

        Otherwise a big network would have nobody online by the time it is ready.
        """
        shift = timezone.now() - self.now
        Customer.objects.bulk_update(
            [Customer(pk=pk, last_seen=self.at(seen) + shift) for pk, seen in self.online],
            ["last_seen"],
            batch_size=1000,
        )

    def analyze(self):
        """Fresh statistics, so the first page views plan their queries for the real sizes."""
        if not self.writer.postgresql:
            return
        # Each ANALYZE of a big table samples it for seconds: two at once halve the wait.
        self.writer.run_in_parallel(
            [f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}" for model in MODELS]
        )

    # Helpers.

    def at(self, ago: float):
        """The time `ago` seconds before the run started (a negative `ago` is in the future)."""
        # Four times cheaper than `self.now - timedelta(seconds=ago)`, a few million times over.
        return datetime.fromtimestamp(self.now_ts - ago, UTC)

    def next_ordinal(self, model) -> int:
        self.ordinal[model] += 1
        return self.ordinal[model]

    def public_ip(self) -> str:
        while True:
            bits = self.rng.getrandbits(32)
            a, b, c, d = bits >> 24, (bits >> 16) & 255, (bits >> 8) & 255, bits & 255
            private = (
                a in (0, 10, 127)
                or a >= 224
                or (a == 100 and 64 <= b < 128)
                or (a == 169 and b == 254)
                or (a == 172 and 16 <= b < 32)
                or (a == 192 and b == 168)
                or d in (0, 255)
            )
            if not private:
                return f"{a}.{b}.{c}.{d}"

    def line(self, unit_price: Decimal, quantity: int, tax_rate: Decimal):
        """(subtotal, tax, total) of a line, exactly as `LineItem.compute_totals()` sets them."""
        key = (unit_price, quantity, tax_rate)
        totals = self.line_totals.get(key)
        if totals is None:
            subtotal = (unit_price * quantity).quantize(CENT)
            tax = (subtotal * tax_rate / 100).quantize(CENT)
            totals = self.line_totals[key] = (subtotal, tax, subtotal + tax)
        return totals

    def admin(self):
        return self.pick(self.admins)

    def event(self, ago, action, actor, obj, payload=None, severity="info", customer_id=-1):
        """Append an event about `obj` = (object type, id, repr), by default of this customer."""
        actor_id, actor_repr, ip = actor
        self.events.append(
            (
                datetime.fromtimestamp(self.now_ts - ago, UTC),
                action,
                severity,
                "manual" if actor_repr else "system",
                actor_id,
                actor_repr,
                *obj,
                self.customer_id if customer_id == -1 else customer_id,
                ip,
                payload or {},
            )
        )

    # A batch.

    def generate(self, size: int, heavy: tuple[int, int, int] | None) -> dict:
        """The rows of a batch of customers (and everything theirs), by model."""
        writer = self.writer
        writer.start_batch()
        counts = [heavy[0] if heavy else self.membership_count() for _ in range(size)]
        user_ids = writer.reserve_ids(User, size)
        customer_ids = writer.reserve_ids(Customer, size)
        self.membership_ids = iter(writer.reserve_ids(Membership, sum(counts)))
        self.payment_ids = writer.id_stream(
            Payment, heavy[1] if heavy else 3 * size + 10, max(64, size // 8)
        )
        self.site_ids = writer.id_stream(Site, heavy[0] if heavy else size + 10, max(64, size // 8))
        self.rows = {model: [] for model in MODELS}
        self.events = []
        for user_id, customer_id, count in zip(user_ids, customer_ids, counts, strict=True):
            self.customer(user_id, customer_id, count, heavy)
        if heavy:
            self.pad_events(heavy[2])

        self.rows[Event] = self.events
        return self.rows

    def store(self, rows: dict):
        """Write a batch's rows in one transaction, on the calling thread's connection."""
        with transaction.atomic():
            self.writer.start_transaction()
            self.assign_invoice_numbers(rows[Payment])
            for model in MODELS:
                self.writer.write(model, rows[model])
        for model in MODELS:
            self.created[model] += len(rows[model])

    def assign_invoice_numbers(self, payments):
        """Number the payments that took money, continuing the network's invoice counter."""
        invoiced = [row for row in payments if row[PAYMENT_STATUS] in INVOICED]
        if not invoiced:
            return
        # The same row and lock as payments.services.assign_invoice_number.
        counter, _created = InvoiceCounter.objects.select_for_update().get_or_create(pk=1)
        top = Payment.objects.aggregate(top=Max("invoice_number"))["top"] or 0
        number = max(counter.last_number, top)
        # Within a batch, numbers follow time, as if each payment was numbered when it was made.
        invoiced.sort(key=lambda row: row[PAYMENT_CREATED])
        for row in invoiced:
            number += 1
            row[PAYMENT_INVOICE] = number
        counter.last_number = number
        counter.save(update_fields=["last_number"])

    def customer(self, user_id, customer_id, membership_count, heavy):
        rng = self.rng
        rand = rng.random
        at = self.at
        ordinal = self.next_ordinal(Customer)
        self.customer_id = customer_id

        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        full_name = f"{first} {last}"
        username = f"{first[0]}{last}{ordinal}".lower().replace("'", "")
        email = f"{username}@{EMAIL_DOMAIN}"
        if heavy:
            # Joined long enough ago for every renewal of a long-running membership.
            joined = max(HISTORY, (heavy[1] // heavy[0] + 2) * 31 * DAY) if heavy[0] else HISTORY
        else:
            joined = 3600 + rand() * (HISTORY - 3600)
        # The first few customers of a run are VIPs and online, so even a small network shows them.
        first_few = self.ordinal[Customer] - self.first_ordinal <= 3
        vip = bool(heavy) or first_few or rand() < VIP_SHARE

        company = ""
        if rand() < 0.4:
            if rand() < 0.5:
                company = f"{last} {self.pick(COMPANY_NOUNS)}"
            else:
                company = f"{self.pick(COMPANY_WORDS)} {self.pick(COMPANY_NOUNS)}"
            company = f"{company} {self.pick(COMPANY_SUFFIXES)}".strip()
        city, state, country, postal_pattern, _weight = self.place()
        line_1 = line_2 = postal = ""
        if rand() < 0.85:
            line_1 = f"{rng.randint(1, 2500)} {self.pick(STREETS)}"
            if rand() < 0.15:
                line_2 = f"{self.pick(['Suite', 'Apt', 'Floor', 'Unit'])} {rng.randint(1, 40)}"
            postal = "".join(
                str(rng.randrange(10))
                if char == "#"
                else self.pick(ALPHABET[10:])
                if char == "@"
                else char
                for char in postal_pattern
            )
        else:
            city = state = ""
            if rand() < 0.5:
                country = ""
        billing_email = ""
        roll = rand()
        if roll < 0.3:
            billing_email = email
        elif roll < 0.45 and company:
            billing_email = f"accounts.{username}@{CUSTOM_DOMAIN}"
        # Customer.billing_snapshot(), which every payment copies.
        address = "\n".join(part for part in (line_1, line_2, city, state, postal) if part)
        snapshot = (company or full_name, billing_email or email, address, country)
        tax_rate = TAX_RATES.get(country, ZERO)

        roll = rand()
        signup_source = "by-admin" if roll < 0.2 else "import" if roll < 0.25 else "checkout"
        roll = rand()
        verification = "verified" if roll < 0.7 else "pending" if roll < 0.8 else "none"

        # Logins come from the customer's one or two usual addresses (rarely a private one, which
        # has no registered country); the newest sets last_login.
        ips = [self.public_ip() for _ in range(1 + (rand() < 0.3))]
        if rand() < 0.05:
            ips.append(f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}")
        online = first_few or rand() < ONLINE_SHARE
        logins = sorted(
            600 + rand() * (joined - 600) for _ in range(200 if heavy else self.login_count())
        )
        if online:
            logins.insert(0, 180 + rand() * 3000)
            logins.sort()
        last_login = last_seen = None
        login_rows = self.rows[LoginRecord]
        for ago in logins:
            ip = self.pick(ips)
            country_of_ip = iptocc.country_code(ip) or ""
            login_rows.append((customer_id, at(ago), ip, country_of_ip, self.pick(USER_AGENTS)))
        if logins:
            last_login = at(logins[0])
            # Online means seen in the last 3 minutes; everybody else was seen a while ago.
            seen = rand() * 170 if online else max(240, logins[0] - rand() * 7200)
            last_seen = at(seen)
            if online:
                self.online.append((customer_id, seen))

        me = (user_id, full_name, ips[0])
        this = ("customer", customer_id, full_name)
        creator = {"checkout": me, "by-admin": self.admin(), "import": SYSTEM}[signup_source]
        self.event(joined, "customer.created", creator, this, severity="success")
        updated = joined
        if verification != "none":
            # Verification emails go out at signup; most people click the link within a day.
            sent = joined - rand() * min(joined, 600)
            sender = creator if creator is not me else SYSTEM
            self.event(sent, "customer.verification_sent", sender, this)
            if verification == "verified":
                updated = sent - rand() * min(sent, DAY)
                self.event(updated, "customer.email_verified", me, this, severity="success")
        updates = []
        if vip:
            updates.append(({"vip": {"old": False, "new": True}}, self.admin()))
        if city and rand() < 0.2:
            updates.append(({"city": {"old": self.place()[0], "new": city}}, me))
        if company and rand() < 0.3:
            updates.append(({"company_name": {"old": "", "new": company}}, self.admin()))
        for changes, actor in updates:
            ago = joined * rand()
            updated = min(updated, ago)
            self.event(ago, "customer.updated", actor, this, {"changes": changes})
        if rand() < 0.05:
            author_id, author_name, _ip = self.admin()
            self.rows[Note].append(
                (customer_id, author_id, author_name, self.pick(NOTES), at(joined * rand()))
            )
        if rand() < 0.05:
            for key, values in rng.sample(CUSTOM_FIELDS, rng.randint(1, 2)):
                value = self.pick(values) if values else f"CRM-{rng.randrange(10**6):06d}"
                self.rows[CustomField].append((customer_id, key, value))

        self.rows[User].append(
            (
                user_id,
                self.password,
                last_login,
                False,
                username,
                first,
                last,
                email,
                False,
                True,
                at(joined),
            )
        )
        # Customer.compose_search_text(), which Customer.save() would have stored.
        search_text = "\n".join([username, full_name, email, billing_email, company]).lower()
        # OwnedByCustomer.save() copies it onto the customer's memberships, payments and sites.
        self.owner_search_text = search_text
        self.rows[Customer].append(
            (
                customer_id,
                self.codes[Customer](ordinal),
                user_id,
                vip,
                verification,
                company,
                billing_email,
                line_1,
                line_2,
                city,
                state,
                postal,
                country,
                signup_source,
                last_login,
                last_seen,
                at(joined),
                at(updated),
                search_text,
                first,
                last,
            )
        )

        self.current = (customer_id, joined, snapshot, tax_rate, me, full_name)
        if heavy:
            per_membership, extra = divmod(heavy[1], heavy[0]) if heavy[0] else (0, 0)
            for m in range(membership_count):
                self.membership(per_membership + (m < extra))
        else:
            for _ in range(membership_count):
                self.membership(None)
            if not membership_count:
                if rand() < 0.3 and self.services:
                    self.one_off_payment()
                if rand() < 0.1:
                    self.site(None, joined * rand(), active=True, closed=False)
            roll = rand()
            if roll < SITE_TEMPLATE_SHARE + SITE_REGULAR_SHARE + SITE_PENDING_SHARE:
                self.unowned_site(roll)

    def membership(self, heavy_payments: int | None):
        rng = self.rng
        rand = rng.random
        at = self.at
        Status = Membership.Status
        customer_id, joined, _snapshot, _tax_rate, me, _name = self.current
        membership_id = next(self.membership_ids)
        reference = self.codes[Membership](self.next_ordinal(Membership))
        this = ("membership", membership_id, reference)
        if heavy_payments is not None:
            plan = self.pick(self.heavy_plans)
            status = self.pick([Status.ACTIVE, Status.ACTIVE, Status.EXPIRED, Status.CANCELLED])
            paid = heavy_payments
        else:
            plan = self.plan()
            status = self.status()
            paid = 1 + self.renewals()
        period = PERIOD_DAYS[plan.duration_unit] * plan.duration * DAY
        fits = int(joined // period)  # whole billing periods since the customer joined
        if not plan.recurring and status in (Status.TRIALING, Status.ON_HOLD, Status.EXPIRED):
            status = Status.ACTIVE
        if status in (Status.ON_HOLD, Status.EXPIRED) and fits < 1:
            status = Status.ACTIVE

        addons = []
        if plan.amount > 0 and self.addons and rand() < 0.25:
            for product in rng.sample(self.addons, min(len(self.addons), rng.randint(1, 2))):
                addons.append((product, 1 if rand() < 0.8 else rng.randint(2, 3)))
        renewal_lines = [(plan, 1)] + [(p, q) for p, q in addons if p.recurring]
        first_lines = renewal_lines + [(p, q) for p, q in addons if not p.recurring]
        if addons:
            amount = sum((p.amount * q for p, q in renewal_lines), ZERO)
            initial_amount = sum((p.amount * q for p, q in first_lines), plan.setup_fee)
        else:
            amount, initial_amount = plan.amount, plan.amount + plan.setup_fee

        # The membership's timeline, then its payments as (ago, status, is a renewal).
        activated = trial_ends = renewed = cancelled = expires = None
        payments = []
        if status == Status.TRIALING:
            created = activated = min(joined, rand() * 14 * DAY)
            trial_ends = expires = created - 14 * DAY
        elif status == Status.PENDING:
            created = min(joined, rand() * 3 * DAY)
            expires = created - period if plan.recurring else None
            if initial_amount > 0:
                payments.append((created, Payment.Status.PENDING, False))
        elif not plan.recurring:
            created = activated = joined * rand()
            if initial_amount > 0:
                payments.append((created, Payment.Status.COMPLETED, False))
        else:
            if status in (Status.ACTIVE, Status.CANCELLED):
                # The last paid period is the current one.
                paid = min(paid, fits + 1)
                low, high = (paid - 1) * period, min(joined, paid * period)
            else:
                # On hold or expired: the paid periods ended in the past.
                paid = min(paid, fits)
                low = paid * period
                high = min(joined, low + (14 * DAY if status == Status.ON_HOLD else HISTORY))
            created = activated = low + rand() * (high - low)
            payments = [
                (created - k * period, Payment.Status.COMPLETED, k > 0) for k in range(paid)
            ]
            expires = created - paid * period
            if paid > 1:
                renewed = created - (paid - 1) * period
            if heavy_payments is None and (
                status == Status.ON_HOLD or (status == Status.EXPIRED and rand() < 0.4)
            ):
                payments.append((max(expires, 0.0), Payment.Status.FAILED, True))
        auto_renew = plan.recurring and status not in (Status.EXPIRED, Status.CANCELLED)
        auto_renew = auto_renew and rand() < 0.9
        reason = ""
        if status == Status.CANCELLED:
            last_start = payments[-1][0] if payments else created
            cancelled = last_start - rand() * min(period, last_start)
            reason = self.pick(CANCELLATION_REASONS)
        times_billed = len(payments) - (bool(payments) and payments[-1][1] != "completed")

        actor = me if rand() < 0.8 else self.admin()
        addon_summary = [f"{product} × {quantity}" for product, quantity in addons]
        payload = {"plan": plan.name, "addons": sorted(addon_summary)}
        self.event(created, "membership.created", actor, this, payload, "success")
        updated = created
        billed, last_renewal = 1, None
        for ago, payment_status, renewal in payments:
            if renewal and payment_status == "completed":
                # A renewal starts where the last period ended and pushes the expiry one period on.
                start, end = at(ago).isoformat(), at(ago - period).isoformat()
                changes = {
                    "renewed_at": {"old": last_renewal, "new": start},
                    "expires_at": {"old": start, "new": end},
                    "times_billed": {"old": billed, "new": billed + 1},
                }
                self.event(ago, "membership.updated", SYSTEM, this, {"changes": changes})
                billed, last_renewal, updated = billed + 1, start, ago
        if status in (Status.EXPIRED, Status.ON_HOLD):
            updated = max(expires, 0.0)
            changes = {"status": {"old": "active", "new": str(status)}}
            self.event(updated, "membership.updated", SYSTEM, this, {"changes": changes}, "warning")
        if status == Status.CANCELLED:
            updated = cancelled
            changes = {
                "status": {"old": "active", "new": "cancelled"},
                "cancelled_at": {"old": None, "new": at(cancelled).isoformat()},
                "cancellation_reason": {"old": "", "new": reason},
            }
            by = actor if rand() < 0.5 else self.admin()
            self.event(cancelled, "membership.cancelled", by, this, {"changes": changes}, "warning")

        gateway = self.gateway() if initial_amount > 0 else ""
        gateway_customer = gateway_subscription = ""
        if gateway == "stripe":
            gateway_customer = f"cus_{rng.getrandbits(56):014x}"
            if plan.recurring:
                gateway_subscription = f"sub_{rng.getrandbits(96):024x}"
        elif gateway == "paypal":
            gateway_customer = f"{rng.getrandbits(52):013X}"
            if plan.recurring:
                gateway_subscription = f"I-{rng.getrandbits(48):012X}"
        self.rows[Membership].append(
            (
                membership_id,
                reference,
                customer_id,
                plan.pk,
                str(status),
                initial_amount,
                amount,
                plan.currency,
                plan.recurring,
                auto_renew,
                plan.duration,
                plan.duration_unit,
                0,
                times_billed,
                gateway,
                gateway_customer,
                gateway_subscription,
                reason,
                at(created),
                None if activated is None else at(activated),
                None if trial_ends is None else at(trial_ends),
                None if renewed is None else at(renewed),
                None if cancelled is None else at(cancelled),
                None if expires is None else at(expires),
                at(updated),
                self.owner_search_text,
            )
        )
        for product, quantity in addons:
            self.rows[MembershipAddon].append((membership_id, product.pk, quantity))

        for i, (ago, payment_status, renewal) in enumerate(payments):
            # A cancelled membership's last payment is often refunded.
            last_of_cancelled = status == Status.CANCELLED and i == len(payments) - 1
            self.payment(
                membership_id,
                ago,
                payment_status,
                renewal_lines if renewal else first_lines,
                fee=None if renewal or plan.setup_fee <= 0 else plan.setup_fee,
                discount=not renewal and rand() < 0.1,
                gateway=gateway,
                currency=plan.currency,
                refund_share=0.3 if last_of_cancelled else REFUND_SHARE,
            )

        if rand() < SITE_PER_MEMBERSHIP:
            active = status in (Status.ACTIVE, Status.TRIALING, Status.ON_HOLD)
            closed = status in (Status.EXPIRED, Status.CANCELLED)
            site_created = max(0.0, created - rand() * 3600)
            self.site(membership_id, site_created, active=active, closed=closed)

    def one_off_payment(self):
        """A service bought without a membership."""
        service = self.pick(self.services)
        self.payment(
            None,
            self.current[1] * self.rng.random(),
            Payment.Status.COMPLETED,
            [(service, 1)],
            fee=None,
            discount=False,
            gateway=self.gateway(),
            currency=service.currency,
            refund_share=REFUND_SHARE,
        )

    def line_items(self, payment_id, lines, fee, discount, tax_rate):
        """A payment's line item rows, and its subtotal, discount total and tax total."""
        rows = []
        subtotal = tax_total = discount_total = ZERO
        charges = [("product", product, product.name, product.amount, q) for product, q in lines]
        if fee is not None:
            charges.append(("fee", None, "Setup fee", fee, 1))
        for type_, product, title, price, quantity in charges:
            sub, tax, total = self.line(price, quantity, tax_rate)
            rows.append(
                (
                    payment_id,
                    type_,
                    None if product is None else product.pk,
                    title,
                    "",
                    quantity,
                    price,
                    tax_rate,
                    sub,
                    tax,
                    total,
                )
            )
            subtotal += sub
            tax_total += tax
        if discount and subtotal >= 1:
            # Deductions are never taxed (a database constraint says so).
            price = (subtotal / 10).quantize(CENT)
            sub, tax, total = self.line(price, 1, ZERO)
            description = "10% off the first payment"
            rows.append(
                (payment_id, "discount", None, "Coupon WELCOME10", description, 1, price, ZERO)
                + (sub, tax, total)
            )
            discount_total = sub
        return rows, subtotal, discount_total, tax_total

    def payment(
        self, membership_id, ago, status, lines, *, fee, discount, gateway, currency, refund_share
    ):
        rng = self.rng
        customer_id, _joined, snapshot, tax_rate, _me, _name = self.current
        payment_id = next(self.payment_ids)
        reference = self.codes[Payment](self.next_ordinal(Payment))
        # Payment.compute_totals() over the line items.
        line_rows, subtotal, discount_total, tax_total = self.line_items(
            payment_id, lines, fee, discount, tax_rate
        )
        total = subtotal - discount_total + tax_total
        self.rows[LineItem] += line_rows

        gateway_payment_id = ""
        if status != Payment.Status.PENDING:
            if gateway == "stripe":
                gateway_payment_id = f"pi_{rng.getrandbits(96):024x}"
            elif gateway == "paypal":
                gateway_payment_id = f"{rng.getrandbits(68):017X}"
        this = ("payment", payment_id, reference)
        payload = {
            "status": str(status),
            "total": str(total),
            "currency": currency,
            "lines": len(line_rows),
        }
        severity = {"completed": "success", "failed": "error"}.get(status, "info")
        self.event(ago, "payment.created", SYSTEM, this, payload, severity)

        updated = ago
        if status == Payment.Status.COMPLETED and total > 0:
            roll = rng.random()
            if roll < refund_share:
                status, updated = self.refund_payment(this, ago, total, gateway)
            elif roll < refund_share + FAILED_REFUND_SHARE:
                # A refund the gateway declined: no money moved, the payment stays completed.
                self.refund(this, ago, total, gateway, succeeded=False)
        self.rows[Payment].append(
            [
                payment_id,
                reference,
                customer_id,
                membership_id,
                str(status),
                currency,
                subtotal,
                discount_total,
                tax_total,
                total,
                gateway,
                gateway_payment_id,
                None,  # the invoice number, given per batch
                *snapshot,
                self.at(ago),
                self.at(updated),
                self.owner_search_text,
            ]
        )

    def refund_payment(self, payment, paid, total, gateway):
        """Refund all or part of a payment, in one or two refunds; return its status and time."""
        rng = self.rng
        cents = int(total * 100)
        if rng.random() < 0.5 or cents < 2:
            amounts = [total]
        else:
            first = Decimal(rng.randint(1, cents - 1)) / 100
            amounts = [first]
            second = ((total - first) * rng.randint(1, 90) / 100).quantize(CENT)
            if rng.random() < 0.3 and second > 0:
                amounts.append(second)
        ago = paid
        for amount in amounts:
            ago = self.refund(payment, ago, amount, gateway, succeeded=True)
        refunded = sum(amounts, ZERO)
        if refunded == total:
            return Payment.Status.REFUNDED, ago
        return Payment.Status.PARTIALLY_REFUNDED, ago

    def refund(self, payment, after, amount, gateway, *, succeeded):
        """One refund of `payment`, a little after `after`; returns its time."""
        rng = self.rng
        ago = after - rng.random() * min(14 * DAY, after / 2)
        admin = self.admin()
        gateway_refund_id = ""
        if succeeded and gateway == "stripe":
            gateway_refund_id = f"re_{rng.getrandbits(96):024x}"
        elif succeeded and gateway == "paypal":
            gateway_refund_id = f"{rng.getrandbits(68):017X}"
        reason = self.pick(REFUND_REASONS)
        self.rows[Refund].append(
            (
                payment[1],
                amount,
                reason,
                "succeeded" if succeeded else "failed",
                gateway_refund_id,
                # Unique because payment references are, and repeatable with the seed.
                uuid.uuid5(REFUND_KEYS, f"{payment[2]}/{len(self.rows[Refund])}"),
                admin[0],
                admin[1],
                self.at(ago),
            )
        )
        if succeeded:
            payload = {"amount": str(amount), "reason": reason}
            self.event(ago, "payment.refunded", admin, payment, payload, "warning")
        else:
            payload = {"amount": str(amount), "error": "Declined by the payment gateway."}
            self.event(ago, "payment.refund_failed", admin, payment, payload, "error")
        return ago

    def site(self, membership_id, ago, *, active, closed):
        """A customer-owned site, of a membership or not."""
        rng = self.rng
        site_id = next(self.site_ids)
        ordinal = self.next_ordinal(Site)
        customer_id, _joined, _snapshot, _tax, me, full_name = self.current
        if rng.random() < 0.5:
            title = f"{full_name.split()[0]}'s {self.pick(SITE_TOPICS)}"
        else:
            title = f"{self.pick(COMPANY_WORDS)} {self.pick(SITE_TOPICS)}"
        if rng.random() < 0.2:
            domain = f"{slugify(title)}{ordinal}.{CUSTOM_DOMAIN}"
        else:
            domain = f"{slugify(title)}-{ordinal}.{self.base_domain}"
        this = ("site", site_id, title)
        self.event(ago, "site.created", me, this, {"domain": domain}, "success")
        updated = ago
        if closed:
            # Its membership ended, so the site was switched off.
            updated = ago * rng.random()
            changes = {"active": {"old": True, "new": False}}
            self.event(updated, "site.updated", SYSTEM, this, {"changes": changes})
        self.rows[Site].append(
            (
                site_id,
                self.codes[Site](ordinal),
                title,
                domain,
                "/",
                "",
                Site.Type.CUSTOMER_OWNED.value,
                customer_id,
                membership_id,
                active,
                self.at(ago),
                self.at(updated),
                self.owner_search_text,
            )
        )

    def unowned_site(self, roll):
        """A site nobody owns: a template, one of the network's own, or one being set up."""
        rng = self.rng
        name = f"{self.pick(COMPANY_WORDS)} {self.pick(SITE_TOPICS)}"
        if roll < SITE_TEMPLATE_SHARE:
            type_, title = Site.Type.SITE_TEMPLATE, f"{self.pick(SITE_TOPICS)} template"
        elif roll < SITE_TEMPLATE_SHARE + SITE_REGULAR_SHARE:
            type_, title = Site.Type.REGULAR, name
        else:
            type_, title = Site.Type.PENDING, name
        site_id = next(self.site_ids)
        ordinal = self.next_ordinal(Site)
        domain = f"{slugify(title)}-{ordinal}.{self.base_domain}"
        ago = HISTORY * rng.random()
        self.rows[Site].append(
            (
                site_id,
                self.codes[Site](ordinal),
                title,
                domain,
                "/",
                "",
                str(type_),
                None,
                None,
                type_ != Site.Type.PENDING,
                self.at(ago),
                self.at(ago),
                "",
            )
        )
        this = ("site", site_id, title)
        self.event(ago, "site.created", self.admin(), this, {"domain": domain}, "success", None)

    def pad_events(self, target: int):
        """Bring a heavy customer's events to exactly `target` with more customer updates."""
        events = self.events
        del events[max(target, 1) :]  # never the first: customer.created
        customer_id, joined, _snapshot, _tax, me, full_name = self.current
        this = ("customer", customer_id, full_name)
        rng = self.rng
        while len(events) < target:
            field, values = self.pick(CUSTOM_FIELDS[:3])
            old, new = rng.sample(values, 2)
            changes = {"custom_fields": {"old": {field: old}, "new": {field: new}}}
            actor = me if rng.random() < 0.5 else self.admin()
            self.event(joined * rng.random(), "customer.updated", actor, this, {"changes": changes})

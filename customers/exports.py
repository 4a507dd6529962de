"""The customer CSV export: streamed in constant memory, safe to open in a spreadsheet."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from django.db.models import OuterRef, Subquery

from customers.models import Customer, LoginRecord
from memberships.models import Membership
from payments.models import Payment

# Customers per query: big enough that round trips don't dominate, small enough that a chunk's
# rows and text stay a few MB.
CHUNK = 5000
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# English whatever the admin's language: the file is data for other programs, not a page.
COLUMNS = [
    "ID",
    "Reference",
    "Username",
    "Name",
    "Email",
    "Email verification",
    "VIP",
    "Company",
    "Billing email",
    "Address line 1",
    "Address line 2",
    "City",
    "State",
    "Postal code",
    "Country",
    "Memberships",
    "Membership references",
    "Total spent",
    "Last login",
    "Last IP",
    "Created",
]
# What each chunk query reads, in this order: tuples, which cost a fraction of model instances.
FIELDS = [
    "pk",
    "reference",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__email",
    "email_verification",
    "vip",
    "company_name",
    "billing_email",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "postal_code",
    "country",
    "last_login",
    "created_at",
    "last_ip",
]
# The columns whose text comes from people or stored data, so may start like a formula; the
# others are numbers, yes/no and timestamps, which never do.
TEXT_COLUMNS = [
    index
    for index, column in enumerate(COLUMNS)
    if column not in {"ID", "VIP", "Memberships", "Last login", "Created"}
]


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _CountryCodes(dict):
    """Stored country value -> the code the model shows for it, worked out once per value."""

    def __missing__(self, stored):
        code = self[stored] = Customer.country.country(stored).code
        return code


def _reader(queryset):
    """A function that reads the CHUNK customers of `queryset` after a given id, in id order
    (FIELDS), with their membership references and spending: the export's database work, a
    chunk at a time. It returns None past the last customer."""
    database = queryset.db
    last_ip = LoginRecord.objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-id")
    rows = (
        queryset.order_by("pk")
        .annotate(last_ip=Subquery(last_ip.values("ip_address")[:1]))
        .values_list(*FIELDS)
    )

    def read(after: int) -> tuple[list, dict, dict] | None:
        chunk = list(rows.filter(pk__gt=after)[:CHUNK])
        if not chunk:
            return None
        return chunk, _references(queryset, chunk, database), _spent(queryset, chunk, database)

    return read


def _read_ahead(queryset):
    """Yield each chunk of `queryset`'s customers with their references and spending (see
    `_reader`), the next chunk read on a second connection while the caller writes this one.

    Writing a chunk's text is Python and reading the next one is mostly waiting for the
    database (~40 % of an export run one after the other), so the two overlap.
    """
    # The database this request's routing chose, in the reading thread too.
    queryset = queryset.using(queryset.db)
    read = _reader(queryset)
    database = connections[queryset.db]
    # A second connection couldn't see what an open transaction holds; SQLite (the development
    # database) writes one at a time anyway.
    if database.in_atomic_block or database.vendor != "postgresql":
        data = read(0)
        while data is not None:
            yield data
            data = read(data[0][-1][0])
        return
    with ThreadPoolExecutor(max_workers=1) as reading:
        try:
            pending = reading.submit(read, 0)
            while (data := pending.result()) is not None:
                pending = reading.submit(read, data[0][-1][0])
                yield data
        finally:
            # After the pending read (one worker runs them in order), even when the download
            # stops half way and this generator is closed.
            reading.submit(connections.close_all).result()


def _in_chunk(queryset, chunk) -> dict:
    """Filter arguments for the rows of a model with a `customer` that belong to `chunk`.

    The id range lets the database read that model's customer index a stretch per chunk; the
    subquery drops the customers in the stretch that `queryset` leaves out. (A list of the
    chunk's ids would be as exact, but for a few thousand ids PostgreSQL plans a scan of the
    whole table, once per chunk.)
    """
    first, last = chunk[0][0], chunk[-1][0]
    return {
        "customer_id__gte": first,
        "customer_id__lte": last,
        "customer__in": queryset.filter(pk__gte=first, pk__lte=last).values("pk"),
    }


def _references(queryset, chunk, database: str) -> dict[int, list[str]]:
    """Each customer's membership references, oldest membership first."""
    references = {}
    for customer_id, reference in (
        Membership.objects.using(database)
        .filter(**_in_chunk(queryset, chunk))
        .order_by("customer_id", "created_at", "id")
        .values_list("customer_id", "reference")
    ):
        if customer_id in references:
            references[customer_id].append(reference)
        else:
            references[customer_id] = [reference]
    return references


def _spent(queryset, chunk, database: str) -> dict[int, str]:
    """Each customer's net spending as text, e.g. "EUR 12.00; USD 70.00" (currencies sorted)."""
    payments = Payment.objects.using(database).filter(**_in_chunk(queryset, chunk))
    totals = payments.net_totals("customer_id", "currency")
    spent = {}
    for (customer_id, currency), amount in sorted(totals.items()):
        text = f"{currency} {amount}"
        spent[customer_id] = f"{spent[customer_id]}; {text}" if customer_id in spent else text
    return spent


def _rows(chunk, references, spent, countries: _CountryCodes) -> list[list]:
    """The CSV rows (COLUMNS) of `chunk`'s customers."""
    rows = []
    for (
        pk,
        reference,
        username,
        first_name,
        last_name,
        email,
        email_verification,
        vip,
        company_name,
        billing_email,
        address_line_1,
        address_line_2,
        city,
        state,
        postal_code,
        country,
        last_login,
        created_at,
        last_ip,
    ) in chunk:
        refs = references.get(pk, ())
        row = [
            pk,
            reference,
            username,
            f"{first_name} {last_name}".strip(),  # as User.get_full_name()
            email,
            email_verification,
            "yes" if vip else "no",
            company_name,
            billing_email,
            address_line_1,
            address_line_2,
            city,
            state,
            postal_code,
            countries[country],
            len(refs),
            " ".join(refs),
            spent.get(pk, ""),
            last_login.isoformat() if last_login else "",
            last_ip or "",
            created_at.isoformat(),
        ]
        for column in TEXT_COLUMNS:
            # Checked here first: calling for every cell would double the cost of the check.
            if row[column].startswith(FORMULA_STARTS):
                row[column] = spreadsheet_safe(row[column])
        rows.append(row)
    return rows


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_lines(queryset):
    """Yield the CSV text of `queryset`'s customers: the header line, then each chunk's lines.

    A chunk's lines go as one piece: a web server writes every piece it is handed on its own,
    so line by line would cost a write per customer.
    """
    yield _csv_text([COLUMNS])
    countries = _CountryCodes()
    for chunk, references, spent in _read_ahead(queryset):
        yield _csv_text(_rows(chunk, references, spent, countries))

"""The customer CSV export: streamed in constant memory, safe to open in a spreadsheet."""

import csv
from collections import defaultdict

from django.db.models import OuterRef, Subquery

from customers.models import LoginRecord
from memberships.models import Membership
from payments.models import Payment

CHUNK = 2000
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


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer to stream through."""

    def write(self, line):
        return line


def _chunks(queryset):
    """The customers of `queryset` in id order, CHUNK at a time, each chunk one query."""
    last_ip = LoginRecord.objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-id")
    rows = (
        queryset.order_by("pk")
        .select_related("user")
        .annotate(last_ip=Subquery(last_ip.values("ip_address")[:1]))
    )
    last_pk = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last_pk = chunk[-1].pk


def _row(customer, references: list[str], spent: dict[str, object]) -> list:
    user = customer.user
    return [
        customer.pk,
        customer.reference,
        user.username,
        user.get_full_name(),
        user.email,
        customer.email_verification,
        "yes" if customer.vip else "no",
        customer.company_name,
        customer.billing_email,
        customer.address_line_1,
        customer.address_line_2,
        customer.city,
        customer.state,
        customer.postal_code,
        customer.country.code,
        len(references),
        " ".join(references),
        "; ".join(f"{currency} {amount}" for currency, amount in sorted(spent.items())),
        customer.last_login.isoformat() if customer.last_login else "",
        customer.last_ip or "",
        customer.created_at.isoformat(),
    ]


def csv_lines(queryset):
    """Yield the CSV text of `queryset`'s customers line by line, header first."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for chunk in _chunks(queryset):
        ids = [customer.pk for customer in chunk]
        references = defaultdict(list)
        for customer_id, reference in (
            Membership.objects.filter(customer_id__in=ids)
            .order_by("created_at", "id")
            .values_list("customer_id", "reference")
        ):
            references[customer_id].append(reference)
        spent = defaultdict(dict)
        totals = Payment.objects.filter(customer_id__in=ids).net_totals("customer_id", "currency")
        for (customer_id, currency), amount in totals.items():
            spent[customer_id][currency] = amount
        for customer in chunk:
            row = _row(customer, references[customer.pk], spent[customer.pk])
            yield writer.writerow([spreadsheet_safe(value) for value in row])

"""The customer page's small chart of the last 12 months of payments, drawn on the server."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from network_admin.prepared import Param, prepared
from payments.models import CENT, Payment, kept_sum

MONTHS = 12
BAR_WIDTH, BAR_GAP, CHART_HEIGHT = 14, 4, 48
# Money that came in, whatever happened to it later.
PAID = [Payment.Status.COMPLETED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED]


@dataclass(frozen=True)
class Bar:
    month: date
    amount: Decimal
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class SpendingChart:
    currency: str
    bars: list[Bar]
    total: Decimal
    other_currencies: list[str]
    width: int = MONTHS * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    height: int = CHART_HEIGHT
    bar_width: int = BAR_WIDTH


def _month_starts(today: date) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def customer_spending(
    customer, *, today: date | None = None
) -> tuple[dict[str, Decimal], SpendingChart]:
    """What `customer` spent per currency after refunds, and the chart of the last 12 months'
    paid amounts in their main currency: both from one query, grouped by month and currency."""
    months = _month_starts(today or timezone.localdate())
    rows = _paid_by_month(timezone.get_current_timezone(), customer=customer.pk)
    spent: dict[str, Decimal] = {}
    by_currency: dict[str, dict[date, Decimal]] = {}
    for month, currency, paid, kept in rows:
        if kept is not None:
            spent[currency] = spent.get(currency, Decimal("0")) + kept
        if month.date() >= months[0]:
            by_currency.setdefault(currency, {})[month.date()] = paid
    # SQLite's SUM drops the trailing zeros of money; put the cents back.
    total_spent = {currency: spent[currency].quantize(CENT) for currency in sorted(spent)}
    return total_spent, _chart(months, by_currency)


@prepared
def _paid_by_month(time_zone):
    """customer_spending's statement: the months begin in `time_zone`."""
    return (
        Payment.objects.filter(customer=Param("customer", BigIntegerField()), status__in=PAID)
        .annotate(month=TruncMonth("created_at", tzinfo=time_zone))
        .order_by()
        .values_list("month", "currency")
        .annotate(paid=Sum("total"), kept=kept_sum())
    )


def _chart(months: list[date], by_currency: dict[str, dict[date, Decimal]]) -> SpendingChart:
    currency = max(
        by_currency,
        key=lambda code: sum(by_currency[code].values()),
        default=settings.NETWORK_CURRENCY,
    )
    amounts = [by_currency.get(currency, {}).get(month, Decimal("0")) for month in months]
    peak = max(amounts) or Decimal("1")
    bars = []
    for index, (month, amount) in enumerate(zip(months, amounts, strict=True)):
        # A paid month always shows at least a sliver, so small amounts don't look like none.
        height = int(CHART_HEIGHT * amount / peak) if amount else 0
        height = max(height, 2) if amount else 0
        bars.append(
            Bar(month, amount, index * (BAR_WIDTH + BAR_GAP), CHART_HEIGHT - height, height)
        )
    return SpendingChart(
        currency=currency,
        bars=bars,
        total=sum(amounts, Decimal("0")).quantize(CENT),
        other_currencies=sorted(code for code in by_currency if code != currency),
    )

"""The customer page's small chart of the last 12 months of payments, drawn on the server."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from payments.models import Payment

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


def spending_chart(customer, *, today: date | None = None) -> SpendingChart:
    """Paid amounts per month for the last 12 months, in the customer's main currency."""
    months = _month_starts(today or timezone.localdate())
    rows = (
        Payment.objects.filter(customer=customer, status__in=PAID, created_at__date__gte=months[0])
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values_list("month", "currency")
        .annotate(sum=Sum("total"))
    )
    by_currency: dict[str, dict[date, Decimal]] = {}
    for month, currency, amount in rows:
        by_currency.setdefault(currency, {})[month.date()] = amount
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
        total=sum(amounts, Decimal("0")).quantize(Decimal("0.01")),
        other_currencies=sorted(code for code in by_currency if code != currency),
    )

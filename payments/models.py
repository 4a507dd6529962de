import re
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Sum, When
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from customers.models import Customer, OwnedByCustomer, owner_matches
from events.models import newest_events_about
from memberships.models import MONEY, Membership, Product, network_currency
from network_admin.expressions import RelatedAggregate
from network_admin.numbers import CENT
from network_admin.prepared import PRIMARY_KEY, prepared
from network_admin.references import ReferenceField, normalize_reference

ZERO = Decimal("0.00")
# ISO 4217 currencies without minor units. Every other currency is kept to cents: the money
# columns hold two decimals, so even three-decimal currencies can't be stored more finely.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
INVOICE_NUMBER = re.compile(r"#?([0-9]{1,9})")
# What the payment search filters on (`PaymentQuerySet.search`): an index that a search of
# many payments walks carries them, so the walk reads the index alone.
SEARCHED_COLUMNS = [
    "owner_search_text",
    "gateway_payment_id",
    "customer",
    "reference",
    "invoice_number",
]


def currency_decimals(currency: str) -> int:
    """How many decimal places an amount in `currency` may have."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def kept_sum() -> Sum:
    """The sum of what payments that took money kept after their refunds, as an aggregate.

    Each partially refunded payment's refunds are summed in a subquery, so totals and refunds
    are one query. Only a refund moves a payment out of "completed" (Payment.REFUND_STATUSES),
    so a completed one kept its whole total and its refunds aren't looked up: of a heavy
    customer's 1,000 payments, 989 lookups (1.3 of the chart's 2.6 ms of SQL) were of none.
    """
    refunded = RelatedAggregate(
        "pk",
        model=Refund,
        field="payment",
        function="SUM",
        column="amount",
        where={"status": Refund.Status.SUCCEEDED},
        output_field=models.DecimalField(**MONEY),
    )
    return Sum(
        Case(
            When(
                status=Payment.Status.PARTIALLY_REFUNDED,
                then=F("total") - Coalesce(refunded, ZERO),
            ),
            default=F("total"),
        ),
        filter=Q(status__in=Payment.REFUNDABLE_STATUSES),
        output_field=models.DecimalField(**MONEY),
    )


class PaymentQuerySet(models.QuerySet):
    def with_customer(self):
        return self.select_related("customer__user")

    def search(self, text: str):
        """Payments whose reference, invoice number or gateway payment ID is `text`, or whose
        customer matches it as the customer search does (the billing snapshot's name and email
        once the customer is gone: Payment.ownerless_search_text).

        Every alternative is an index lookup on payments (the customer's words on the payment's
        own copy of them, customers.models.owner_matches), so the database can combine them
        instead of reading every payment; and every column they filter on is in the newest-first
        index, so a search of many payments is paged from that index alone.
        """
        text = text.strip()
        matches = Q(gateway_payment_id=text) | owner_matches(text)
        reference = normalize_reference(text)
        if reference:
            matches |= Q(reference=reference)
        invoice = INVOICE_NUMBER.fullmatch(text)
        if invoice:
            matches |= Q(invoice_number=int(invoice[1]))
        return self.filter(matches)

    def forget_customer_words(self) -> None:
        """Make these payments found by their billing snapshot instead of their customer's words:
        for when their customer is deleted (the payments outlive them)."""
        snapshots = self.order_by().values_list("billing_name", "billing_email").distinct()
        for name, email in snapshots:
            self.filter(billing_name=name, billing_email=email).update(
                owner_search_text=snapshot_search_text(name, email)
            )

    def net_totals(self, *group_by: str) -> dict[tuple, Decimal]:
        """What the network kept, after refunds, from the payments that took money.

        Grouped by `group_by` (payment fields such as "currency"), keyed by tuples of their values.
        """
        totals = {
            tuple(row[:-1]): row[-1]
            for row in self.filter(status__in=Payment.REFUNDABLE_STATUSES)
            .order_by()
            .values(*group_by)
            .annotate(sum=kept_sum())
            .values_list(*group_by, "sum")
        }
        # SQLite's SUM drops the trailing zeros of money; put the cents back.
        return {key: amount.quantize(CENT) for key, amount in totals.items()}


def snapshot_search_text(billing_name: str, billing_email: str) -> str:
    """The words a payment without a customer is found by, written as a customer's are."""
    return "\n".join([billing_name, billing_email]).lower()


class Payment(OwnedByCustomer):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        PARTIALLY_REFUNDED = "partially-refunded", _("Partially Refunded")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_PAID = "partially-paid", _("Partially Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        DRAFT = "draft", _("Draft")

    # Statuses reached only through refunds, never picked by hand.
    REFUND_STATUSES = (Status.PARTIALLY_REFUNDED, Status.REFUNDED)
    # Payments in these statuses never took money, so deleting them loses no accounting record.
    DELETABLE_STATUSES = (Status.PENDING, Status.DRAFT, Status.FAILED, Status.CANCELLED)
    REFUNDABLE_STATUSES = (Status.COMPLETED, Status.PARTIALLY_REFUNDED)

    reference = ReferenceField()
    customer = models.ForeignKey(
        Customer,
        # Payments are accounting records: they outlive their customer via the billing snapshot.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("customer"),
        db_index=False,  # covered by the composite index below
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("membership"),
        db_index=False,  # covered by the composite index below
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PENDING)
    currency = models.CharField(_("currency"), max_length=3, default=network_currency)
    subtotal = models.DecimalField(_("subtotal"), default=ZERO, editable=False, **MONEY)
    discount_total = models.DecimalField(_("discounts"), default=ZERO, editable=False, **MONEY)
    tax_total = models.DecimalField(_("taxes"), default=ZERO, editable=False, **MONEY)
    total = models.DecimalField(_("total"), default=ZERO, editable=False, **MONEY)
    gateway = models.CharField(_("gateway"), max_length=10, choices=Membership.Gateway, blank=True)
    gateway_payment_id = models.CharField(_("gateway payment ID"), max_length=100, blank=True)
    invoice_number = models.PositiveIntegerField(
        _("invoice number"), null=True, blank=True, unique=True, editable=False
    )
    billing_name = models.CharField(_("billing name"), max_length=200, blank=True)
    billing_email = models.EmailField(_("billing email"), blank=True)
    billing_address = models.TextField(_("billing address"), blank=True)
    billing_country = CountryField(_("billing country"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last modified at"), auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("refund_payment", _("Can refund payments"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_total__gte=0, tax_total__gte=0, total__gte=0),
                name="payment_amounts_not_negative",
            ),
            models.CheckConstraint(
                # Rounded to cents because SQLite evaluates this in floating point, where
                # 48.00 - 4.80 + 5.28 is not 48.48; PostgreSQL's numeric is exact either way.
                condition=Q(
                    total=Round(
                        models.F("subtotal") - models.F("discount_total") + models.F("tax_total"),
                        2,
                    )
                ),
                name="payment_total_adds_up",
            ),
        ]
        indexes = [
            # Payments list, newest first (all, and per status tab). A search of many payments
            # walks this one, reading what it filters on from the index alone (PostgreSQL;
            # network_admin.pagination.paginate's keys_first).
            models.Index(
                fields=["created_at", "id"],
                include=SEARCHED_COLUMNS,
                name="payment_newest_idx",
            ),
            # The status tabs, newest first; a search of many payments in one walks this one
            # alone, as payment_newest_idx for all of them.
            models.Index(
                fields=["status", "created_at", "id"],
                include=SEARCHED_COLUMNS,
                name="payment_status_newest_idx",
            ),
            # Customer page block, total spent and the list filtered by customer.
            models.Index(fields=["customer", "created_at"], name="payment_customer_idx"),
            # Membership page block.
            models.Index(fields=["membership", "created_at"], name="payment_membership_idx"),
            # Payments list search by the gateway's payment ID.
            models.Index(fields=["gateway_payment_id"], name="payment_gateway_id_idx"),
        ]

    def __str__(self):
        return self.reference

    def compute_totals(self) -> None:
        """Set the totals from the line items without saving, so they can be checked first."""
        lines = list(self.line_items.all())
        self.subtotal = sum((line.subtotal for line in lines if not line.is_deduction), ZERO)
        self.discount_total = sum((line.subtotal for line in lines if line.is_deduction), ZERO)
        self.tax_total = sum((line.tax_total for line in lines), ZERO)
        self.total = self.subtotal - self.discount_total + self.tax_total

    def refresh_totals(self) -> None:
        """Recompute the totals from the line items and save them: they are never typed in."""
        self.compute_totals()
        self.save(update_fields=["subtotal", "discount_total", "tax_total", "total", "updated_at"])

    def ownerless_search_text(self) -> str:
        return snapshot_search_text(self.billing_name, self.billing_email)

    def refunded_total(self) -> Decimal:
        return self.refunds.exclude(status=Refund.Status.FAILED).aggregate(
            total=Coalesce(Sum("amount"), ZERO)
        )["total"]

    def refundable(self) -> Decimal:
        return self.total - self.refunded_total()

    def events(self, count: int) -> models.QuerySet:
        """The newest `count` events of this payment's audit trail, newest first."""
        return newest_events_about(self._meta.model_name, count, object_id=self.pk)


class LineItem(models.Model):
    class Type(models.TextChoices):
        PRODUCT = "product", _("Product")
        FEE = "fee", _("Fee")
        CREDIT = "credit", _("Credit")
        DISCOUNT = "discount", _("Discount")

    # Credits and discounts reduce the payment instead of adding to it.
    DEDUCTIONS = (Type.CREDIT, Type.DISCOUNT)

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="line_items", verbose_name=_("payment")
    )
    type = models.CharField(_("type"), max_length=10, choices=Type, default=Type.PRODUCT)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=ZERO)
    subtotal = models.DecimalField(_("subtotal"), editable=False, **MONEY)
    tax_total = models.DecimalField(_("tax"), editable=False, **MONEY)
    total = models.DecimalField(_("total"), editable=False, **MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="line_tax_rate_percent"
            ),
            models.CheckConstraint(
                condition=~Q(type__in=["credit", "discount"]) | Q(tax_rate=0),
                name="line_deduction_untaxed",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_deduction(self) -> bool:
        return self.type in self.DEDUCTIONS

    def compute_totals(self) -> None:
        self.subtotal = (self.unit_price * self.quantity).quantize(CENT)
        self.tax_total = (self.subtotal * self.tax_rate / 100).quantize(CENT)
        self.total = self.subtotal + self.tax_total


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    gateway_refund_id = models.CharField(_("gateway refund ID"), max_length=100, blank=True)
    idempotency_key = models.UUIDField(_("idempotency key"), unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refunded by"),
    )
    created_by_repr = models.CharField(_("refunded by (name)"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="refund_amount_positive",
                violation_error_message=_("A refund must be more than zero."),
            ),
        ]

    def __str__(self):
        return f"{self.amount} of {self.payment}"


class InvoiceCounter(models.Model):
    """The one row that hands out invoice numbers in order, under a row lock."""

    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return str(self.last_number)


@prepared
def payment_page():
    """The payment whose primary key is `pk`, with its customer, their user and its membership,
    as the payment's pages show it."""
    return Payment.objects.with_customer().select_related("membership").filter(pk=PRIMARY_KEY)

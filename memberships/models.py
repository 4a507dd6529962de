from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, OwnedByCustomer
from events.models import newest_events_about
from network_admin.expressions import RelatedAggregate
from network_admin.pagination import counts_up_to
from network_admin.prepared import PRIMARY_KEY, Param, prepared
from network_admin.references import ReferenceField, normalize_reference

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}
# What the membership search filters on (`MembershipQuerySet.search`): an index that a search
# of many memberships walks carries them, so the walk reads the index alone.
SEARCHED_COLUMNS = ["owner_search_text", "plan"]


def network_currency() -> str:
    return settings.NETWORK_CURRENCY


class DurationUnit(models.TextChoices):
    DAY = "day", _("day")
    WEEK = "week", _("week")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class ProductQuerySet(models.QuerySet):
    def plans(self):
        return self.filter(type=Product.Type.PLAN)

    def addons(self):
        """Products a membership can carry beside its plan: packages and services."""
        return self.exclude(type=Product.Type.PLAN)

    def active(self):
        return self.filter(active=True)


class Product(models.Model):
    class Type(models.TextChoices):
        PLAN = "plan", _("Plan")
        PACKAGE = "package", _("Package")
        SERVICE = "service", _("Service")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    type = models.CharField(_("type"), max_length=10, choices=Type, default=Type.PLAN)
    amount = models.DecimalField(_("price"), **MONEY)
    setup_fee = models.DecimalField(_("setup fee"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=network_currency)
    recurring = models.BooleanField(_("recurring"), default=True)
    duration = models.PositiveIntegerField(
        _("billing every"), default=1, validators=[MinValueValidator(1)]
    )
    duration_unit = models.CharField(
        _("billing period"), max_length=5, choices=DurationUnit, default=DurationUnit.MONTH
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last modified at"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["type", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="product_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(setup_fee__gte=0), name="product_setup_fee_not_negative"
            ),
            models.CheckConstraint(condition=Q(duration__gte=1), name="product_duration_positive"),
        ]

    def __str__(self):
        return self.name

    def usage_count(self, cap: int) -> int:
        """How many memberships use this product, counted up to `cap` + 1 each way.

        A plan is only ever a plan and an add-on only ever an add-on (its type can't change
        while it is used), so the two counts never overlap.
        """
        as_plan = self.plan_memberships.order_by()[: cap + 1].count()
        as_addon = MembershipAddon.objects.filter(product=self).order_by()[: cap + 1].count()
        return as_plan + as_addon


class MembershipQuerySet(models.QuerySet):
    def for_customer(self, customer):
        return self.filter(customer=customer)

    def using_product(self, product):
        """Memberships that have `product` as their plan or as one of their add-ons."""
        return self.filter(Q(plan=product) | Q(addon_lines__product=product)).distinct()

    def search(self, text: str):
        """Memberships whose reference is `text`, or else whose customer (name, username,
        emails, company) or plan name contains every word of `text`.

        Looks up the matching reference and plans first (a query each), and matches the
        customer's words on the membership's own copy of them (OwnedByCustomer), so that the
        database gets indexable conditions rather than an OR across joined tables, which it could
        only answer by reading every membership.
        """
        reference = normalize_reference(text)
        if reference and self.filter(reference=reference).exists():
            return self.filter(reference=reference)
        words = text.lower().split()
        if not words:
            return self
        named = Q()
        for word in words:
            named |= Q(name__icontains=word)
        plans = list(Product.objects.plans().filter(named).values_list("pk", "name"))
        matches = Q()
        for word in words:
            plan_ids = [pk for pk, name in plans if word in name.lower()]
            matches &= Q(owner_search_text__contains=word) | Q(plan__in=plan_ids)
        return self.filter(matches)

    def status_counts(self, cap: int) -> dict[str, int]:
        """How many of these memberships have each status, in at most one query, each counted
        up to `cap` + 1 rows only: a result above `cap` means "more than cap" (`counts_up_to`)."""
        statuses = {status: models.Q(status=status) for status in Membership.Status.values}
        return counts_up_to(self, statuses, cap=cap)


class Membership(OwnedByCustomer):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        TRIALING = "trialing", _("Trialing")
        ON_HOLD = "on-hold", _("On Hold")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class Gateway(models.TextChoices):
        NONE = "", _("None")
        MANUAL = "manual", _("Manual")
        STRIPE = "stripe", _("Stripe")
        PAYPAL = "paypal", _("PayPal")

    reference = ReferenceField()
    customer = models.ForeignKey(
        Customer,
        # Deleting a customer must decide about memberships explicitly (delete or move).
        on_delete=models.PROTECT,
        related_name="memberships",
        db_index=False,  # covered by the composite index below
        verbose_name=_("customer"),
    )
    plan = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="plan_memberships",
        limit_choices_to={"type": Product.Type.PLAN},
        verbose_name=_("plan"),
    )
    addons = models.ManyToManyField(
        Product, through="MembershipAddon", related_name="addon_memberships", blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    initial_amount = models.DecimalField(_("initial amount"), default=Decimal("0"), **MONEY)
    amount = models.DecimalField(_("billing amount"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=network_currency)
    recurring = models.BooleanField(_("recurring"), default=True)
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    duration = models.PositiveIntegerField(
        _("billing every"), default=1, validators=[MinValueValidator(1)]
    )
    duration_unit = models.CharField(
        _("billing period"), max_length=5, choices=DurationUnit, default=DurationUnit.MONTH
    )
    billing_cycles = models.PositiveIntegerField(
        _("billing cycles"), default=0, help_text=_("0 bills until cancelled.")
    )
    times_billed = models.PositiveIntegerField(_("times billed"), default=0)
    gateway = models.CharField(_("gateway"), max_length=10, choices=Gateway, blank=True)
    gateway_customer_id = models.CharField(_("gateway customer ID"), max_length=100, blank=True)
    gateway_subscription_id = models.CharField(
        _("gateway subscription ID"), max_length=100, blank=True
    )
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    trial_ends_at = models.DateTimeField(_("trial ends at"), null=True, blank=True)
    renewed_at = models.DateTimeField(_("renewed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty means lifetime.")
    )
    updated_at = models.DateTimeField(_("last modified at"), auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0, initial_amount__gte=0),
                name="membership_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(duration__gte=1), name="membership_duration_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False, auto_renew=False),
                name="membership_cancelled_has_time_no_renew",
                violation_error_message=_(
                    "A cancelled membership needs a cancellation time and no auto-renew."
                ),
            ),
        ]
        indexes = [
            # Memberships list, newest first (all, and per status tab). A search of many
            # memberships walks this one, reading what it filters on from the index alone
            # (PostgreSQL; network_admin.pagination.paginate's keys_first).
            models.Index(
                fields=["created_at", "id"],
                include=SEARCHED_COLUMNS,
                name="membership_newest_idx",
            ),
            # The status tabs, newest first; a search of many memberships in one walks this one
            # alone, as membership_newest_idx for all of them.
            models.Index(
                fields=["status", "created_at", "id"],
                include=SEARCHED_COLUMNS,
                name="membership_status_newest_idx",
            ),
            # Customer page block and the list filtered by customer.
            models.Index(fields=["customer", "created_at"], name="membership_customer_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_lifetime(self) -> bool:
        return self.expires_at is None

    def addon_quantities(self) -> dict[Product, int]:
        return {line.product: line.quantity for line in self.addon_lines.select_related("product")}

    def offered_products(self) -> "MembershipProducts":
        """The products the membership page shows and offers for this membership, in one
        query."""
        plan_type = Product.Type.PLAN
        products = list(_membership_products(membership=self.pk, plan=self.plan_id))
        return MembershipProducts(
            plans=[product for product in products if product.type == plan_type],
            # Packages before services, as in the catalogue (the sort keeps the names' order).
            addons=sorted(
                (product for product in products if product.type != plan_type),
                key=attrgetter("type"),
            ),
            lines=[
                MembershipAddon(
                    pk=product.line_id,
                    membership=self,
                    product=product,
                    quantity=product.line_quantity,
                )
                for product in products
                if product.line_id is not None
            ],
        )

    def payment_summary(self, newest: int) -> "PaymentSummary":
        """The newest `newest` payments, how many there are, and the money kept per currency
        from all of them after refunds (as `net_totals` counts it), in one query.

        Window functions give each payment its currency's total and the number of payments.
        The query returns the newest `newest` payments of each currency: among them are the
        newest overall, and a row of every currency, with its total, even when none of its
        payments is among the newest. (Ranking within currencies only, not also overall, keeps
        to one ranking window: the ORM compiles each window of a filtered query three times.)
        """
        # Imported here: the payments app's models import this module.
        from payments.models import CENT

        rows = list(_payment_summary(membership=self.pk, newest=newest))
        # A currency with no payment that took money has no total (SUM of nothing is NULL).
        # SQLite's SUM drops the trailing zeros of money; quantizing puts the cents back.
        totals = {row.currency: row.currency_kept for row in rows if row.currency_kept is not None}
        return PaymentSummary(
            newest=rows[:newest],
            count=rows[0].payments_in_all if rows else 0,
            total_paid={currency: totals[currency].quantize(CENT) for currency in sorted(totals)},
        )

    def newest_sites(self, count: int) -> tuple[list, int]:
        """The newest `count` sites and how many there are in all, in one query: the window
        counts every site before the slice keeps `count` of them."""
        sites = list(_newest_sites(count, membership=self.pk))
        return sites, sites[0].sites_in_all if sites else 0

    def audit_events(self, count: int) -> models.QuerySet:
        """The newest `count` events about this membership, newest first."""
        return newest_events_about(self._meta.model_name, count, object_id=self.pk)


# The membership whose statements the membership page runs (the prepared functions below).
MEMBERSHIP = Param("membership", models.BigIntegerField())


@prepared
def _membership_products():
    """Membership.offered_products's statement: each product with the line (`line_id`,
    `line_quantity`) it has on the membership whose primary key is `membership`, if any."""
    plan_type = Product.Type.PLAN

    def of_its_line(column: str):
        # A product is on at most one line of a membership (addon_once_per_plan), so the
        # MAX of that line's column is its value (NULL without a line).
        return RelatedAggregate(
            "pk",
            model=MembershipAddon,
            field="product",
            function="MAX",
            column=column,
            where={"membership": MEMBERSHIP},
            output_field=models.BigIntegerField(),
        )

    return (
        Product.objects.annotate(line_id=of_its_line("id"), line_quantity=of_its_line("quantity"))
        # A deactivated product can't be chosen any more, but the membership keeps its plan
        # and can re-count its add-ons.
        .filter(
            Q(active=True)
            | Q(type=plan_type, pk=Param("plan", models.BigIntegerField()))
            | (~Q(type=plan_type) & Q(line_id__isnull=False))
        )
        # The order the add-on lines are listed in; the pickers are sorted from it.
        .order_by("name", "line_id", "pk")
    )


@prepared
def membership_page():
    """The membership whose primary key is `pk`, with its customer, their user and its plan, as
    the membership's pages show it."""
    return Membership.objects.select_related("customer__user", "plan").filter(pk=PRIMARY_KEY)


@prepared
def newest_memberships_of_customer(count: int):
    """The newest `count` memberships of the customer whose primary key is `customer`, with
    their plans (the customer page's Memberships block)."""
    customer = Param("customer", models.BigIntegerField())
    return Membership.objects.filter(customer=customer).select_related("plan")[:count]


@prepared
def _payment_summary():
    """Membership.payment_summary's statement."""
    from payments.models import Payment, kept_sum

    newest_first = [F("created_at").desc(), F("id").desc()]
    return (
        Payment.objects.filter(membership=MEMBERSHIP)
        .annotate(
            currency_kept=Window(kept_sum(), partition_by=F("currency")),
            payments_in_all=Window(Count("pk")),
            rank_in_currency=Window(RowNumber(), partition_by=F("currency"), order_by=newest_first),
        )
        .filter(rank_in_currency__lte=Param("newest", models.IntegerField()))
        .order_by(*newest_first)
    )


@prepared
def _newest_sites(count: int):
    """Membership.newest_sites's statement."""
    from sites.models import Site

    return Site.objects.filter(membership=MEMBERSHIP).annotate(sites_in_all=Window(Count("pk")))[
        :count
    ]


class MembershipAddon(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="addon_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "product"], name="addon_once_per_plan"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="addon_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"


@dataclass(frozen=True)
class MembershipProducts:
    """What the membership page shows and offers of the catalogue."""

    plans: list[Product]  # the plans the membership can change to, its own among them
    addons: list[Product]  # the packages and services it can be given or re-count
    lines: list[MembershipAddon]  # its add-ons, by product name


@dataclass(frozen=True)
class PaymentSummary:
    """What the membership page shows of a membership's payments."""

    newest: list  # the newest payments, newest first
    count: int  # how many payments it has in all
    total_paid: dict[str, Decimal]  # the money kept per currency, by currency code

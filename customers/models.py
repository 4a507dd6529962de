import ipaddress
import operator
from datetime import timedelta
from functools import reduce

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from network_admin.expressions import RelatedAggregate, RelatedRows
from network_admin.references import ReferenceField, normalize_reference

ONLINE_WINDOW = timedelta(minutes=3)
# Up to this many online customers, the Online tab finds them by `last_seen` and sorts them
# (customers/views.py); beyond, walking the newest-first index, which carries `last_seen`,
# finds a page of them sooner. Among a million customers (the page, found and sorted /
# walked, on a machine ~2x slower than the fifteenth pass's): 1,500 online 16.9 / 17.3 ms,
# 2,500 online 16.8 / 12.2 ms.
FEW_ONLINE = 1_200
# What the customer search filters on (`CustomerQuerySet.search`): an index that a search of
# many customers walks carries them, so the walk reads the index alone.
SEARCHED_COLUMNS = ["search_text", "reference"]


def online_since():
    """The earliest `last_seen` that counts as online: ONLINE_WINDOW ago, from the start of
    that minute.

    `last_seen` moves once a minute at most (LastSeenMiddleware), so whole minutes lose nothing;
    and every page view in a minute then asks the same question. A searched list's Online tab
    is a planner estimate kept for its exact SQL: with a cutoff to the microsecond it was planned
    anew on every view (1 ms of a common search's 15).
    """
    return (timezone.now() - ONLINE_WINDOW).replace(second=0, microsecond=0)


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# An IP search looks its customers up by a list of ids up to this many customers.
MANY_CUSTOMERS_OF_AN_IP = 1000


def _logged_in_from(ip: str) -> models.Q:
    """Customers who logged in from `ip`, as a condition the search ORs with its text match.

    As a list of ids, looked up first: PostgreSQL then combines the id and text indexes. As an
    EXISTS per customer it guessed half of all customers match, walked all of them and took
    4.6 s on a million customers to find the one who did. An address shared by more customers
    than a list should carry is matched by subquery (then there are many to walk to).
    """
    logins = LoginRecord.objects.filter(ip_address=ip).order_by().values("customer_id")
    ids = list(
        logins.distinct().values_list("customer_id", flat=True)[: MANY_CUSTOMERS_OF_AN_IP + 1]
    )
    if len(ids) > MANY_CUSTOMERS_OF_AN_IP:
        return models.Q(pk__in=logins)
    return models.Q(pk__in=ids)


def _all_words_in(field: str, text: str) -> models.Q:
    """Rows whose `field` (lower-cased search text) holds every word of `text`."""
    matches = models.Q()
    for word in text.lower().split():
        matches &= models.Q(**{f"{field}__contains": word})
    return matches


def _named_exactly(text: str) -> models.Q | None:
    """Customers `text` names as a whole: by reference code or by an IP address they logged in
    from. None when `text` is neither."""
    matches = []
    reference = normalize_reference(text)
    if reference:
        matches.append(models.Q(reference=reference))
    if _is_ip_address(text.strip()):
        matches.append(_logged_in_from(text.strip()))
    return reduce(operator.or_, matches) if matches else None


def owner_matches(text: str) -> models.Q:
    """Rows of an OwnedByCustomer model whose owner the customer search finds by `text`.

    The owner's words are matched on each row's own copy of them (`owner_search_text`, with its
    own trigram index): a last name thousands of customers share then costs a walk of the
    list's newest-first index, not a join with each of those customers (26-46 ms for the
    membership list on a million customers, against 3 ms). A reference code or IP address
    names few customers: their ids are looked up first.
    """
    matches = _all_words_in("owner_search_text", text)
    named = _named_exactly(text)
    if named is not None:
        customers = Customer.objects.filter(named).order_by().values_list("pk", flat=True)
        ids = list(customers[: MANY_CUSTOMERS_OF_AN_IP + 1])
        matches |= models.Q(customer__in=customers if len(ids) > MANY_CUSTOMERS_OF_AN_IP else ids)
    return matches


class User(AbstractUser):
    """A login account: staff users are network admins or support agents, the rest are customers."""

    email = models.EmailField(_("email address"))
    # How this admin likes their pages (e.g. cards or rows); never business data.
    preferences = models.JSONField(_("preferences"), default=dict, blank=True)

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message=_("A user with this email address already exists."),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username


# CustomerQuerySet.as_listed: what a card or row shows (the name and email are the user's, Switch
# to asks about their account), and the customer list's sort keys.
LISTED_COLUMNS = [
    "vip",
    "last_login",
    "last_seen",
    "created_at",
    "first_name",
    "last_name",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__email",
    "user__is_staff",
    "user__is_superuser",
    "user__is_active",
]


class CustomerQuerySet(models.QuerySet):
    def locked(self, pk: int) -> "Customer":
        """Customer `pk` with its row locked until the transaction ends.

        Every service that changes a customer, or adds a row that points at one, starts here: a
        delete of the customer then waits for that change (and deletes or moves the new row), or
        has already committed and this raises Customer.DoesNotExist, answered as "not found".
        Unlocked, such an insert would fail at commit with an IntegrityError on PostgreSQL.
        """
        return self.select_for_update().get(pk=pk)

    def search(self, text: str):
        """Customers whose name, username, emails, company, reference or login IP match `text`.

        Every word must appear (in any field); a whole reference code or IP address also matches.
        """
        matches = _all_words_in("search_text", text)
        named = _named_exactly(text)
        if named is not None:
            matches |= named
        return self.filter(matches)

    def find_one(self, text: str):
        """The one customer `text` names (reference code, email or username), or None."""
        text = text.strip()
        reference = normalize_reference(text)
        matches = models.Q(user__username=text) | models.Q(user__email__iexact=text)
        if reference:
            matches |= models.Q(reference=reference)
        found = list(self.filter(matches)[:2])
        return found[0] if len(found) == 1 else None

    def as_listed(self):
        """The customers as the list's cards and rows show them (customers.templatetags
        .customer_ui): with their user and membership count, and only the columns those and the
        list's sort keys read. The rest (the search text, billing address, the user's password
        hash and preferences) is two thirds of the columns, each compiled into the query,
        converted and set on every row."""
        return self.select_related("user").only(*LISTED_COLUMNS).with_membership_count()

    def with_newest_rows(self, *, logins: int, notes: int, payments: int, sites: int, events: int):
        """The customers with their user, and their newest logins, notes, payments, sites and
        events, each as a list of up to its limit (`newest_logins`, `newest_notes`,
        `newest_payments`, `newest_sites`, `newest_events`), all in one statement: the customer
        page's own, which would otherwise be six round trips to the database."""
        return self.select_related("user").annotate(
            newest_logins=RelatedRows("pk", model=LoginRecord, field="customer", limit=logins),
            newest_notes=RelatedRows("pk", model=Note, field="customer", limit=notes),
            newest_payments=RelatedRows(
                "pk", model="payments.Payment", field="customer", limit=payments
            ),
            newest_sites=RelatedRows("pk", model="sites.Site", field="customer", limit=sites),
            newest_events=RelatedRows("pk", model="events.Event", field="customer", limit=events),
        )

    def with_membership_count(self):
        return self.annotate(
            membership_count=RelatedAggregate(
                "pk",
                # A label: memberships.models imports this module.
                model="memberships.Membership",
                field="customer",
                function="COUNT",
                output_field=models.IntegerField(),
            )
        )

    def vip(self):
        return self.filter(vip=True)

    def online(self):
        return self.filter(self.online_filter())

    @staticmethod
    def online_filter() -> models.Q:
        """Seen in the last few minutes (LastSeenMiddleware keeps `last_seen` fresh)."""
        return models.Q(last_seen__gte=online_since())


class Customer(models.Model):
    class EmailVerification(models.TextChoices):
        NONE = "none", _("None")
        PENDING = "pending", _("Pending")
        VERIFIED = "verified", _("Verified")

    reference = ReferenceField()
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="customer", verbose_name=_("user")
    )
    vip = models.BooleanField(_("VIP"), default=False, help_text=_("Set this customer as a VIP."))
    email_verification = models.CharField(
        _("email verification"),
        max_length=10,
        choices=EmailVerification,
        default=EmailVerification.NONE,
    )
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    billing_email = models.EmailField(_("billing email"), blank=True)
    address_line_1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state / region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = CountryField(_("country"), blank=True)
    signup_source = models.CharField(_("signup source"), max_length=30, blank=True)
    last_login = models.DateTimeField(_("last login"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last modified at"), auto_now=True)
    # Lower-cased copy of the searchable text of customer and login account. It lives on one
    # row so a single trigram index answers the search box (the fields span two tables).
    search_text = models.TextField(editable=False, default="")
    # Copies of the login account's names, for the list's "Name" sort: walked on this table's
    # own index, a search sorted by name filters each row as it goes. Through the users' index
    # it probed one customer per user (0.9 s for a page of a common last name).
    first_name = models.CharField(max_length=150, editable=False, default="")
    last_name = models.CharField(max_length=150, editable=False, default="")

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("export_customers", _("Can export customers")),
            ("switch_to_customer", _("Can switch to a customer")),
        ]
        indexes = [
            # Customer list, "Newest"/"Oldest" sort with keyset pagination. A search of many
            # customers, and the Online tab when many are online, walk this one, reading what
            # they filter on from the index alone (PostgreSQL; network_admin.pagination
            # .paginate's keys_first).
            models.Index(
                fields=["created_at", "id"],
                include=[*SEARCHED_COLUMNS, "last_seen"],
                name="customer_newest_idx",
            ),
            # Customer list, "Last login" sort (on PostgreSQL, customer_last_login_desc_idx of
            # migration 0006 serves it in its exact order).
            models.Index(fields=["last_login", "id"], name="customer_last_login_idx"),
            # Customer list, "Name" sort; a search of many customers sorted by name walks this one
            # alone, as customer_newest_idx by date.
            models.Index(
                fields=["first_name", "last_name", "id"],
                include=SEARCHED_COLUMNS,
                name="customer_name_search_idx",
            ),
            # "Online Customers" tab.
            models.Index(fields=["last_seen"], name="customer_last_seen_idx"),
            # "VIP Customers" tab, newest first; a search of many customers in it walks this
            # one alone, as customer_newest_idx for all customers.
            models.Index(
                fields=["created_at", "id"],
                include=SEARCHED_COLUMNS,
                condition=models.Q(vip=True),
                name="customer_vip_newest_idx",
            ),
        ]

    def __str__(self):
        return str(self.user)

    def save(self, *args, **kwargs):
        stored, adding = self.search_text, self._state.adding
        self.search_text = self.compose_search_text()
        self.first_name, self.last_name = self.user.first_name, self.user.last_name
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        written = update_fields is None or "search_text" in update_fields
        if written and not adding and self.search_text != stored:
            self._copy_search_text_to_owned_rows()

    def _copy_search_text_to_owned_rows(self) -> None:
        """Give the memberships, payments and sites this customer owns its new words."""
        for relation in self._meta.related_objects:
            if issubclass(relation.related_model, OwnedByCustomer):
                relation.related_model._base_manager.filter(**{relation.field.name: self}).update(
                    owner_search_text=self.search_text
                )

    def compose_search_text(self) -> str:
        user = self.user
        parts = [user.username, user.get_full_name(), user.email, self.billing_email]
        return "\n".join([*parts, self.company_name]).lower()

    @property
    def is_online(self) -> bool:
        return self.last_seen is not None and self.last_seen >= online_since()

    @property
    def name(self) -> str:
        return str(self.user)

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def initials(self) -> str:
        parts = [self.user.first_name, self.user.last_name]
        letters = "".join(part[0] for part in parts if part) or self.user.username[:2]
        return letters.upper()

    def billing_snapshot(self) -> dict:
        """Billing details as a payment must remember them, even after this customer is gone."""
        address = [
            self.address_line_1,
            self.address_line_2,
            self.city,
            self.state,
            self.postal_code,
        ]
        return {
            "billing_name": self.company_name or self.name,
            "billing_email": self.billing_email or self.email,
            "billing_address": "\n".join(part for part in address if part),
            "billing_country": self.country.code or "",
        }


class CustomField(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="custom_fields", verbose_name=_("customer")
    )
    key = models.SlugField(_("key"), max_length=64)
    value = models.CharField(_("value"), max_length=500, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="custom_field_key_unique"),
        ]

    def __str__(self):
        return f"{self.key}={self.value}"


class Note(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer")
    )
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    author_repr = models.CharField(_("author name"), max_length=200)
    text = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text[:50]


class LoginRecord(models.Model):
    """One real login of a customer (never an admin switching to them)."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="logins",
        verbose_name=_("customer"),
        db_index=False,  # covered by login_customer_recent_idx
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    country = CountryField(_("registered country of IP"), blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # "Last Login & IPs" block: a customer's newest logins.
            models.Index(fields=["customer", "-created_at"], name="login_customer_recent_idx"),
            # Customer search by IP address.
            models.Index(fields=["ip_address"], name="login_ip_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.ip_address} {self.created_at:%Y-%m-%d %H:%M}"


class OwnedByCustomer(models.Model):
    """A row a customer owns (through its `customer` field) and that lists find by its owner's
    name, username, emails or company: `owner_search_text` is a copy of the owner's
    `search_text` (Customer.save copies a change to every row it owns), or when the row has no
    owner its `ownerless_search_text()`.
    """

    owner_search_text = models.TextField(editable=False, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "customer" in update_fields:
            # Read in the same statement, from the owner's row: the customer instance at hand
            # may be older than a change of their words committed since it was loaded. (Django
            # sets the value it wrote back on the instance.)
            self.owner_search_text = (
                models.Subquery(
                    Customer.objects.filter(pk=self.customer_id).values("search_text")[:1]
                )
                if self.customer_id
                else self.ownerless_search_text()
            )
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "owner_search_text"}
        super().save(*args, **kwargs)

    def ownerless_search_text(self) -> str:
        """The words the list search finds this row by while it has no owner: none."""
        return ""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, OwnedByCustomer, owner_matches
from events.models import newest_events_about
from memberships.models import Membership
from network_admin.prepared import PRIMARY_KEY, prepared
from network_admin.references import ReferenceField, normalize_reference


class SiteQuerySet(models.QuerySet):
    def with_owner(self):
        """Sites with what list rows and site pages show beside them: owner and membership."""
        return self.select_related("customer__user", "membership")

    def search(self, text: str):
        """Sites whose title or domain holds every word of `text`, whose owner the customer
        search finds (customers.models.owner_matches), or whose reference code `text` is."""
        matches = Q()
        for word in text.split():
            matches &= Q(title__icontains=word) | Q(domain__icontains=word)
        matches |= owner_matches(text)
        reference = normalize_reference(text)
        if reference:
            matches |= Q(reference=reference)
        return self.filter(matches)


class Site(OwnedByCustomer):
    class Type(models.TextChoices):
        CUSTOMER_OWNED = "customer_owned", _("Customer-owned")
        SITE_TEMPLATE = "site_template", _("Site template")
        MAIN = "main", _("Main site")
        REGULAR = "regular", _("Regular")
        PENDING = "pending", _("Pending")

    reference = ReferenceField()
    title = models.CharField(_("title"), max_length=200)
    domain = models.CharField(_("domain"), max_length=253)
    path = models.CharField(_("path"), max_length=100, default="/")
    description = models.TextField(_("description"), max_length=2000, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type, default=Type.CUSTOMER_OWNED)
    customer = models.ForeignKey(
        Customer,
        # Deleting a customer must decide about sites explicitly (delete or move).
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
        verbose_name=_("owner"),
        db_index=False,  # covered by the composite index below
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
        verbose_name=_("membership"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last modified at"), auto_now=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "path"],
                name="site_url_unique",
                violation_error_message=_("Another site already uses this domain and path."),
            ),
            models.UniqueConstraint(
                fields=["type"],
                condition=Q(type="main"),
                name="site_one_main",
                violation_error_message=_("There is already a main site."),
            ),
            models.CheckConstraint(
                condition=Q(type="customer_owned", customer__isnull=False)
                | (~Q(type="customer_owned") & Q(customer__isnull=True, membership__isnull=True)),
                name="site_owner_matches_type",
                violation_error_message=_(
                    "A customer-owned site needs a customer; other sites have no owner."
                ),
            ),
        ]
        indexes = [
            # Sites list, newest first (all, and per type tab). A search of many sites walks
            # this one, reading what it filters on from the index alone (PostgreSQL;
            # network_admin.pagination.paginate's keys_first).
            models.Index(
                fields=["created_at", "id"],
                include=["owner_search_text", "title", "domain", "reference", "customer"],
                name="site_newest_idx",
            ),
            models.Index(fields=["type", "created_at", "id"], name="site_type_idx"),
            # Customer page block and the list filtered by customer.
            models.Index(fields=["customer", "created_at"], name="site_customer_idx"),
            # The search box's title and domain matches use trigram indexes on PostgreSQL,
            # created by migration 0002 (SQLite has none).
        ]

    def __str__(self):
        return self.title

    @property
    def url(self) -> str:
        return f"https://{self.domain}{self.path}"

    def can_be_deleted(self) -> bool:
        # The main site runs the network.
        return self.type != self.Type.MAIN

    def audit_entries(self, count: int) -> models.QuerySet:
        """The newest `count` events about this site, newest first."""
        return newest_events_about(self._meta.model_name, count, object_id=self.pk)


@prepared
def site_page():
    """The site whose primary key is `pk`, with its owner and membership, as the site's pages
    show it."""
    return Site.objects.with_owner().filter(pk=PRIMARY_KEY)

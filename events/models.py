from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an event: the audit trail is append-only."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Events cannot be deleted.")

    def for_customer(self, customer):
        return self.filter(customer_id=customer.pk)


class Event(models.Model):
    class Severity(models.TextChoices):
        SUCCESS = "success", _("Success")
        INFO = "info", _("Info")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")

    class Initiator(models.TextChoices):
        MANUAL = "manual", _("Manual")
        SYSTEM = "system", _("System")

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=50)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity, default=Severity.INFO
    )
    initiator = models.CharField(
        _("initiator"), max_length=10, choices=Initiator, default=Initiator.MANUAL
    )
    # Events outlive whatever they mention, so these references have no database constraint
    # and are never cascaded: the *_repr snapshots stand in when the target is gone.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_repr = models.CharField(_("actor name"), max_length=200, blank=True)
    object_type = models.CharField(_("object type"), max_length=30, blank=True)
    object_id = models.BigIntegerField(_("object ID"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
        db_index=False,  # covered by event_customer_idx
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Events list, newest first, keyset-paginated on (created_at, id).
            models.Index(fields=["-created_at", "-id"], name="event_recent_idx"),
            # Customer page "Events" block and the list filtered by customer.
            models.Index(fields=["customer", "-created_at"], name="event_customer_idx"),
            # Detail pages of memberships, payments and sites: the events about one object.
            models.Index(fields=["object_type", "object_id"], name="event_object_idx"),
            # Events list filtered by action.
            models.Index(fields=["action", "-created_at"], name="event_action_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Events cannot be deleted.")

import json
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from network_admin.links import object_url
from network_admin.prepared import PRIMARY_KEY, Param, prepared

# What each action says, as one sentence. Placeholders: %(actor)s, %(object)s, %(action)s,
# %(fields)s (the changed fields, by label), %(amount)s and %(total)s (with the payload's
# currency), %(<field>_old)s / %(<field>_new)s for each changed field, and any other top-level
# value of the payload by its key.
SENTENCES = {
    "customer.created": _("%(actor)s created customer %(object)s"),
    "customer.updated": _("%(actor)s updated customer %(object)s (%(fields)s)"),
    "customer.deleted": _("%(actor)s deleted customer %(object)s"),
    "customer.exported": ngettext_lazy(
        "%(actor)s exported %(rows)d customer", "%(actor)s exported %(rows)d customers", "rows"
    ),
    "customer.verification_sent": _("%(actor)s sent a verification email to %(object)s"),
    "customer.email_verified": _("%(object)s verified their email address"),
    "customer.switched_to": _("%(actor)s switched to customer %(object)s"),
    "customer.switched_back": _("%(actor)s switched back from customer %(object)s"),
    "membership.created": _("%(actor)s created membership %(object)s on %(plan)s"),
    "membership.updated": _("%(actor)s updated membership %(object)s (%(fields)s)"),
    "membership.cancelled": _("%(actor)s cancelled membership %(object)s"),
    "membership.transferred": _(
        "%(actor)s transferred membership %(object)s from %(customer_old)s to %(customer_new)s"
    ),
    "membership.deleted": _("%(actor)s deleted membership %(object)s"),
    "product.created": _("%(actor)s created product %(object)s"),
    "product.updated": _("%(actor)s updated product %(object)s (%(fields)s)"),
    "product.deleted": _("%(actor)s deleted product %(object)s"),
    "site.created": _("%(actor)s created site %(object)s"),
    "site.updated": _("%(actor)s updated site %(object)s (%(fields)s)"),
    "site.transferred": _(
        "%(actor)s transferred site %(object)s from %(customer_old)s to %(customer_new)s"
    ),
    "site.deleted": _("%(actor)s deleted site %(object)s"),
    "payment.created": _("%(actor)s created payment %(object)s of %(total)s"),
    "payment.updated": _("%(actor)s updated payment %(object)s (%(fields)s)"),
    "payment.deleted": _("%(actor)s deleted payment %(object)s"),
    "payment.refunded": _("%(actor)s refunded %(amount)s of payment %(object)s"),
    "payment.refund_failed": _("%(actor)s could not refund %(amount)s of payment %(object)s"),
    "auth.login_failed": _("Failed login as “%(username)s”"),
    "auth.permission_denied": _("%(actor)s was refused %(path)s (needs %(permission)s)"),
}
# For actions without a sentence of their own, or whose payload lacks what theirs needs.
FALLBACK_SENTENCE = _("%(actor)s: %(action)s on %(object)s")
FALLBACK_SENTENCE_WITHOUT_OBJECT = _("%(actor)s: %(action)s")

# The kinds of object events are about: (model, URL name of the object's page).
OBJECT_PAGES = {
    "customer": ("customers.Customer", "customers:detail"),
    "membership": ("memberships.Membership", "memberships:detail"),
    "payment": ("payments.Payment", "payments:detail"),
    "site": ("sites.Site", "sites:detail"),
    "product": ("memberships.Product", "memberships:product_detail"),
}
# A customer's changes include those of their login account (see customer_update).
EXTRA_FIELD_MODELS = {"customer": [settings.AUTH_USER_MODEL]}


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an event: the audit trail is append-only."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Events cannot be deleted.")

    def for_customer(self, customer):
        return self.filter(customer_id=customer.pk)

    def with_object_exists(self):
        """Annotate `object_exists`: whether the object each event is about is still there.

        One EXISTS per row, by primary key, inside the same query: a page of events learns which
        of its objects were deleted without a query per row or per kind of object.
        """
        return self.annotate(object_exists=ObjectExists("object_type", "object_id"))


class ObjectExists(models.Func):
    """CASE over the object types of OBJECT_PAGES, each an EXISTS on its model's table by
    primary key: whether the object (type, id) still exists; false for any other type.

    Written as SQL: the same CASE made of one `Exists` subquery per type cost Django ~2 ms to
    build and compile on every query of the events pages, this one formats a string.
    """

    arity = 2
    output_field = models.BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        type_sql, params = compiler.compile(self.source_expressions[0])
        id_sql, id_params = compiler.compile(self.source_expressions[1])
        quote = connection.ops.quote_name
        cases = []
        for object_type, (label, _url_name) in OBJECT_PAGES.items():
            meta = apps.get_model(label)._meta
            table, column = quote(meta.db_table), quote(meta.pk.column)
            # Only quoted names of our own models and compiled columns: values are parameters.
            exists = f"EXISTS(SELECT 1 FROM {table} WHERE {table}.{column} = {id_sql})"  # noqa: S608
            cases.append(f"WHEN %s THEN {exists}")
            params = [*params, object_type, *id_params]
        return f"CASE {type_sql} {' '.join(cases)} ELSE FALSE END", params


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
        db_index=False,  # covered by event_actor_idx
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
            # Events list filtered by action and severity: one index walk whatever the pair,
            # where the action's or the severity's index alone reads every event of either
            # when the two rarely or never come together (a refund that was an error).
            models.Index(
                fields=["action", "severity", "-created_at", "-id"],
                name="event_action_severity_idx",
            ),
            # Events list filtered by actor.
            models.Index(fields=["actor", "-created_at"], name="event_actor_idx"),
            # Events list filtered by severity: warnings and errors are rare, so without this
            # the newest of them are found by reading every newer event.
            models.Index(fields=["severity", "-created_at"], name="event_severity_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Events cannot be deleted.")

    @property
    def actor_name(self) -> str:
        return self.actor_repr or gettext("System")

    @property
    def sentence(self) -> str:
        """What happened, in one sentence ("Jane Admin refunded 20.00 USD of payment 4XV8…")."""
        template = SENTENCES.get(self.action)
        if template is not None:
            try:
                return template % self._sentence_values()
            except (KeyError, TypeError, ValueError, ArithmeticError):
                pass  # An event written before its sentence changed: say it plainly instead.
        fallback = FALLBACK_SENTENCE if self.object_repr else FALLBACK_SENTENCE_WITHOUT_OBJECT
        values = {"actor": self.actor_name, "action": self.action, "object": self.object_repr}
        return fallback % values

    def _sentence_values(self) -> dict:
        payload = self.payload if isinstance(self.payload, dict) else {}
        values = {
            key: value
            for key, value in payload.items()
            if isinstance(value, str | int | float) and not isinstance(value, bool)
        }
        changes = self.changed_fields()
        if changes:
            values["fields"] = ", ".join(label for _name, label, _old, _new in changes)
        for name, _label, old, new in changes:
            values[f"{name}_old"], values[f"{name}_new"] = old, new
        for key in ("amount", "total"):
            if key in payload:
                values[key] = _money(payload[key], payload["currency"])
        return values | {"actor": self.actor_name, "object": self.object_repr}

    def changed_fields(self) -> list[tuple[str, str, str, str]]:
        """(name, label, old, new) of each field an update changed, as text to show."""
        changes = self.payload.get("changes") if isinstance(self.payload, dict) else None
        if not isinstance(changes, dict):
            return []
        return [
            (name, self._field_label(name), _shown(change.get("old")), _shown(change.get("new")))
            for name, change in changes.items()
            if isinstance(change, dict)
        ]

    def _field_label(self, name: str) -> str:
        label, _url_name = OBJECT_PAGES.get(self.object_type, (None, None))
        for model_label in [label, *EXTRA_FIELD_MODELS.get(self.object_type, [])]:
            if model_label is None:
                continue
            try:
                field = apps.get_model(model_label)._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            # A reverse relation (notes, custom fields) is named after the related model.
            label = getattr(field, "verbose_name", None)
            return str(label or field.related_model._meta.verbose_name_plural)
        return name.replace("_", " ")

    @property
    def object_is_gone(self) -> bool:
        """The object was deleted (known only on querysets annotated `with_object_exists`)."""
        return self.object_type in OBJECT_PAGES and not getattr(self, "object_exists", True)

    @cached_property
    def object_url(self) -> str:
        """The page of the object this event is about; "" when it is gone or has no page."""
        if self.object_id is None or self.object_is_gone:
            return ""
        _label, url_name = OBJECT_PAGES.get(self.object_type, (None, None))
        return _page_url(url_name, self.object_id) if url_name else ""

    def payload_json(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False, sort_keys=True)


def _page_url(url_name: str, pk: int) -> str:
    # Not every kind of object has its page yet; until it has, its events just name it.
    try:
        return object_url(url_name, pk)
    except NoReverseMatch:
        return ""


def _money(amount, currency) -> str:
    return f"{number_format(Decimal(str(amount)), 2, force_grouping=True)} {currency}"


def _shown(value) -> str:
    """A payload value as a person reads it."""
    if value is None or (not value and isinstance(value, str | list | dict)):
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    return str(value)


@prepared
def newest_events_about(object_type: str, count: int):
    """The newest `count` events about the `object_type` ("membership", "payment", "site")
    whose primary key is `object_id`, newest first (event_object_idx finds them)."""
    object_id = Param("object_id", models.BigIntegerField())
    return Event.objects.filter(object_type=object_type, object_id=object_id)[:count]


@prepared
def event_page():
    """The event whose primary key is `pk`, with whether its object still exists and its
    customer's user, as the event page shows it."""
    return (
        Event.objects.with_object_exists().select_related("customer__user").filter(pk=PRIMARY_KEY)
    )

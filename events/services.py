"""The audit trail's one way in: every app's services call `record` inside their transaction."""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction
from django_countries.fields import Country

from events.models import Event
from network_admin.client import client_ip

SECRET_WORDS = ("password", "secret", "token")
MASK = "••••••"


@dataclass(frozen=True)
class Actor:
    """Who caused a change, and from where. A user of None is the system itself."""

    user: models.Model | None = None
    ip_address: str | None = None

    @classmethod
    def from_request(cls, request) -> "Actor":
        ip_address = client_ip(request)
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, ip_address=ip_address)


SYSTEM = Actor()


def plain(value):
    """A JSON-friendly, human-readable form of a field value for an event payload."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Country):
        return value.code or ""
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def _comparable(value):
    """What decides whether a value changed: identity for related objects (two customers may
    share a name), the number for money (50 is 50.00), the code for a country."""
    if isinstance(value, models.Model):
        return (value._meta.label, value.pk)
    if isinstance(value, Country):
        return value.code or ""
    return value


def _masked(payload):
    if isinstance(payload, dict):
        return {
            key: MASK if any(word in str(key).lower() for word in SECRET_WORDS) else _masked(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [_masked(item) for item in payload]
    return plain(payload)


def apply_changes(instance: models.Model, values: dict) -> dict:
    """Set `values` on `instance`; return {field: {"old", "new"}} for those that really changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(instance, name)
        if _comparable(old) != _comparable(new):
            changes[name] = {"old": plain(old), "new": plain(new)}
            setattr(instance, name, new)
    return changes


def _customer_id_of(obj) -> int | None:
    if obj is None:
        return None
    if obj._meta.label == "customers.Customer":
        return obj.pk
    return getattr(obj, "customer_id", None)


def record(
    action: str,
    *,
    actor: Actor,
    obj: models.Model | None = None,
    customer=None,
    payload: dict | None = None,
    severity: str = Event.Severity.INFO,
) -> Event:
    """Append one event. It must share the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record() must run inside the transaction of the change it records.")
    return Event.objects.create(
        action=action,
        severity=severity,
        initiator=Event.Initiator.SYSTEM if actor.user is None else Event.Initiator.MANUAL,
        actor=actor.user,
        actor_repr=str(actor.user)[:200] if actor.user else "",
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else "",
        customer_id=customer.pk if customer is not None else _customer_id_of(obj),
        ip_address=actor.ip_address,
        payload=_masked(payload or {}),
    )


def update_and_record(instance: models.Model, values: dict, *, action: str, actor: Actor) -> dict:
    """Apply, validate and save `values`, recording one event with every changed field.

    Nothing is saved and nothing recorded when no value changed. Invalid values raise
    ValidationError before anything is written.
    """
    changes = apply_changes(instance, values)
    if changes:
        instance.full_clean()
        instance.save()
        record(action, actor=actor, obj=instance, payload={"changes": changes})
    return changes

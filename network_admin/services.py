"""Security events: failed logins and refused pages, each recorded in its own transaction."""

from django.db import transaction

from events.models import Event
from events.services import Actor, record


@transaction.atomic
def login_failed(*, request, username: str) -> Event:
    """Someone tried to log in as `username` and failed (the password is never recorded)."""
    return record(
        "auth.login_failed",
        actor=Actor.from_request(request),
        payload={"username": username},
        severity=Event.Severity.WARNING,
    )


@transaction.atomic
def permission_denied(*, request, permissions: list[str]) -> Event:
    """A signed-in user asked for a page their role doesn't allow."""
    return record(
        "auth.permission_denied",
        actor=Actor.from_request(request),
        payload={"path": request.path, "permission": ", ".join(permissions)},
        severity=Event.Severity.WARNING,
    )

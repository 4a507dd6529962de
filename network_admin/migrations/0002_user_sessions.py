"""Sessions move to a table that also holds the signed-in user's id (network_admin.models.
UserSession), so a request reads its session and its user with one statement. Sessions that
have not expired come along, so nobody is signed out by the upgrade."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def _signed_in_user_id(session_data: str) -> int | None:
    # Both stores sign with the same salt (Django's, named after the class "SessionStore").
    user_id = DjangoSessionStore().decode(session_data).get(SESSION_KEY)
    return int(user_id) if str(user_id).isdigit() else None


def _copy_unexpired_sessions(source, target, **extra_fields):
    """Copy the sessions of `source` that have not expired into `target`; `extra_fields` maps a
    field of `target` to a function of the session's data."""
    unexpired = source.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=BATCH)
    target.objects.bulk_create(
        (
            target(
                session_key=session.session_key,
                session_data=session.session_data,
                expire_date=session.expire_date,
                **{name: value_of(session.session_data) for name, value_of in extra_fields.items()},
            )
            for session in unexpired
        ),
        batch_size=BATCH,
        ignore_conflicts=True,
    )


def move_sessions_in(apps, schema_editor):
    _copy_unexpired_sessions(
        apps.get_model("sessions", "Session"),
        apps.get_model("network_admin", "UserSession"),
        user_id=_signed_in_user_id,
    )


def move_sessions_out(apps, schema_editor):
    _copy_unexpired_sessions(
        apps.get_model("network_admin", "UserSession"), apps.get_model("sessions", "Session")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("network_admin", "0001_drop_unused_prefix_search_indexes"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserSession",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40,
                        primary_key=True,
                        serialize=False,
                        verbose_name="session key",
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                (
                    "expire_date",
                    models.DateTimeField(db_index=True, verbose_name="expire date"),
                ),
                (
                    "user_id",
                    models.BigIntegerField(blank=True, null=True, verbose_name="user ID"),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(move_sessions_in, move_sessions_out, elidable=False),
    ]

"""The events list filtered by action and severity walks one index (Event.Meta.indexes), built
without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("events", "0003_event_actor_severity_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(
                fields=["action", "severity", "-created_at", "-id"],
                name="event_action_severity_idx",
            ),
        ),
    ]

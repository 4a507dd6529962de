"""PostgreSQL only: the database itself refuses to change or delete an event.

The model and its QuerySet already refuse, but raw SQL, a bulk tool or a future bug would not ask
them. TRUNCATE stays possible (the test suite empties tables with it); it needs table ownership,
which the application's role should not have in production.
"""

from django.db import migrations

FUNCTION = "events_event_append_only"
TRIGGER = "event_append_only"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only: % of event % refused', TG_OP, OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$
            """,
            # No parameters: the % signs belong to RAISE, not to the database driver.
            params=None,
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON events_event "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON events_event")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]

"""Indexes in the exact order of the customer list's "Name" and "Last login" sorts.

The "Last login" order puts customers who never logged in last (DESC NULLS LAST); a plain
(last_login, id) index can't be walked in that order, so PostgreSQL sorted all million rows for
the last page. SQLite has no NULLS LAST in index definitions: there it stays a plain index.
"""

from django.db import migrations, models

LAST_LOGIN_INDEX = "customer_last_login_desc_idx"


def create_last_login_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {LAST_LOGIN_INDEX} ON customers_customer "
            "(last_login DESC NULLS LAST, id DESC)"
        )


def drop_last_login_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LAST_LOGIN_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("customers", "0005_user_preferences"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["first_name", "last_name", "id"], name="user_name_idx"),
        ),
        migrations.RunPython(create_last_login_index, drop_last_login_index, elidable=False),
    ]

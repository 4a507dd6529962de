"""PostgreSQL only: a trigram index so the customer search box stays fast on big networks.

SQLite has no trigram indexes; there the search scans, which is fine at laptop scale.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "customer_search_text_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Matches Customer.objects.search(): `search_text LIKE '%word%'` on lower-cased text.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer "
            "USING gin (search_text gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_search_text")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]

"""The migration operations that give a table of OwnedByCustomer rows its `owner_search_text`:
filled from each row's owner, and on PostgreSQL searched through a trigram index with a fine
statistics target, like `customers_customer.search_text` (customers migrations 0004 and 0007).

SQLite has no trigram indexes; there the search scans, which is fine at laptop scale.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

STATISTICS = 1000


def operations(app_label: str, model_name: str, table: str) -> list:
    def fill(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        customer = apps.get_model("customers", "Customer")
        owners_text = customer.objects.filter(pk=OuterRef("customer_id")).values("search_text")
        model.objects.filter(customer__isnull=False).update(
            owner_search_text=Subquery(owners_text[:1])
        )

    index = f"{model_name}_owner_search_trgm"

    def create_index(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # Matches customers.models.owner_matches(): `owner_search_text LIKE '%word%'`.
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
                "USING gin (owner_search_text gin_trgm_ops)"
            )
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN owner_search_text SET STATISTICS {STATISTICS}"
            )
            # The column was just filled: until the table is analyzed, the planner would take
            # every owner word for a rare one.
            schema_editor.execute(f"ANALYZE {table}")

    def drop_index(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {index}")

    return [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]

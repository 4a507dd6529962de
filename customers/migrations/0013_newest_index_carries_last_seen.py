"""The newest-first index carries when each customer was last seen, so the Online tab can walk
it alone (Customer.Meta.indexes); rebuilt without locking the table
(network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0012_name_index_carries_search_columns")]

    operations = replace_index_concurrently(
        "customer",
        "customer_newest_idx",
        models.Index(
            fields=["created_at", "id"],
            include=("search_text", "reference", "last_seen"),
            name="customer_newest_idx",
        ),
    )

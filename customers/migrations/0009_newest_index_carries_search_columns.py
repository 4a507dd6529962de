"""The newest-first index carries what the search filters on (Customer.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0008_name_sort_copies")]

    operations = replace_index_concurrently(
        "customer",
        "customer_created_idx",
        models.Index(
            fields=["created_at", "id"],
            include=("search_text", "reference"),
            name="customer_newest_idx",
        ),
    )

"""The VIP tab's index carries what the search filters on (Customer.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0009_newest_index_carries_search_columns")]

    operations = replace_index_concurrently(
        "customer",
        "customer_vip_created_idx",
        models.Index(
            fields=["created_at", "id"],
            include=("search_text", "reference"),
            condition=models.Q(vip=True),
            name="customer_vip_newest_idx",
        ),
    )

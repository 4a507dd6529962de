"""The name sort's index carries what the search filters on (Customer.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0011_vip_search_trigram_index")]

    operations = replace_index_concurrently(
        "customer",
        "customer_name_idx",
        models.Index(
            fields=["first_name", "last_name", "id"],
            include=("search_text", "reference"),
            name="customer_name_search_idx",
        ),
    )

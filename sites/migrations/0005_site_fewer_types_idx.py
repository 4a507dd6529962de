"""An index for a search of many sites in the pending or templates tab, carrying what the
search filters on (Site.Meta.indexes), built without locking the table
(network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("sites", "0004_newest_index_carries_search_columns")]

    operations = [
        AddIndexConcurrently(
            model_name="site",
            index=models.Index(
                fields=["type", "created_at", "id"],
                include=("owner_search_text", "title", "domain", "reference", "customer"),
                condition=~models.Q(type="customer_owned"),
                name="site_fewer_types_idx",
            ),
        ),
    ]

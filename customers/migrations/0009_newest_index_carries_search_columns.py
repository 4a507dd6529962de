"""The newest-first index carries what the search filters on (see Customer.Meta.indexes).

Built beside the old index, then the old one dropped, both CONCURRENTLY on PostgreSQL: the list
keeps an index throughout and the table stays writable.
"""

from django.db import migrations, models

from network_admin.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0008_name_sort_copies")]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                fields=["created_at", "id"],
                include=("search_text", "reference"),
                name="customer_newest_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="customer", name="customer_created_idx"),
    ]

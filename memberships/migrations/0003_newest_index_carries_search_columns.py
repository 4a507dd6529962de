"""The newest-first index carries what the search filters on (see Membership.Meta.indexes).

Built beside the old index, then the old one dropped, both CONCURRENTLY on PostgreSQL: the list
keeps an index throughout and the table stays writable.
"""

from django.db import migrations, models

from network_admin.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0008_name_sort_copies"),
        ("memberships", "0002_owner_search_text"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="membership",
            index=models.Index(
                fields=["created_at", "id"],
                include=("owner_search_text", "plan"),
                name="membership_newest_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="membership", name="membership_created_idx"),
    ]

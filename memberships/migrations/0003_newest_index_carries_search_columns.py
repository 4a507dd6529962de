"""The newest-first index carries what the search filters on (Membership.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0008_name_sort_copies"),
        ("memberships", "0002_owner_search_text"),
    ]

    operations = replace_index_concurrently(
        "membership",
        "membership_created_idx",
        models.Index(
            fields=["created_at", "id"],
            include=("owner_search_text", "plan"),
            name="membership_newest_idx",
        ),
    )

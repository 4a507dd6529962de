"""The status tabs' index carries what the search filters on (Membership.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("memberships", "0003_newest_index_carries_search_columns")]

    operations = replace_index_concurrently(
        "membership",
        "membership_status_idx",
        models.Index(
            fields=["status", "created_at", "id"],
            include=("owner_search_text", "plan"),
            name="membership_status_newest_idx",
        ),
    )

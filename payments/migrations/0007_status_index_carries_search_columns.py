"""The status tabs' index carries what the search filters on (Payment.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("payments", "0006_newest_index_carries_search_columns")]

    operations = replace_index_concurrently(
        "payment",
        "payment_status_idx",
        models.Index(
            fields=["status", "created_at", "id"],
            include=(
                "owner_search_text",
                "gateway_payment_id",
                "customer",
                "reference",
                "invoice_number",
            ),
            name="payment_status_newest_idx",
        ),
    )

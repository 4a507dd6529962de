"""The newest-first index carries what the search filters on (Payment.Meta.indexes), and is
replaced without locking the table (network_admin.migration_operations)."""

from django.db import migrations, models

from network_admin.migration_operations import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0009_newest_index_carries_search_columns"),
        ("memberships", "0003_newest_index_carries_search_columns"),
        ("payments", "0005_snapshot_words_of_payments_without_customer"),
    ]

    operations = replace_index_concurrently(
        "payment",
        "payment_created_idx",
        models.Index(
            fields=["created_at", "id"],
            include=(
                "owner_search_text",
                "gateway_payment_id",
                "customer",
                "reference",
                "invoice_number",
            ),
            name="payment_newest_idx",
        ),
    )

"""The references and usernames are matched whole, never by prefix: their second index, which
Django adds on PostgreSQL for LIKE 'prefix%', goes (network_admin.migration_operations)."""

from django.db import migrations

from network_admin.migration_operations import drop_prefix_search_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0009_newest_index_carries_search_columns"),
        ("memberships", "0003_newest_index_carries_search_columns"),
        ("payments", "0006_newest_index_carries_search_columns"),
        ("sites", "0004_newest_index_carries_search_columns"),
    ]

    operations = [
        drop_prefix_search_indexes(
            "customers.Customer.reference",
            "customers.User.username",
            "memberships.Membership.reference",
            "payments.Payment.reference",
            "sites.Site.reference",
        )
    ]

"""PostgreSQL only: trigram indexes so the site search box stays fast on big networks.

SQLite has no trigram indexes; there the search scans, which is fine at laptop scale.
"""

from django.db import migrations

# Matches Site.objects.search(): Django writes `title__icontains` as
# `UPPER("title"::text) LIKE UPPER(%s)`, so the indexes hold the same expressions.
INDEXES = {"site_title_trgm": "title", "site_domain_trgm": "domain"}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON sites_site "
                f"USING gin (UPPER({column}::text) gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0001_initial"),
        # It installs the pg_trgm extension.
        ("customers", "0004_search_trigram_index"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]

"""PostgreSQL only: finer statistics on the search text, so the planner knows how common a word is.

With the default statistics target, `search_text LIKE '%fischer%'` was estimated at 100 rows
among a million customers when 10,118 match; the planner then read and sorted all of them
(71 ms) instead of walking the newest-first index until a page was full (2.7 ms). A target of
1,000 gives `LIKE` a 1,000-value histogram to estimate from (6,006 estimated for that word).
ANALYZE, run by autovacuum or after a big import, collects them.
"""

from django.db import migrations

STATISTICS = 1000


def set_statistics(apps, schema_editor, target=STATISTICS):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE customers_customer ALTER COLUMN search_text SET STATISTICS {int(target)}"
        )


def reset_statistics(apps, schema_editor):
    set_statistics(apps, schema_editor, target=-1)


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_list_sort_indexes")]

    operations = [migrations.RunPython(set_statistics, reset_statistics, elidable=False)]

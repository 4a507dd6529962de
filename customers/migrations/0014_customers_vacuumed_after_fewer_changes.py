"""PostgreSQL only: autovacuum the customers table after 1 % of its rows changed, not 20 %.

An online customer's row changes once a minute (LastSeenMiddleware moves `last_seen`), and a
changed row's page is no longer "all visible" until the table is vacuumed. A walk of an index
that carries every column a list filters on (customer_newest_idx and its siblings) reads the
index alone only on all-visible pages; on the others it reads the table too. By PostgreSQL's
defaults the table of a million customers waits for 200,000 changed rows, two hours and more
with 1,500 online, by when most of its pages have had a customer seen on them: with 18,464 of
its 31,367 pages changed, the list's searches read ten times as many table rows (a common
name in the VIP tab 1.8 -> 2.9 ms of SQL). Vacuumed after ~10,000 changes, a few minutes'
worth, the pages of customers seen long ago are all visible again (a vacuum of 9,050 changed
pages took 3 s; the map lets it skip the others).
"""

from django.db import migrations

TABLE = "customers_customer"
SETTINGS = "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000"
NAMES = "autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold"


def vacuum_sooner(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET ({SETTINGS})")


def vacuum_by_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET ({NAMES})")


class Migration(migrations.Migration):
    dependencies = [("customers", "0013_newest_index_carries_last_seen")]

    operations = [migrations.RunPython(vacuum_sooner, vacuum_by_default, elidable=False)]

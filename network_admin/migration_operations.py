"""Index changes that keep a big table writable while they run.

A plain CREATE INDEX or DROP INDEX locks the table against writes until it finishes: seconds
on a million memberships, during which every change to them waits. PostgreSQL builds and drops
indexes CONCURRENTLY instead (Django's operations of that name, in a migration with
`atomic = False`). Those only run on PostgreSQL, so these run the plain operation elsewhere
(SQLite, the development database, where nobody waits).
"""

from functools import partial

from django.contrib.postgres import operations as postgres
from django.db.migrations import AddIndex, RemoveIndex, RenameIndex, RunPython


class _ConcurrentOnPostgreSQL:
    plain_operation: type  # what runs on other databases

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run("database_forwards", schema_editor)(
            app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run("database_backwards", schema_editor)(
            app_label, schema_editor, from_state, to_state
        )

    def _run(self, method: str, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            return getattr(super(), method)
        return partial(getattr(self.plain_operation, method), self)


class AddIndexConcurrently(_ConcurrentOnPostgreSQL, postgres.AddIndexConcurrently):
    plain_operation = AddIndex


class RemoveIndexConcurrently(_ConcurrentOnPostgreSQL, postgres.RemoveIndexConcurrently):
    plain_operation = RemoveIndex


def replace_index_concurrently(model_name: str, old_name: str, index) -> list:
    """The operations that replace the index `old_name` with `index`: the new one is built
    beside the old, then the old dropped, so the table keeps an index throughout. An `index`
    named `old_name` is built under a name of its own and takes the old name at the end. The
    migration needs `atomic = False`."""
    if index.name != old_name:
        return [
            AddIndexConcurrently(model_name=model_name, index=index),
            RemoveIndexConcurrently(model_name=model_name, name=old_name),
        ]
    built = index.clone()
    built.name = f"{old_name}_new"
    return [
        *replace_index_concurrently(model_name, old_name, built),
        RenameIndex(model_name=model_name, old_name=built.name, new_name=old_name),
    ]


def drop_prefix_search_indexes(*fields: str) -> RunPython:
    """The operation that drops the second index Django gives each of `fields`
    ("app_label.Model.field", a unique or indexed CharField) on PostgreSQL: a copy with
    `varchar_pattern_ops`, for LIKE 'prefix%', which no query here makes (references and
    usernames are matched whole, by their own unique index). Each is as big as that index (230
    MB for the references and usernames of a million customers) and is written on every insert.

    Dropped CONCURRENTLY, so the migration needs `atomic = False`. Backwards, Django's index is
    built again as Django builds it (plainly, locking its table while it builds).
    """

    def fields_of(apps):
        for path in fields:
            app_label, model_name, field_name = path.split(".")
            model = apps.get_model(app_label, model_name)
            yield model, model._meta.get_field(field_name)

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for model, field in fields_of(apps):
            for name in prefix_search_indexes(schema_editor.connection, model, field):
                schema_editor.execute(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}"
                )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for model, field in fields_of(apps):
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))

    return RunPython(forwards, backwards, atomic=False, elidable=False)


def prefix_search_indexes(connection, model, field) -> list[str]:
    """The names of `field`'s `varchar_pattern_ops` indexes (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = %s
              AND t.relnamespace = current_schema()::regnamespace
              AND pg_get_indexdef(x.indexrelid) LIKE %s
            """,
            [model._meta.db_table, f"%({field.column} varchar_pattern_ops)"],
        )
        return [name for (name,) in cursor.fetchall()]

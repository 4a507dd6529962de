"""Index changes that keep a big table writable while they run.

A plain CREATE INDEX or DROP INDEX locks the table against writes until it finishes: seconds
on a million memberships, during which every change to them waits. PostgreSQL builds and drops
indexes CONCURRENTLY instead (Django's operations of that name, in a migration with
`atomic = False`). Those only run on PostgreSQL, so these run the plain operation elsewhere
(SQLite, the development database, where nobody waits).
"""

from functools import partial

from django.contrib.postgres import operations as postgres
from django.db.migrations import AddIndex, RemoveIndex


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
    """The operations that replace the index `old_name` with `index` (under another name): the
    new one is built beside the old, then the old dropped, so the table keeps an index
    throughout. The migration needs `atomic = False`."""
    return [
        AddIndexConcurrently(model_name=model_name, index=index),
        RemoveIndexConcurrently(model_name=model_name, name=old_name),
    ]

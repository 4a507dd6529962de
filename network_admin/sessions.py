"""Django's database sessions, read with one fixed SQL statement (settings.SESSION_ENGINE)."""

from functools import cache

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    """Django's database session store, but every request's read of its session skips the ORM.

    Every page reads its session; building `Session.objects.get(...)` and a model instance from
    the row took 0.85 ms of which the statement itself was 0.35 (docs/performance.md, tenth
    pass). Here the statement is composed once from the model's names and the key and the time
    travel as parameters. Writing, expiring and deleting sessions are Django's own.
    """

    def load(self):
        database = router.db_for_read(self.model)
        connection = connections[database]
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_session_data_sql(database), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            # Unknown or expired: the next save starts a new session, as Django's store does.
            self._session_key = None
            return {}
        return self.decode(row[0])


@cache
def _session_data_sql(database: str) -> str:
    """The stored data of the unexpired session whose key is the first parameter."""
    model = SessionStore.get_model_class()
    quote = connections[database].ops.quote_name

    def column(name: str) -> str:
        return quote(model._meta.get_field(name).column)

    return (
        f"SELECT {column('session_data')} FROM {quote(model._meta.db_table)}"  # noqa: S608
        f" WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )

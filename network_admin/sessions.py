"""Sessions that are read with their user in one fixed SQL statement (settings.SESSION_ENGINE)."""

from functools import cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone

from network_admin.backends import (
    column_sql,
    remember_session_user,
    table_sql,
    user_columns_sql,
    user_from_row,
)


class SessionStore(db.SessionStore):
    """Django's database session store, whose every read brings the signed-in user along.

    Every page reads its session and then its user (with their permissions): built through
    the ORM, the session alone took 0.85 ms, of which the statement was 0.35 (docs/performance.md,
    tenth pass). Here one statement, composed once from the models' names, reads the session
    and joins the user its row names (UserSession.user_id); the user waits for auth's get_user
    in network_admin.backends. Writing, expiring and deleting sessions are Django's own.
    """

    @classmethod
    def get_model_class(cls):
        from network_admin.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = _signed_in_user_id(data)
        return session

    def load(self):
        database = router.db_for_read(self.model)
        connection = connections[database]
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_session_sql(), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            # Unknown or expired: the next save starts a new session, as Django's store does.
            self._session_key = None
            remember_session_user(None)
            return {}
        session_data, *user_row = row
        remember_session_user(user_from_row(user_row))
        return self.decode(session_data)


def _signed_in_user_id(data: dict) -> int | None:
    try:
        return get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
    except ValidationError:
        return None


@cache
def _session_sql() -> str:
    """The stored data of the unexpired session whose key is the first parameter, then the
    columns of its user (all NULL without one) as `user_from_row` reads them."""
    session, user = SessionStore.get_model_class(), get_user_model()
    return (
        f"SELECT s.{column_sql(session, 'session_data')}, {user_columns_sql()}"  # noqa: S608
        f" FROM {table_sql(session)} s LEFT JOIN {table_sql(user)} u"
        f" ON u.{column_sql(user, 'id')} = s.{column_sql(session, 'user_id')}"
        f" WHERE s.{column_sql(session, 'session_key')} = %s"
        f" AND s.{column_sql(session, 'expire_date')} > %s"
    )

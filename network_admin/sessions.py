"""Sessions that are read with their user in one fixed SQL statement (settings.SESSION_ENGINE)."""

from functools import cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone

from network_admin.backends import remember_session_user, user_columns_sql, user_from_row


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
            cursor.execute(_session_sql(database), [self.session_key, now])
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
def _session_sql(database: str) -> str:
    """The stored data of the unexpired session whose key is the first parameter, then the
    columns of its user (all NULL without one) as `user_from_row` reads them."""
    model = SessionStore.get_model_class()
    user_model = get_user_model()
    quote = connections[database].ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    return (
        f"SELECT s.{column(model, 'session_data')}, {user_columns_sql()}"  # noqa: S608
        f" FROM {quote(model._meta.db_table)} s"
        f" LEFT JOIN {quote(user_model._meta.db_table)} u"
        f" ON u.{quote(user_model._meta.pk.column)} = s.{column(model, 'user_id')}"
        f" WHERE s.{column(model, 'session_key')} = %s AND s.{column(model, 'expire_date')} > %s"
    )

"""The project's own models: the sessions the app signs people in with."""

from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(AbstractBaseSession):
    """Django's database session plus the id of the user it signs in (settings.SESSION_ENGINE).

    Every request reads its session and then its user: with the id beside the session data,
    network_admin.sessions reads both, and the user's permissions, with one statement. A plain
    column, not a foreign key: a session may outlive its user for a moment (a login racing the
    user's deletion), and auth already refuses a user who is gone.
    """

    user_id = models.BigIntegerField(_("user ID"), null=True, blank=True)

    @classmethod
    def get_session_store_class(cls):
        from network_admin.sessions import SessionStore

        return SessionStore

"""Django's permission checks without queries of their own: they come with the user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Concat

# Permission names are "app_label.codename": neither part can hold a space.
SEPARATOR = " "


def _permission_names():
    """A subquery of the user's own and their groups' permissions as one space-separated text."""
    granted = Permission.objects.filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
    # Grouping by a constant leaves no GROUP BY: one aggregate row over all the user's permissions.
    names = StringAgg(
        Concat("content_type__app_label", Value("."), "codename"), delimiter=Value(SEPARATOR)
    )
    return Subquery(
        granted.order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(names=names)
        .values("names")
    )


class PermissionsBackend(ModelBackend):
    """ModelBackend, but the signed-in user's permissions arrive in the query that loads them.

    Every admin page checks a permission, so the stock backend's two lookups (user's own, then
    their groups') would cost two round trips on every request; here they cost none.
    """

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.annotate(permission_names=_permission_names())
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        if not user.is_superuser:
            user._perm_cache = set((user.permission_names or "").split(SEPARATOR)) - {""}
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                permissions = Permission.objects.all()
            else:
                permissions = Permission.objects.filter(
                    Q(user=user_obj) | Q(group__user=user_obj)
                ).distinct()
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache

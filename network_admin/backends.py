"""Django's user and permission lookups in one plain query instead of three."""

from contextvars import ContextVar
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections

# The user read together with this request's session, until auth's get_user takes them.
_session_user = ContextVar("session_user", default=None)


def remember_session_user(user) -> None:
    """Hand the user read with the request's session (network_admin.sessions) to the get_user
    that auth calls next; None when the session has no user. Every read of a session sets it,
    so a user left untaken never reaches a later request's get_user."""
    _session_user.set(user)


class PermissionsBackend(ModelBackend):
    """ModelBackend, but the signed-in user comes with their own and their groups' permissions.

    Every page loads the user and checks a permission: the stock backend spends three queries on
    that (the user, their own permissions, their groups'), and building the permissions query
    through the ORM (an OR of two joins with DISTINCT) took 1.1 ms a request. Here the user's row
    carries their permission names from a fixed SQL statement, composed once from the models'
    names, and usually arrives with the session's own row (network_admin.sessions). Both come
    from the primary database, like sessions: a deactivated user or a revoked permission applies
    at once, however far behind a read replica is.
    """

    def get_user(self, user_id):
        user = _session_user.get()
        _session_user.set(None)
        if user is None or user.pk != user_id:
            user = _stored_user(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                    cursor.execute(_permissions_sql(), [user_obj.pk])
                    rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


def _quote(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


def table_sql(model) -> str:
    """`model`'s table, quoted for SQL; like `column_sql`, for statements composed once from
    the models' names (here and in network_admin.sessions)."""
    return _quote(model._meta.db_table)


def column_sql(model, field: str) -> str:
    return _quote(model._meta.get_field(field).column)


# Only names from the models are put into the texts below; the user's id travels as a parameter.
@cache
def _granted_sql() -> str:
    """Rows of (holder, permission): each user's permissions, directly or through a group."""
    user_groups = get_user_model().groups.through
    user_permissions = get_user_model().user_permissions.through
    group_permissions = Group.permissions.through
    return (
        f"SELECT ug.{column_sql(user_groups, 'user')} AS holder,"  # noqa: S608
        f" gp.{column_sql(group_permissions, 'permission')} AS permission"
        f" FROM {table_sql(group_permissions)} gp"
        f" JOIN {table_sql(user_groups)} ug"
        f" ON ug.{column_sql(user_groups, 'group')} = gp.{column_sql(group_permissions, 'group')}"
        f" UNION SELECT up.{column_sql(user_permissions, 'user')},"
        f" up.{column_sql(user_permissions, 'permission')}"
        f" FROM {table_sql(user_permissions)} up"
    )


def _permissions_of(holder: str) -> str:
    """FROM and WHERE of the permissions (p) and their content types (ct) of one user:
    `holder` is the SQL that gives the user's id."""
    return (
        f" FROM ({_granted_sql()}) granted"
        f" JOIN {table_sql(Permission)} p ON p.{column_sql(Permission, 'id')} = granted.permission"
        f" JOIN {table_sql(ContentType)} ct"
        f" ON ct.{column_sql(ContentType, 'id')} = p.{column_sql(Permission, 'content_type')}"
        f" WHERE granted.holder = {holder}"
    )


@cache
def _permissions_sql() -> str:
    """(app label, codename) of each permission of the user whose id is the one parameter."""
    app_label, codename = column_sql(ContentType, "app_label"), column_sql(Permission, "codename")
    return f"SELECT ct.{app_label}, p.{codename}{_permissions_of('%s')}"  # noqa: S608


@cache
def user_columns_sql() -> str:
    """The columns of the user `u` in the order of their model's fields, then, in one text cell,
    the names of their permissions ("app_label.codename" joined by spaces; neither contains
    one): what `user_from_row` reads."""
    user_model = get_user_model()
    user_id = f"u.{column_sql(user_model, 'id')}"
    columns = ", ".join(f"u.{_quote(field.column)}" for field in user_model._meta.concrete_fields)
    app_label, codename = column_sql(ContentType, "app_label"), column_sql(Permission, "codename")
    aggregate = (
        "string_agg"
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
        else "group_concat"  # SQLite before 3.44 has no string_agg
    )
    return (
        f"{columns}, (SELECT {aggregate}(ct.{app_label} || '.' || p.{codename}, ' ')"
        f"{_permissions_of(user_id)})"
    )


def user_from_row(row) -> AbstractBaseUser | None:
    """The user, with their permissions, from the columns of `user_columns_sql`; None when
    they are all NULL (an outer join that found no user)."""
    *values, permission_names = row
    if values[_pk_position()] is None:
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    for position, converters, column in _converters():
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    user = get_user_model().from_db(DEFAULT_DB_ALIAS, _attnames(), values)
    if not user.is_superuser:
        user._perm_cache = set(permission_names.split()) if permission_names else set()
    return user


@cache
def _attnames() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


@cache
def _converters() -> list[tuple[int, list, object]]:
    """What the ORM would do to each column of a user row as the database sends it (SQLite
    sends dates as text and booleans as numbers): (position, converters, column)."""
    connection = connections[DEFAULT_DB_ALIAS]
    user_model = get_user_model()
    found = []
    for position, field in enumerate(user_model._meta.concrete_fields):
        column = field.get_col(user_model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((position, converters, column))
    return found


@cache
def _pk_position() -> int:
    return _attnames().index(get_user_model()._meta.pk.attname)


def _stored_user(user_id):
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_user_sql(), [user_id])
        row = cursor.fetchone()
    return None if row is None else user_from_row(row)


@cache
def _user_sql() -> str:
    """The user whose id is the one parameter, as `user_columns_sql` lists them."""
    user_model = get_user_model()
    return (
        f"SELECT {user_columns_sql()} FROM {table_sql(user_model)} u"  # noqa: S608
        f" WHERE u.{column_sql(user_model, 'id')} = %s"
    )

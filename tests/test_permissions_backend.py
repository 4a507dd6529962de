"""Permission checks: a user's own and their groups' permissions, looked up in one query."""

import pytest
from django.contrib.auth.models import Group, Permission

from network_admin.backends import PermissionsBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def test_own_and_group_permissions_both_count_and_cost_one_query(django_assert_num_queries):
    group = Group.objects.create(name="Refunders")
    group.permissions.add(permission("change_payment"))
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    user.user_permissions.add(permission("view_payment"))

    with django_assert_num_queries(1):
        assert user.has_perms(["payments.view_payment", "payments.change_payment"])
        assert not user.has_perm("payments.delete_payment")


def test_superusers_have_every_permission_and_inactive_users_none():
    assert "payments.delete_payment" in UserFactory(is_superuser=True).get_all_permissions()
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(permission("view_payment"))
    assert not inactive.has_perm("payments.view_payment")


def test_a_user_without_permissions_has_none():
    assert UserFactory().get_all_permissions() == set()


def test_the_signed_in_user_comes_with_their_permissions_in_one_query(
    django_assert_num_queries,
):
    group = Group.objects.create(name="Refunders")
    group.permissions.add(permission("change_payment"))
    stored = UserFactory(is_staff=True)
    stored.groups.add(group)
    stored.user_permissions.add(permission("view_payment"))

    with django_assert_num_queries(1):
        user = PermissionsBackend().get_user(stored.pk)
        assert user == stored and user.username == stored.username
        assert user.has_perms(["payments.view_payment", "payments.change_payment"])
        assert not user.has_perm("payments.delete_payment")


def test_signing_in_skips_missing_and_inactive_users_and_superusers_may_do_anything():
    backend = PermissionsBackend()
    assert backend.get_user(987654) is None
    assert backend.get_user(UserFactory(is_active=False).pk) is None
    superuser = backend.get_user(UserFactory(is_superuser=True).pk)
    assert superuser.has_perm("payments.delete_payment")
    assert backend.get_user(UserFactory().pk).get_all_permissions() == set()

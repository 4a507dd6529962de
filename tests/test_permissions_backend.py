"""Permission checks: a user's own and their groups' permissions, loaded with the user."""

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


def refunder() -> tuple:
    group = Group.objects.create(name="Refunders")
    group.permissions.add(permission("change_payment"), permission("view_payment"))
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    user.user_permissions.add(permission("view_payment"), permission("view_site"))
    return user, group


def test_the_signed_in_user_arrives_with_their_permissions(django_assert_num_queries):
    user, _ = refunder()

    with django_assert_num_queries(1):
        loaded = PermissionsBackend().get_user(user.pk)
        assert loaded.get_all_permissions() == {
            "payments.change_payment",
            "payments.view_payment",
            "sites.view_site",
        }
        assert not loaded.has_perm("payments.delete_payment")


def test_a_revoked_permission_is_gone_on_the_next_request():
    user, group = refunder()
    assert PermissionsBackend().get_user(user.pk).has_perm("payments.change_payment")

    group.permissions.remove(permission("change_payment"))

    assert not PermissionsBackend().get_user(user.pk).has_perm("payments.change_payment")


def test_superusers_signed_in_have_every_permission_and_inactive_users_are_signed_out():
    superuser = PermissionsBackend().get_user(UserFactory(is_superuser=True).pk)
    assert "payments.delete_payment" in superuser.get_all_permissions()
    assert PermissionsBackend().get_user(UserFactory(is_active=False).pk) is None
    assert PermissionsBackend().get_user(0) is None


def test_a_signed_in_user_without_permissions_has_none():
    assert (
        PermissionsBackend().get_user(UserFactory(is_staff=True).pk).get_all_permissions() == set()
    )

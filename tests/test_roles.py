import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def permissions_of(role):
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def test_network_admin_can_do_everything_except_rewrite_history():
    granted = permissions_of("Network admin")
    assert {
        "delete_customer",
        "export_customers",
        "switch_to_customer",
        "refund_payment",
        "change_membership",
        "delete_site",
        "view_event",
    } <= granted
    assert not {"add_event", "change_event", "delete_event"} & granted


def test_support_agent_views_everything_and_edits_only_customers():
    granted = permissions_of("Support agent")
    assert {"view_customer", "view_payment", "view_event", "change_customer"} <= granted
    assert (
        not {
            "delete_customer",
            "export_customers",
            "switch_to_customer",
            "refund_payment",
            "change_payment",
            "add_customer",
        }
        & granted
    )


@pytest.mark.django_db(transaction=True)
def test_roles_come_back_for_tests_after_a_flush():
    # Transactional tests flush every table, the migration's groups included.
    Group.objects.all().delete()
    user = UserFactory(is_staff=True, role="Support agent")
    assert user.has_perm("customers.view_customer")
    assert not user.has_perm("customers.delete_customer")

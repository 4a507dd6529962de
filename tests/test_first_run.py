import pytest
from django.core.management import call_command

from customers.models import Customer, User

pytestmark = pytest.mark.django_db


def test_first_run_creates_the_admin_once_and_loads_the_demo_network(capsys):
    call_command("first_run")
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.groups.filter(name="Network admin").exists()
    printed = capsys.readouterr().out
    assert "password:" in printed
    assert Customer.objects.exists()

    call_command("first_run")
    assert "password:" not in capsys.readouterr().out
    assert User.objects.filter(username="admin").count() == 1

"""`manage.py screenshots` (run by `make screenshots`) builds its own demo network, so it must
never write into a database that has real customers."""

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from tests.factories import CustomerFactory


@pytest.mark.django_db
def test_screenshots_refuse_a_database_that_already_has_customers(tmp_path):
    CustomerFactory()

    with pytest.raises(CommandError, match="already has customers"):
        call_command("screenshots", output=tmp_path)

    assert Customer.objects.count() == 1
    assert list(tmp_path.iterdir()) == []

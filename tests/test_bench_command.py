"""`manage.py bench` (docs/performance.md) browses every page it times and prints one table."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import (
    CustomerFactory,
    EventFactory,
    LoginRecordFactory,
    MembershipFactory,
    PaymentFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


def test_bench_times_every_page_and_prints_its_row():
    ordinary = CustomerFactory(vip=False, user__last_name="Fischer")
    LoginRecordFactory(customer=ordinary, ip_address="198.51.100.23")
    MembershipFactory(customer=ordinary)
    PaymentFactory(customer=ordinary)
    SiteFactory(customer=ordinary)
    EventFactory(customer_id=ordinary.pk)
    PaymentFactory(customer=CustomerFactory(vip=True))
    out = StringIO()

    call_command("bench", "--no-export", "--requests", "1", "--warmup", "0", stdout=out)

    table = out.getvalue()
    for page in [
        "dashboard",
        "customers: page 1",
        "customers: common search, sorted by name",
        "customers: IP address search",
        "customer page: heavy",
        "memberships: common owner search",
        "sites: common owner search",
        "payments: rare owner search",
        "events: of the heavy customer",
    ]:
        assert f"\n{page} " in table


def test_bench_needs_customers_to_time():
    with pytest.raises(CommandError, match="run seed_demo first"):
        call_command("bench", "--no-export", "--requests", "1", stdout=StringIO())

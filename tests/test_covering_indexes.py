"""A search of many rows is paged by walking the list's newest-first index alone (PostgreSQL), or
its tab's: that index must carry every column the search filters on, or each entry costs a table
read."""

import re

import pytest
from django.db import connection

from customers.models import Customer
from memberships.models import Membership
from payments.models import Payment
from sites.models import Site
from tests.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="INCLUDE is PostgreSQL's"),
]


def index_columns(name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attribute.attname FROM pg_index AS index"
            " JOIN pg_class AS class ON class.oid = index.indexrelid"
            " JOIN pg_attribute AS attribute"
            "   ON attribute.attrelid = index.indrelid AND attribute.attnum = ANY(index.indkey)"
            " WHERE class.relname = %s",
            [name],
        )
        return {column for (column,) in cursor.fetchall()}


def filtered_columns(queryset) -> set[str]:
    sql = str(queryset.query)
    table = queryset.model._meta.db_table
    return set(re.findall(rf'"{table}"\."(\w+)"', sql.partition(" WHERE ")[2]))


@pytest.mark.parametrize(
    "index", ["customer_newest_idx", "customer_vip_newest_idx", "customer_name_search_idx"]
)
@pytest.mark.parametrize("text", ["ada lovelace", "1QZ312GBP9", "10.0.0.1"])
def test_the_customer_search_filters_only_on_columns_of_the_newest_first_indexes(text, index):
    searched = filtered_columns(Customer.objects.search(text).order_by())
    assert "search_text" in searched
    assert searched <= index_columns(index)


def test_the_online_tab_filters_only_on_columns_of_the_newest_first_index():
    online = filtered_columns(Customer.objects.online().order_by())
    assert online == {"last_seen"}
    assert online <= index_columns("customer_newest_idx")


@pytest.mark.parametrize("index", ["membership_newest_idx", "membership_status_newest_idx"])
def test_the_membership_search_filters_only_on_columns_of_the_newest_first_indexes(index):
    ProductFactory(name="Hopper Plan")  # a plan name that matches adds the plan column
    searched = filtered_columns(Membership.objects.search("hopper"))
    assert {"owner_search_text", "plan_id"} <= searched
    assert searched <= index_columns(index)


@pytest.mark.parametrize("text", ["hopper", "hopper.example.net", "10.0.0.1", "1QZ312GBP9"])
def test_the_site_search_filters_only_on_columns_of_the_newest_first_index(text):
    searched = filtered_columns(Site.objects.search(text))
    assert "owner_search_text" in searched
    assert searched <= index_columns("site_newest_idx")


@pytest.mark.parametrize("index", ["payment_newest_idx", "payment_status_newest_idx"])
@pytest.mark.parametrize("text", ["fischer", "pi_3Nx9", "10.0.0.1", "1QZ312GBP9", "#4711"])
def test_the_payment_search_filters_only_on_columns_of_the_newest_first_indexes(text, index):
    searched = filtered_columns(Payment.objects.search(text))
    assert {"owner_search_text", "gateway_payment_id"} <= searched
    assert searched <= index_columns(index)


def test_a_search_in_the_vip_tab_is_what_the_vips_trigram_index_serves():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('customer_vip_search_text_trgm'::regclass)")
        [(definition,)] = cursor.fetchall()
    assert definition.endswith("USING gin (search_text gin_trgm_ops) WHERE vip")
    searched = Customer.objects.search("fischer").vip().order_by()
    assert filtered_columns(searched) == {"search_text", "vip"}
    assert "LIKE" in str(searched.query)


def test_the_customers_table_is_vacuumed_long_before_most_of_its_pages_changed():
    # A walk reads the index alone on pages vacuumed since their rows last changed, and an
    # online customer's row changes every minute (customers/migrations/0014).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'customers_customer'")
        (options,) = cursor.fetchone()
    assert "autovacuum_vacuum_scale_factor=0.01" in options

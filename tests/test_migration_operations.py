"""The migrations that replace the lists' newest-first indexes, forwards and back: built and
dropped CONCURRENTLY on PostgreSQL (outside a transaction), plainly on SQLite; the words of
payments without a customer, filled in before the payments' index is replaced; and the unused
prefix-search indexes of references and usernames, dropped; the sessions that move to the
table that names their user."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, User
from memberships.models import Membership
from network_admin.migration_operations import prefix_search_indexes
from network_admin.models import UserSession
from network_admin.sessions import SessionStore
from payments.models import Payment
from sites.models import Site
from tests.factories import UserFactory

BEFORE = [
    ("customers", "0008_name_sort_copies"),
    ("memberships", "0002_owner_search_text"),
    ("sites", "0003_owner_search_text"),
    ("payments", "0004_owner_search_text"),
]


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, constraint in constraints.items() if constraint["index"]}


def migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


# Serialized rollback, as in test_seed_demo: a plain flush afterwards re-creates the content
# types, which a following serialized-rollback test would then load a second time.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_newest_first_indexes_are_replaced_and_restored():
    try:
        migrate(BEFORE)
        assert {"membership_created_idx"} <= index_names("memberships_membership")
        assert "membership_newest_idx" not in index_names("memberships_membership")
        assert {"site_created_idx"} <= index_names("sites_site")
        assert {"customer_created_idx"} <= index_names("customers_customer")
        assert {"payment_created_idx"} <= index_names("payments_payment")
        with connection.cursor() as cursor:
            # A payment whose customer was deleted before its snapshot's words were kept.
            cursor.execute(
                "INSERT INTO payments_payment (reference, status, currency, subtotal,"
                " discount_total, tax_total, total, gateway, gateway_payment_id, billing_name,"
                " billing_email, billing_address, billing_country, created_at, updated_at,"
                " owner_search_text) VALUES ('PMIGRATE01', 'completed', 'USD', 0, 0, 0, 0, '',"
                " '', 'Gone Ltd', 'Gone@Old.example', '', '', %s, %s, '')",
                [timezone.now(), timezone.now()],
            )
        with CaptureQueriesContext(connection) as sent:
            migrate()
        assert "membership_newest_idx" in index_names("memberships_membership")
        assert "membership_created_idx" not in index_names("memberships_membership")
        assert "site_newest_idx" in index_names("sites_site")
        assert "site_created_idx" not in index_names("sites_site")
        assert "customer_newest_idx" in index_names("customers_customer")
        assert "customer_created_idx" not in index_names("customers_customer")
        assert "payment_newest_idx" in index_names("payments_payment")
        assert "payment_created_idx" not in index_names("payments_payment")
        statements = [query["sql"] for query in sent]
        built = [sql for sql in statements if "CREATE INDEX CONCURRENTLY" in sql]
        dropped = [sql for sql in statements if "DROP INDEX CONCURRENTLY" in sql]
        # The four lists' indexes built and their old ones dropped without locking their tables
        # against writes; so is every other index these migrations build on those tables.
        lists = "(customer|membership|site|payment)"
        replaced = (
            len([sql for sql in built if re.search(rf'"{lists}_newest_idx"', sql)]),
            len([sql for sql in dropped if re.search(rf'"{lists}_created_idx"', sql)]),
        )
        expected = (4, 4) if connection.vendor == "postgresql" else (0, 0)
        assert replaced == expected
        tables = "(customers_customer|memberships_membership|sites_site|payments_payment)"
        plain = [
            sql
            for sql in statements
            if re.search(rf'CREATE INDEX (?!CONCURRENTLY).* ON "{tables}"', sql)
        ]
        if connection.vendor == "postgresql":
            assert plain == []
        gone = Payment.objects.get(reference="PMIGRATE01")
        assert gone.owner_search_text == "gone ltd\ngone@old.example"
        assert list(Payment.objects.search("gone ltd")) == [gone]
    finally:
        migrate()


PREFIX_SEARCHED_NOWHERE = [
    (Customer, "reference"),
    (User, "username"),
    (Membership, "reference"),
    (Payment, "reference"),
    (Site, "reference"),
]


def prefix_indexed() -> list[str]:
    return [
        f"{model.__name__}.{name}"
        for model, name in PREFIX_SEARCHED_NOWHERE
        if prefix_search_indexes(connection, model, model._meta.get_field(name))
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django adds them on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_unused_prefix_search_indexes_are_dropped_and_restored():
    try:
        assert prefix_indexed() == []
        migrate([("network_admin", None)])
        assert prefix_indexed() == [
            "Customer.reference",
            "User.username",
            "Membership.reference",
            "Payment.reference",
            "Site.reference",
        ]
        with CaptureQueriesContext(connection) as sent:
            migrate()
        assert prefix_indexed() == []
        assert len([query for query in sent if "DROP INDEX CONCURRENTLY" in query["sql"]]) == 5
    finally:
        migrate()


def django_session(expire_date=None, **data) -> str:
    store = DjangoSessionStore()
    store.update(data)
    store.save()
    if expire_date:
        Session.objects.filter(pk=store.session_key).update(expire_date=expire_date)
    return store.session_key


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_unexpired_sessions_move_to_the_new_table_and_back_with_their_users():
    admin = UserFactory(is_staff=True, role="Network admin")
    try:
        migrate([("network_admin", "0001_drop_unused_prefix_search_indexes")])
        signed_in = django_session(**{SESSION_KEY: str(admin.pk)})
        anonymous = django_session(language="id")
        expired = django_session(timezone.now() - timedelta(seconds=1), language="id")
        migrate()
        moved = dict(UserSession.objects.values_list("session_key", "user_id"))
        assert moved == {signed_in: admin.pk, anonymous: None}
        assert SessionStore(signed_in).load() == {SESSION_KEY: str(admin.pk)}

        Session.objects.all().delete()
        migrate([("network_admin", "0001_drop_unused_prefix_search_indexes")])
        assert set(Session.objects.values_list("session_key", flat=True)) == {
            signed_in,
            anonymous,
        }
        assert expired not in moved
    finally:
        migrate()

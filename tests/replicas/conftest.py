import copy
import logging
from contextlib import contextmanager

import pytest
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.utils import ConnectionHandler

from network_admin import db_router
from network_admin.db_router import ReplicaHealth

# A second connection to the test database, standing in for a replica that is always up to date.
FAKE_REPLICA = "replica_fake"
# A PostgreSQL server nobody listens for: a replica that is down.
DOWN_REPLICA = "replica_down"


@contextmanager
def database_alias(alias: str, settings_dict: dict):
    """Make `alias` a database for the duration, as if it were in settings.DATABASES.

    It is marked as a test mirror of the default database, so test cases neither create nor
    flush it (a replica can't be written to).
    """
    configured = ConnectionHandler({"default": {}, alias: settings_dict}).settings[alias]
    configured["TEST"]["MIRROR"] = "default"
    connections.settings[alias] = configured
    try:
        yield connections[alias]
    finally:
        connection = connections[alias]
        connection.close()
        if connection.connection is not None:
            # Django keeps an in-memory SQLite database open on close(): this is a second handle.
            connection.connection.close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture(scope="module")
def fake_replica(django_db_setup):
    with database_alias(FAKE_REPLICA, copy.deepcopy(connections["default"].settings_dict)):
        yield FAKE_REPLICA


@pytest.fixture(scope="module")
def down_replica():
    refused = {"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1", "PORT": 1}
    with database_alias(DOWN_REPLICA, refused | {"NAME": "x", "USER": "x"}):
        yield DOWN_REPLICA


@pytest.fixture(autouse=True)
def forget_replica_health():
    # The health of replicas is remembered per process: no test may see another's.
    db_router.replica_health.reset()
    yield
    db_router.replica_health.reset()


@pytest.fixture
def all_replicas_healthy(monkeypatch):
    """Replicas whose health check always passes (the fake one is no PostgreSQL standby)."""
    monkeypatch.setattr(db_router, "replica_health", ReplicaHealth(probe=lambda alias: None))


@contextmanager
def sql_on_every_thread(alias: str):
    """The SQL run on `alias` meanwhile, on this thread's connection and on any connection
    another thread opens (the CSV export reads ahead on a second one)."""
    statements = []

    def note(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def watch(sender, connection, **kwargs):
        if connection.alias == alias:
            connection.execute_wrappers.append(note)

    connection_created.connect(watch)
    try:
        with connections[alias].execute_wrapper(note):
            yield statements
    finally:
        connection_created.disconnect(watch)


def customer_queries(captured) -> list[str]:
    """The SQL of the captured queries that read customers."""
    return [
        query["sql"] for query in captured.captured_queries if "customers_customer" in query["sql"]
    ]


def warnings_in(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]

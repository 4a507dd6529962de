"""Settings come from the environment; DATABASE_URL picks SQLite or PostgreSQL."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from customers.models import Customer
from tests.factories import CustomerFactory

SETTINGS = Path(__file__).resolve().parent.parent / "network_admin" / "settings.py"


def load_settings(monkeypatch, **environment):
    for name in [
        "DATABASE_URL",
        "DATABASE_REPLICA_URLS",
        "DB_PREPARED_STATEMENTS",
        "DEBUG",
        "SECRET_KEY",
        "NETWORK_CURRENCY",
        "ALLOWED_HOSTS",
    ]:
        monkeypatch.delenv(name, raising=False)
    # A developer's own .env must not leak into what these tests observe.
    monkeypatch.setenv("ENV_FILE", str(SETTINGS.parent / "no-such.env"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_sqlite_is_the_embedded_default(monkeypatch):
    settings = load_settings(monkeypatch, SECRET_KEY="k" * 50)
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"].endswith("db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgresql_url_keeps_connections_open_and_checks_them(monkeypatch):
    settings = load_settings(
        monkeypatch,
        SECRET_KEY="k" * 50,
        DATABASE_URL="postgres://app:s3cret@db.internal:6543/network",
    )
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        6543,
        "network",
    )
    assert (database["USER"], database["PASSWORD"]) == ("app", "s3cret")
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True


def test_postgresql_sessions_start_without_jit_unless_the_url_says_otherwise(monkeypatch):
    url = "postgres://app@db.internal/network"
    settings = load_settings(monkeypatch, SECRET_KEY="k" * 50, DATABASE_URL=url)
    assert settings["DATABASES"]["default"]["OPTIONS"]["options"] == "-c jit=off"
    settings = load_settings(
        monkeypatch, SECRET_KEY="k" * 50, DATABASE_URL=f"{url}?options=-c%20work_mem%3D64MB"
    )
    assert settings["DATABASES"]["default"]["OPTIONS"]["options"] == "-c work_mem=64MB"


def test_postgresql_connections_prepare_their_statements_unless_turned_off(monkeypatch):
    urls = {
        "SECRET_KEY": "k" * 50,
        "DATABASE_URL": "postgres://app@db.internal/network",
        "DATABASE_REPLICA_URLS": "postgres://app@replica.internal/network",
    }
    databases = load_settings(monkeypatch, **urls)["DATABASES"]
    for alias in ("default", "replica1"):
        options = databases[alias]["OPTIONS"]
        assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 5)
        assert options["options"] == "-c jit=off"
    assert databases["replica1"]["OPTIONS"]["connect_timeout"] == 2

    databases = load_settings(monkeypatch, DB_PREPARED_STATEMENTS="false", **urls)["DATABASES"]
    for alias in ("default", "replica1"):
        assert not {"server_side_binding", "prepare_threshold"} & set(databases[alias]["OPTIONS"])
        assert databases[alias]["OPTIONS"]["options"] == "-c jit=off"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_statement_run_often_is_planned_once_per_connection():
    customer = CustomerFactory()
    for _ in range(6):
        Customer.objects.get(pk=customer.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "customers_customer"' in statement for statement in prepared), prepared


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_the_database_session_has_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_secret_key_is_required_unless_debug_is_on(monkeypatch):
    with pytest.raises(ImproperlyConfigured):
        load_settings(monkeypatch)
    assert load_settings(monkeypatch, DEBUG="true")["SECRET_KEY"]


def test_debug_is_off_and_hosts_closed_by_default(monkeypatch):
    settings = load_settings(monkeypatch, SECRET_KEY="k" * 50)
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == []


def test_network_currency_comes_from_the_environment(monkeypatch):
    settings = load_settings(monkeypatch, SECRET_KEY="k" * 50, NETWORK_CURRENCY="idr")
    assert settings["NETWORK_CURRENCY"] == "IDR"

"""DATABASE_REPLICA_URLS turns into one database per replica, used only through the router."""

from tests.test_settings_env import load_settings


def test_each_replica_url_becomes_a_replica_database(monkeypatch):
    settings = load_settings(
        monkeypatch,
        SECRET_KEY="k" * 50,
        DATABASE_URL="postgres://app@primary.internal:5432/network",
        DATABASE_REPLICA_URLS="postgres://reader@replica-a.internal:5432/network,"
        "postgres://reader@replica-b.internal:5432/network?sslmode=require",
    )
    assert settings["DATABASE_REPLICAS"] == ["replica1", "replica2"]
    first, second = settings["DATABASES"]["replica1"], settings["DATABASES"]["replica2"]
    assert (first["HOST"], second["HOST"]) == ("replica-a.internal", "replica-b.internal")
    assert second["OPTIONS"] == {
        "sslmode": "require",
        "connect_timeout": 2,
        "options": "-c jit=off",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    assert first["CONN_MAX_AGE"] > 0 and first["CONN_HEALTH_CHECKS"] is True
    # The test suite never creates (or flushes) a database on a replica.
    assert first["TEST"] == {"MIRROR": "default"}
    assert settings["DATABASE_ROUTERS"] == ["network_admin.db_router.ReplicaRouter"]


def test_without_replica_urls_there_is_only_the_primary(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    settings = load_settings(monkeypatch, SECRET_KEY="k" * 50)
    assert settings["DATABASE_REPLICAS"] == []
    assert list(settings["DATABASES"]) == ["default"]
    assert (settings["REPLICA_PIN_SECONDS"], settings["REPLICA_MAX_LAG_SECONDS"]) == (5, 3)

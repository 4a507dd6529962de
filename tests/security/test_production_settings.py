"""Production settings: `check --deploy` passes with the production environment variables, and
the cookies, HTTPS redirect and HSTS behave as configured."""

import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from tests.security.helpers import fresh_environment
from tests.test_settings_env import load_settings

PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "admin.example.net",
    "CSRF_TRUSTED_ORIGINS": "https://admin.example.net",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "DATABASE_URL": "sqlite:///:memory:",
}


def check_deploy(**environment) -> subprocess.CompletedProcess:
    settings_module = {"DJANGO_SETTINGS_MODULE": "network_admin.settings"}
    key = {"SECRET_KEY": secrets.token_urlsafe(50)}
    env = fresh_environment(**settings_module | key | PRODUCTION | environment)
    return subprocess.run(  # noqa: S603 - our own manage.py, with arguments we wrote
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deployment_checks_pass_with_production_settings():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("weakened", "warning"),
    [
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECRET_KEY": "django-insecure-" + "k" * 50}, "security.W009"),
        ({"SECURE_COOKIES": "false"}, "security.W012"),
        ({"SECURE_HSTS_PRELOAD": "false"}, "security.W021"),
    ],
)
def test_the_deployment_checks_catch_a_weakened_setting(weakened, warning):
    result = check_deploy(**weakened)
    assert result.returncode != 0
    assert warning in result.stderr


def test_production_settings_harden_cookies_and_trust_the_proxy(monkeypatch):
    production = load_settings(monkeypatch, SECRET_KEY="k" * 50, **PRODUCTION)
    assert production["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"]
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert production["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_developer_keeps_plain_cookie_names(monkeypatch):
    development = load_settings(monkeypatch, DEBUG="true")
    assert "SESSION_COOKIE_NAME" not in development  # Django's "sessionid"
    assert not development["SESSION_COOKIE_SECURE"]
    assert "SECURE_PROXY_SSL_HEADER" not in development


@pytest.mark.django_db
def test_the_session_cookie_is_host_only_secure_and_hidden_from_scripts(client, network_admin):
    response = client.post(
        "/login/", {"username": network_admin.username, "password": "correct horse battery staple"}
    )
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["path"] == "/" and not cookie["domain"]
    assert cookie["samesite"] == "Lax"


BEHIND_PROXY = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_PRELOAD": True,
}


@pytest.mark.django_db
@override_settings(**BEHIND_PROXY)
def test_behind_the_proxy_plain_http_is_redirected_and_https_gets_hsts(client):
    plain = client.get("/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/"
    secure = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
@override_settings(**BEHIND_PROXY)
def test_the_health_check_answers_plain_http_for_the_load_balancer(client):
    assert client.get("/healthz").status_code == 200

"""The session store: a session is read while it lasts, and never after it expired."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from network_admin.sessions import SessionStore


def session_of(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_a_signed_in_admin_stays_signed_in(admin_client, network_admin):
    response = admin_client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert response.context["user"] == network_admin


def test_an_expired_session_signs_the_admin_out(admin_client):
    session = session_of(admin_client)
    session.expire_date = timezone.now() - timedelta(seconds=1)
    session.save()
    response = admin_client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_session_key_is_anonymous_and_never_reused(admin_client):
    session_of(admin_client).delete()
    response = admin_client.get(reverse("customers:list"))
    assert response.status_code == 302
    store = SessionStore("k" * 32)
    assert store.load() == {}
    store["language"] = "id"
    store.save()
    assert store.session_key != "k" * 32


def test_what_a_session_holds_is_read_back(db):
    store = SessionStore()
    store["hijack_history"] = ["7"]
    store.save()
    assert SessionStore(store.session_key).load() == {"hijack_history": ["7"]}


def test_corrupted_session_data_is_an_empty_session(db):
    store = SessionStore()
    store["language"] = "id"
    store.save()
    Session.objects.filter(session_key=store.session_key).update(session_data="not signed")
    assert SessionStore(store.session_key).load() == {}

"""The session store: a session is read while it lasts, never after it expired, and together
with the user it signs in (the move of older sessions: tests/test_migration_operations.py)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from network_admin.backends import PermissionsBackend
from network_admin.models import UserSession
from network_admin.sessions import SessionStore
from tests.factories import CustomerFactory, UserFactory


def session_key_of(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def session_of(client) -> UserSession:
    return UserSession.objects.get(session_key=session_key_of(client))


def test_a_signed_in_admin_stays_signed_in(admin_client, network_admin):
    response = admin_client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert response.context["user"] == network_admin


def test_the_session_and_its_user_with_permissions_are_read_with_one_query(
    admin_client, network_admin, django_assert_num_queries
):
    assert session_of(admin_client).user_id == network_admin.pk
    with django_assert_num_queries(1):
        data = SessionStore(session_key_of(admin_client)).load()
        user = PermissionsBackend().get_user(int(data[SESSION_KEY]))
        assert user == network_admin and user.get_full_name() == "Jane Admin"
        assert user.last_login is not None and user.last_login.tzinfo is not None
        assert user.has_perm("customers.view_customer")
        assert not user.has_perm("auth.change_permission")


def test_what_the_session_says_decides_who_is_signed_in_not_the_column_beside_it(
    admin_client, network_admin
):
    # Sessions moved over from before the column, or a column naming someone else: the user
    # read beside the session is used only when it is the one the session's data names.
    other = CustomerFactory().user
    for user_id in (None, other.pk):
        UserSession.objects.filter(pk=session_key_of(admin_client)).update(user_id=user_id)
        response = admin_client.get(reverse("customers:list"))
        assert response.status_code == 200
        assert response.context["user"] == network_admin


def test_a_user_read_with_one_session_is_never_handed_to_another(
    admin_client, network_admin, django_assert_num_queries
):
    SessionStore(session_key_of(admin_client)).load()
    other = UserFactory()
    assert PermissionsBackend().get_user(other.pk) == other
    # Taken once: a second lookup reads the database again.
    with django_assert_num_queries(1):
        assert PermissionsBackend().get_user(network_admin.pk) == network_admin


def test_a_deactivated_user_read_with_their_session_is_signed_out(admin_client, network_admin):
    network_admin.is_active = False
    network_admin.save(update_fields=["is_active"])
    response = admin_client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_session_without_a_user_names_none(db):
    store = SessionStore()
    store["language"] = "id"
    store.save()
    assert UserSession.objects.get(pk=store.session_key).user_id is None
    assert SessionStore(store.session_key).load() == {"language": "id"}


def test_an_expired_session_signs_the_admin_out(admin_client):
    session = session_of(admin_client)
    session.expire_date = timezone.now() - timedelta(seconds=1)
    session.save()
    response = admin_client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_clearsessions_deletes_the_expired_sessions_only(admin_client):
    expired = SessionStore()
    expired.set_expiry(-1)
    expired.save()
    call_command("clearsessions")
    assert list(UserSession.objects.values_list("pk", flat=True)) == [session_key_of(admin_client)]


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
    UserSession.objects.filter(session_key=store.session_key).update(session_data="not signed")
    assert SessionStore(store.session_key).load() == {}

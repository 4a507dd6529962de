import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Customer, User
from events.models import Event
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("customers:add")


def new_user(**overrides):
    return {
        "mode": "new",
        "username": "grace",
        "email": "grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "password": "",
    } | overrides


def test_add_form_renders(admin_client):
    page = admin_client.get(URL).content.decode()
    assert "Add Customer" in page and 'name="username"' in page


def test_adding_a_new_user_without_password_emails_a_set_password_link(admin_client):
    response = admin_client.post(URL, new_user())
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.name == "Grace Hopper"
    assert not customer.user.has_usable_password()
    assert Event.objects.get().action == "customer.created"
    (email,) = mail.outbox
    assert email.to == ["grace@example.com"]
    assert "/reset/" in email.body


def test_adding_a_new_user_with_a_password_lets_them_log_in(admin_client, client):
    admin_client.post(URL, new_user(password="a long enough passphrase 42"))
    assert Customer.objects.get().user.check_password("a long enough passphrase 42")
    assert not mail.outbox


def test_adding_an_existing_user_by_email(admin_client):
    user = UserFactory(email="linus@example.com")
    response = admin_client.post(URL, {"mode": "existing", "existing_user": "LINUS@example.com"})
    assert response.status_code == 302
    assert Customer.objects.get().user == user


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (new_user(email="GRACE@EXAMPLE.COM"), "email", "already exists"),
        (new_user(username="taken"), "username", "already exists"),
        (new_user(email="not-an-email"), "email", "valid email"),
        (new_user(username="bad name!"), "username", "valid username"),
        (new_user(username=""), "username", "required"),
        (new_user(password="123"), "password", "too short"),
        ({"mode": "existing", "existing_user": "nobody"}, "existing_user", "No account"),
        ({"mode": "existing", "existing_user": "staffer"}, "existing_user", "Staff"),
        ({"mode": "existing", "existing_user": "customer1"}, "existing_user", "already"),
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_creates_nothing(
    admin_client, data, field, message
):
    UserFactory(username="taken", email="grace@example.com")
    UserFactory(username="staffer", is_staff=True)
    CustomerFactory(user__username="customer1")
    before = (User.objects.count(), Customer.objects.count())

    response = admin_client.post(URL, data)

    assert response.status_code == 200
    assert message.lower() in " ".join(response.context["form"].errors[field]).lower()
    assert (User.objects.count(), Customer.objects.count()) == before
    assert not Event.objects.exists()


def test_support_agent_cannot_add_customers(agent_client):
    assert agent_client.get(URL).status_code == 403
    assert agent_client.post(URL, new_user()).status_code == 403
    assert not Customer.objects.exists()

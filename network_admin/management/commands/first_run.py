import secrets

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from customers.models import Customer, User

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Prepare a new installation: load the demo network when there are no customers yet, and "
        "create the 'admin' account with a generated password, printed once, if it doesn't exist."
    )

    def handle(self, *args, **options):
        # The admin exists before the demo network, so nothing in it predates the first admin;
        # the password is printed last, where the seeding's progress can't scroll it away.
        password = None
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            password = self._create_admin()
        if not Customer.objects.exists():
            self.stdout.write("No customers yet: loading the demo network.")
            call_command("seed_demo", stdout=self.stdout)
        if password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nCreated the admin account. Log in at http://127.0.0.1:8000/login/ with\n"
                    f"  username: {ADMIN_USERNAME}\n  password: {password}\n"
                    "This password is shown only once: keep it.\n"
                )
            )

    def _create_admin(self) -> str:
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            admin = User.objects.create_user(
                username=ADMIN_USERNAME,
                email="admin@example.com",
                password=password,
                first_name="Network",
                last_name="Admin",
                is_staff=True,
                is_superuser=True,
            )
            admin.groups.add(Group.objects.get(name="Network admin"))
        return password

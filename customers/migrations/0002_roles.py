"""Creates the two staff roles of PRODUCT.md §3 as groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ["customers", "memberships", "payments", "sites", "events"]
# The audit trail is append-only: nobody, not even a network admin, may add, change or delete it.
NEVER_GRANTED = {"add_event", "change_event", "delete_event"}
SUPPORT_AGENT_EXTRA = {"change_customer", "add_note", "add_customfield", "change_customfield"}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        # create_permissions() skips apps without a models module, which migration states
        # lack; restore the real value after (tests also run this on the live registry).
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label__in=APPS).exclude(
        codename__in=NEVER_GRANTED
    )
    admin, _ = Group.objects.get_or_create(name="Network admin")
    admin.permissions.set(ours)
    agent, _ = Group.objects.get_or_create(name="Support agent")
    agent.permissions.set(
        ours.filter(codename__startswith="view_") | ours.filter(codename__in=SUPPORT_AGENT_EXTRA)
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Network admin", "Support agent"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("memberships", "0001_initial"),
        ("payments", "0001_initial"),
        ("sites", "0001_initial"),
        ("events", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

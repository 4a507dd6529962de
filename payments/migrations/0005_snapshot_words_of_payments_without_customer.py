"""A payment without a customer is found by its billing snapshot's words, kept in its
`owner_search_text` like a customer's (Payment.ownerless_search_text), so the search filters on
one column the newest-first index can carry (migration 0006)."""

from django.db import migrations


def fill(apps, schema_editor):
    payment = apps.get_model("payments", "Payment")
    ownerless = payment.objects.filter(customer__isnull=True)
    snapshots = ownerless.order_by().values_list("billing_name", "billing_email").distinct()
    for name, email in snapshots:
        # payments.models.snapshot_search_text, as it is when this migration was written.
        words = "\n".join([name, email]).lower()
        ownerless.filter(billing_name=name, billing_email=email).update(owner_search_text=words)


def forget(apps, schema_editor):
    payment = apps.get_model("payments", "Payment")
    payment.objects.filter(customer__isnull=True).update(owner_search_text="")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_owner_search_text"),
    ]

    operations = [migrations.RunPython(fill, forget, elidable=False)]

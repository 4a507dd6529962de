"""Customers carry copies of their login account's names, for the list's "Name" sort
(Customer.save keeps them current); its index moves from users to customers."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_names(apps, schema_editor):
    customer = apps.get_model("customers", "Customer")
    user = apps.get_model("customers", "User")
    own = user.objects.filter(pk=OuterRef("user_id"))
    customer.objects.update(
        first_name=Subquery(own.values("first_name")[:1]),
        last_name=Subquery(own.values("last_name")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_search_text_statistics'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='user',
            name='user_name_idx',
        ),
        migrations.AddField(
            model_name='customer',
            name='first_name',
            field=models.CharField(default='', editable=False, max_length=150),
        ),
        migrations.AddField(
            model_name='customer',
            name='last_name',
            field=models.CharField(default='', editable=False, max_length=150),
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['first_name', 'last_name', 'id'], name='customer_name_idx'),
        ),
    ]

"""Each membership carries a copy of its customer's search text (customers.models.OwnedByCustomer)."""

from django.db import migrations, models

from customers import owner_search_migrations


class Migration(migrations.Migration):

    dependencies = [
        # The pg_trgm extension and the customers' search text.
        ('customers', '0007_search_text_statistics'),
        ('memberships', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='owner_search_text',
            field=models.TextField(default='', editable=False),
        ),
        *owner_search_migrations.operations('memberships', 'membership', 'memberships_membership'),
    ]

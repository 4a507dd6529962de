"""Each payment carries a copy of its customer's search text (customers.models.OwnedByCustomer)."""

from django.db import migrations, models

from customers import owner_search_migrations


class Migration(migrations.Migration):

    dependencies = [
        # The pg_trgm extension and the customers' search text.
        ('customers', '0007_search_text_statistics'),
        ('payments', '0003_payment_total_rounded'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='owner_search_text',
            field=models.TextField(default='', editable=False),
        ),
        *owner_search_migrations.operations('payments', 'payment', 'payments_payment'),
    ]

"""Each site carries a copy of its customer's search text (customers.models.OwnedByCustomer)."""

from django.db import migrations, models

from customers import owner_search_migrations


class Migration(migrations.Migration):

    dependencies = [
        # The pg_trgm extension and the customers' search text.
        ('customers', '0007_search_text_statistics'),
        ('sites', '0002_search_trigram_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='site',
            name='owner_search_text',
            field=models.TextField(default='', editable=False),
        ),
        *owner_search_migrations.operations('sites', 'site', 'sites_site'),
    ]

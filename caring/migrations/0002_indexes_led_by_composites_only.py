"""Drop the single-column indexes of foreign keys that already lead a composite index or a
unique key (assignment debtor and policy, call client and debtor, link call and invoice): every
planned row paid for each of them twice."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('caring', '0001_courtesy_calls'),
        ('portfolio', '0006_ledger_references_per_statement'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caringassignment',
            name='debtor',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolio.debtor'),
        ),
        migrations.AlterField(
            model_name='caringassignment',
            name='policy',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='caring.caringpolicy'),
        ),
        migrations.AlterField(
            model_name='courtesycall',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='portfolio.client'),
        ),
        migrations.AlterField(
            model_name='courtesycall',
            name='debtor',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='courtesy_calls', to='portfolio.debtor'),
        ),
        migrations.AlterField(
            model_name='courtesycallinvoice',
            name='call',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='links', to='caring.courtesycall'),
        ),
        migrations.AlterField(
            model_name='courtesycallinvoice',
            name='invoice',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portfolio.invoice'),
        ),
    ]

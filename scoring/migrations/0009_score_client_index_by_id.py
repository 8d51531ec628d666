"""A client's scores indexed in id order: the API lists them by id, a page at a time (cursor
pagination), and with the index on client alone a page of a client with a long history meant
collecting and sorting all of its rows, or walking the primary key past other clients' rows.
The new index is built before the old one goes, and costs a batch write no more.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0011_invoice_covering_ledger_index'),
        ('scoring', '0008_debtor_guard_by_client_lock'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='debtorscore',
            index=models.Index(fields=['client', 'id'], name='scoring_score_client_by_id'),
        ),
        migrations.AlterField(
            model_name='debtorscore',
            name='client',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='portfolio.client'),
        ),
    ]

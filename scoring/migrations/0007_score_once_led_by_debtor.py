"""One index fewer on the score history: the once-per-(model, debtor, date) constraint is led
by debtor and date, and serves the "newest scores of a debtor" lookups the separate
(debtor, as_of, id) index served. Every batch chunk wrote 5,000 entries into each; the score
table grows by a row per debtor, model and night. Models are not deleted (the admin no longer
offers it), so nothing needs scores by model alone.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0011_invoice_covering_ledger_index'),
        ('scoring', '0006_stability_counts_per_chunk'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='debtorscore',
            name='scoring_debtorscore_once',
        ),
        migrations.RemoveIndex(
            model_name='debtorscore',
            name='scoring_score_debtor_latest',
        ),
        migrations.AddConstraint(
            model_name='debtorscore',
            constraint=models.UniqueConstraint(fields=('debtor', 'as_of', 'model'), name='scoring_debtorscore_once'),
        ),
    ]

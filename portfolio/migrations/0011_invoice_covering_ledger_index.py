"""A covering index for scoring's per-debtor ledger reads, in place of two redundant ones.

A scoring chunk reads its debtors' invoices (about 50,000 rows for 5,000 debtors) and groups
them by debtor. From a plain debtor index that was a bitmap heap scan touching a page per
few rows and a sort; from an index on debtor that includes every column the features read it
is an index-only scan already in debtor order (run figures in bench/README.md). The single-column
indexes of the client and debtor foreign keys go: the (client, number) constraint leads with
the client and the new index with the debtor, so every lookup they served is still served and
an invoice write maintains the same number of indexes. On SQLite the index has no included
columns.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0010_settlement_refresh_by_index")]

    operations = [
        migrations.AlterField(
            model_name="invoice", name="client",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="invoices", to="portfolio.client")),
        migrations.AlterField(
            model_name="invoice", name="debtor",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="invoices", to="portfolio.debtor")),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["debtor"], name="portfolio_invoice_ledger",
                               include=("client", "id", "issue_date", "due_date", "amount",
                                        "status", "last_settlement_on"))),
    ]

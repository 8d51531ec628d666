"""Delete the debtor scores that migration 0011's checks would refuse.

0011 checks that a score's (debtor, client) names a debtor of that client and its (model,
client) a model of that client, on both databases. PostgreSQL's earlier triggers kept such rows
out, but the embedded SQLite database checked nothing. A score whose debtor or model is gone,
or belongs to another client, is deleted: scores are a history the next batch run writes
again, and such a row could never be read for its debtor's client.

In batches of 1,000 rows, each batch its own transaction, so a long history is never held in
one transaction and an interrupted run resumes where it stopped.
"""

from django.db import migrations, transaction

_BATCH = 1000

_REFUSED = (
    "NOT EXISTS (SELECT 1 FROM portfolio_debtor d "
    "WHERE d.id = s.debtor_id AND d.client_id = s.client_id) "
    "OR NOT EXISTS (SELECT 1 FROM scoring_scoringmodel m "
    "WHERE m.id = s.model_id AND m.client_id = s.client_id)")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"SELECT s.id FROM scoring_debtorscore s WHERE {_REFUSED} "
                           f"ORDER BY s.id LIMIT {_BATCH}")
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return
            cursor.execute("DELETE FROM scoring_debtorscore WHERE id IN "
                           f"({', '.join(['%s'] * len(ids))})", ids)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("scoring", "0009_score_client_index_by_id")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Fix or clear the caring rows that migration 0008's foreign keys and checks would refuse.

0008 declares assignment -> invoice and debtor, call -> debtor and link -> invoice as foreign
keys, and checks that an assignment's or call's (policy, client) and a link's (call, client)
name a policy or call of the same client. PostgreSQL's earlier triggers kept missing parents
out, but the embedded SQLite database checked nothing, and no check ever compared clients:

- a row whose client differs from its policy's or call's takes that policy's or call's client
  (the policy or call is what the row was planned from);
- a call naming a missing debtor or policy is deleted with its links and tasks, and an
  assignment or link naming a missing invoice, debtor, policy or call is deleted: such a row
  can never be worked again.

In batches of 1,000 rows, each batch its own transaction, so a large ledger is never held in
one transaction and an interrupted run resumes where it stopped.
"""

from django.db import migrations, transaction

_BATCH = 1000

# Rows whose parent is missing, per table: a condition on the table's row (alias "t").
_ORPHANS = {
    "caring_courtesycall": (
        "NOT EXISTS (SELECT 1 FROM portfolio_debtor d WHERE d.id = t.debtor_id) "
        "OR NOT EXISTS (SELECT 1 FROM caring_caringpolicy p WHERE p.id = t.policy_id)"),
    "caring_courtesycallinvoice": (
        "NOT EXISTS (SELECT 1 FROM portfolio_invoice i WHERE i.id = t.invoice_id) "
        "OR NOT EXISTS (SELECT 1 FROM caring_courtesycall c WHERE c.id = t.call_id)"),
    "caring_caringassignment": (
        "NOT EXISTS (SELECT 1 FROM portfolio_invoice i WHERE i.id = t.invoice_id) "
        "OR NOT EXISTS (SELECT 1 FROM portfolio_debtor d WHERE d.id = t.debtor_id) "
        "OR NOT EXISTS (SELECT 1 FROM caring_caringpolicy p WHERE p.id = t.policy_id)"),
}

# Rows whose client is not their parent's, per table: (parent table, reference column).
_CLIENT_OF = {
    "caring_courtesycall": ("caring_caringpolicy", "policy_id"),
    "caring_courtesycallinvoice": ("caring_courtesycall", "call_id"),
    "caring_caringassignment": ("caring_caringpolicy", "policy_id"),
}


def _batch_ids(cursor, table: str, condition: str) -> list[int]:
    cursor.execute(f"SELECT t.id FROM {table} t WHERE {condition} ORDER BY t.id LIMIT {_BATCH}")
    return [row[0] for row in cursor.fetchall()]


def _in_clause(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _delete_orphans(connection, table: str) -> None:
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            ids = _batch_ids(cursor, table, _ORPHANS[table])
            if not ids:
                return
            if table == "caring_courtesycall":
                for dependant in ("caring_courtesycallinvoice", "caring_caringtask"):
                    cursor.execute(
                        f"DELETE FROM {dependant} WHERE call_id IN ({_in_clause(ids)})", ids)
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({_in_clause(ids)})", ids)


def _align_clients(connection, table: str) -> None:
    parent, column = _CLIENT_OF[table]
    mismatched = (f"EXISTS (SELECT 1 FROM {parent} p WHERE p.id = t.{column} "
                  "AND p.client_id <> t.client_id)")
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            ids = _batch_ids(cursor, table, mismatched)
            if not ids:
                return
            cursor.execute(
                f"UPDATE {table} SET client_id = (SELECT p.client_id FROM {parent} p "
                f"WHERE p.id = {table}.{column}) WHERE id IN ({_in_clause(ids)})", ids)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    # Calls first: deleting one takes its links with it.
    for table in ("caring_courtesycall", "caring_courtesycallinvoice", "caring_caringassignment"):
        _delete_orphans(connection, table)
    for table in ("caring_courtesycall", "caring_courtesycallinvoice", "caring_caringassignment"):
        _align_clients(connection, table)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("caring", "0006_plan_runs"),
        ("portfolio", "0013_payment_reversal_client_fee"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

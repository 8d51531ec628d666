"""Invoice.last_settlement_on: the date an invoice became settled, kept by the ledger.

Scoring judges payment habits from when each invoice was settled. Recomputing that from every
allocation of every invoice on each run was most of a run's SQL; the ledger now keeps it on
the invoice. Its value is the latest value date of the invoice's allocated payments and issue
date of its credit notes once they cover the amount (the issue date when there is none), and
NULL while they do not. A non-NULL value is always exact; NULL only means "compute it".

PostgreSQL statement-level triggers recompute it for the invoices a statement touches: new,
changed or deleted allocations and credit notes, payments whose value date changed, and
invoices whose amount, issue date or settlement date changed (an ORM save writing back a stale
value is corrected at once). On SQLite (the embedded demo) it stays NULL and scoring computes
settlement from the allocations as before.

Numbered 0008 to leave 0007 to a parallel branch of the ledger.
"""

from django.db import migrations, models


def _refresh_sql(where: str) -> str:
    """UPDATE of last_settlement_on for the invoices matching `where` (over `i2`)."""
    return f"""
    UPDATE portfolio_invoice i SET last_settlement_on = s.settled
    FROM (
        SELECT i2.id,
               CASE WHEN i2.amount - COALESCE(a.paid, 0) - COALESCE(n.credited, 0) <= 0
                    THEN COALESCE(GREATEST(a.last_paid, n.last_note), i2.issue_date)
               END AS settled
        FROM portfolio_invoice i2
        LEFT JOIN LATERAL (
            SELECT SUM(pa.amount) AS paid, MAX(p.value_date) AS last_paid
            FROM portfolio_paymentallocation pa
            JOIN portfolio_payment p ON p.id = pa.payment_id
            WHERE pa.invoice_id = i2.id) a ON true
        LEFT JOIN LATERAL (
            SELECT SUM(c.amount) AS credited, MAX(c.issue_date) AS last_note
            FROM portfolio_creditnote c WHERE c.invoice_id = i2.id) n ON true
        WHERE {where}
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled"""


_PAYMENTS_CHANGED = """i2.id IN (
        SELECT pa.invoice_id FROM fido_new_rows n
        JOIN fido_old_rows o ON o.id = n.id
        JOIN portfolio_paymentallocation pa ON pa.payment_id = n.id
        WHERE n.value_date IS DISTINCT FROM o.value_date)"""
_INVOICES_CHANGED = """i2.id IN (
        SELECT n.id FROM fido_new_rows n JOIN fido_old_rows o ON o.id = n.id
        WHERE (n.amount, n.issue_date, n.last_settlement_on)
              IS DISTINCT FROM (o.amount, o.issue_date, o.last_settlement_on))"""

# The refresh is inlined in each trigger function, reading the statement's transition
# tables directly: a semi-join that PostgreSQL can hash when a statement touches a million rows.
_FUNCTIONS = f"""
-- Allocations and credit notes: the invoices their new and old rows name.
CREATE OR REPLACE FUNCTION portfolio_settlement_children_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_refresh_sql("i2.id IN (SELECT invoice_id FROM fido_new_rows)")};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION portfolio_settlement_children_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_refresh_sql("i2.id IN (SELECT invoice_id FROM fido_old_rows)")};
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION portfolio_settlement_children_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_refresh_sql("i2.id IN (SELECT invoice_id FROM fido_new_rows "
                  "UNION SELECT invoice_id FROM fido_old_rows)")};
    RETURN NULL;
END $$;

-- Payments: the invoices they are allocated to, when their value date changed.
CREATE OR REPLACE FUNCTION portfolio_settlement_payments_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_refresh_sql(_PAYMENTS_CHANGED)};
    RETURN NULL;
END $$;

-- Invoices: those whose amount, issue date or settlement date an outside statement changed.
-- The refresh's own UPDATE (trigger depth 2) is not checked again.
CREATE OR REPLACE FUNCTION portfolio_settlement_invoices_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    {_refresh_sql(_INVOICES_CHANGED)};
    RETURN NULL;
END $$;
"""

_CHILDREN = {"INSERT": "portfolio_settlement_children_inserted",
             "UPDATE": "portfolio_settlement_children_updated",
             "DELETE": "portfolio_settlement_children_deleted"}
# (table, {operation: trigger function})
_TRIGGERS = [
    ("portfolio_paymentallocation", _CHILDREN),
    ("portfolio_creditnote", _CHILDREN),
    ("portfolio_payment", {"UPDATE": "portfolio_settlement_payments_updated"}),
    ("portfolio_invoice", {"UPDATE": "portfolio_settlement_invoices_updated"}),
]
_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS fido_new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows",
    "DELETE": "REFERENCING OLD TABLE AS fido_old_rows",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FUNCTIONS)
        for table, functions in _TRIGGERS:
            for operation, function in functions.items():
                cursor.execute(
                    f"CREATE TRIGGER {table}_settlement_{operation.lower()} AFTER {operation} "
                    f"ON {table} {_REFERENCING[operation]} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
        # Backfill every invoice once.
        cursor.execute(_refresh_sql("true"))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, functions in _TRIGGERS:
            for operation in functions:
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS {table}_settlement_{operation.lower()} ON {table}")
        for function in {f for _table, functions in _TRIGGERS for f in functions.values()}:
            cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0007_contact_point_wrong_number")]

    operations = [
        migrations.AddField(
            model_name="invoice", name="last_settlement_on",
            field=models.DateField(blank=True, editable=False, null=True,
                                   verbose_name="settled on")),
        migrations.RunPython(forwards, backwards),
    ]

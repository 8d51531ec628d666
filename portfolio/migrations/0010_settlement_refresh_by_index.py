"""Invoice.last_settlement_on: a refresh whose cost does not depend on table statistics.

The triggers of migration 0008 joined each touched invoice's allocations to their payments
inside a LATERAL subquery. On tables the planner had no statistics for yet (a new database,
or a large import just landed, before autovacuum analysed it) it guessed thousands of
allocations per invoice and hashed the whole payment table for every invoice: an import of
200,000 allocations ran for hours. Each payment's value date is now looked up by primary key
in a scalar subquery, so every step of the refresh is an index lookup whatever the
statistics say, and its cost grows with the rows a statement touches, not with the tables.

The functions keep their names and the triggers of migration 0008 stay as they are.
"""

from django.db import migrations

# Copied from the earlier migration as it was applied (a migration holds its own SQL
# text, never imports code, so that later edits elsewhere cannot change it).
_PREVIOUS_PAYMENTS_CHANGED = """i2.id IN (
        SELECT pa.invoice_id FROM fido_new_rows n
        JOIN fido_old_rows o ON o.id = n.id
        JOIN portfolio_paymentallocation pa ON pa.payment_id = n.id
        WHERE n.value_date IS DISTINCT FROM o.value_date)"""
_PREVIOUS_INVOICES_CHANGED = """i2.id IN (
        SELECT n.id FROM fido_new_rows n JOIN fido_old_rows o ON o.id = n.id
        WHERE (n.amount, n.issue_date, n.last_settlement_on)
              IS DISTINCT FROM (o.amount, o.issue_date, o.last_settlement_on))"""
_PREVIOUS_FUNCTIONS = """
-- Allocations and credit notes: the invoices their new and old rows name.
CREATE OR REPLACE FUNCTION portfolio_settlement_children_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN

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
        WHERE i2.id IN (SELECT invoice_id FROM fido_new_rows)
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION portfolio_settlement_children_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN

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
        WHERE i2.id IN (SELECT invoice_id FROM fido_old_rows)
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION portfolio_settlement_children_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN

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
        WHERE i2.id IN (SELECT invoice_id FROM fido_new_rows UNION SELECT invoice_id FROM fido_old_rows)
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled;
    RETURN NULL;
END $$;

-- Payments: the invoices they are allocated to, when their value date changed.
CREATE OR REPLACE FUNCTION portfolio_settlement_payments_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN

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
        WHERE i2.id IN (
        SELECT pa.invoice_id FROM fido_new_rows n
        JOIN fido_old_rows o ON o.id = n.id
        JOIN portfolio_paymentallocation pa ON pa.payment_id = n.id
        WHERE n.value_date IS DISTINCT FROM o.value_date)
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled;
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
        WHERE i2.id IN (
        SELECT n.id FROM fido_new_rows n JOIN fido_old_rows o ON o.id = n.id
        WHERE (n.amount, n.issue_date, n.last_settlement_on)
              IS DISTINCT FROM (o.amount, o.issue_date, o.last_settlement_on))
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled;
    RETURN NULL;
END $$;
"""

# What was there before, for backwards: migration modules are named with a leading digit.


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
            SELECT SUM(pa.amount) AS paid,
                   MAX((SELECT p.value_date FROM portfolio_payment p
                        WHERE p.id = pa.payment_id)) AS last_paid
            FROM portfolio_paymentallocation pa
            WHERE pa.invoice_id = i2.id) a ON true
        LEFT JOIN LATERAL (
            SELECT SUM(c.amount) AS credited, MAX(c.issue_date) AS last_note
            FROM portfolio_creditnote c WHERE c.invoice_id = i2.id) n ON true
        WHERE {where}
    ) s
    WHERE i.id = s.id AND i.last_settlement_on IS DISTINCT FROM s.settled"""


def _function(name: str, where: str, guard: str = "") -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {guard}
    {_refresh_sql(where)};
    RETURN NULL;
END $$;"""


# The refresh's own UPDATE of the invoices (trigger depth 2) is not checked again.
_ONLY_OUTSIDE = "IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;"

_FUNCTIONS = "".join([
    _function("portfolio_settlement_children_inserted",
              "i2.id IN (SELECT invoice_id FROM fido_new_rows)"),
    _function("portfolio_settlement_children_deleted",
              "i2.id IN (SELECT invoice_id FROM fido_old_rows)"),
    _function("portfolio_settlement_children_updated",
              "i2.id IN (SELECT invoice_id FROM fido_new_rows "
              "UNION SELECT invoice_id FROM fido_old_rows)"),
    _function("portfolio_settlement_payments_updated", _PREVIOUS_PAYMENTS_CHANGED),
    _function("portfolio_settlement_invoices_updated", _PREVIOUS_INVOICES_CHANGED,
              guard=_ONLY_OUTSIDE),
])


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_PREVIOUS_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0009_ledger_references_in_one_pass")]

    operations = [migrations.RunPython(forwards, backwards)]

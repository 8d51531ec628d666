"""Keep invoices and payments inside their client with statement-level triggers.

Migration 0002 enforced "an invoice's currency is its client's" and "an invoice's debtor belongs
to its client" with composite foreign keys. A foreign key checks (and key-share locks) one row at
a time, which doubled the cost of loading a million invoices. These triggers check the same two
rules once per statement over its transition table, as one set-based join, and refuse the whole
statement when a row breaks them. Changing a client's currency or moving a debtor to another
client is refused while ledger rows disagree. PostgreSQL only, as before; the embedded SQLite
demo relies on the services.
"""

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION portfolio_ledger_rows_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fido_new_rows n JOIN portfolio_client c ON c.id = n.client_id
               WHERE n.currency <> c.currency) THEN
        RAISE EXCEPTION '% rows must be in their client''s currency', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM fido_new_rows n JOIN portfolio_debtor d ON d.id = n.debtor_id
               WHERE d.client_id <> n.client_id) THEN
        RAISE EXCEPTION '% rows must name a debtor of the same client', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION portfolio_client_currency_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM portfolio_invoice WHERE client_id = NEW.id AND currency <> NEW.currency)
       OR EXISTS (SELECT 1 FROM portfolio_payment
                  WHERE client_id = NEW.id AND currency <> NEW.currency) THEN
        RAISE EXCEPTION 'client % has invoices or payments in another currency', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION portfolio_debtor_client_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM portfolio_invoice WHERE debtor_id = NEW.id AND client_id <> NEW.client_id)
       OR EXISTS (SELECT 1 FROM portfolio_payment
                  WHERE debtor_id = NEW.id AND client_id <> NEW.client_id) THEN
        RAISE EXCEPTION 'debtor % has invoices or payments of another client', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

# Migration 0002's keys: (table, name, columns, target).
_OLD_KEYS = [
    ("portfolio_invoice", "portfolio_invoice_currency_of_client", "(client_id, currency)",
     "portfolio_client (id, currency)"),
    ("portfolio_invoice", "portfolio_invoice_debtor_of_client", "(debtor_id, client_id)",
     "portfolio_debtor (id, client_id)"),
    ("portfolio_payment", "portfolio_payment_currency_of_client", "(client_id, currency)",
     "portfolio_client (id, currency)"),
    ("portfolio_payment", "portfolio_payment_debtor_of_client", "(debtor_id, client_id)",
     "portfolio_debtor (id, client_id)"),
]


def _triggers():
    for table in ("portfolio_invoice", "portfolio_payment"):
        # PostgreSQL allows one event per trigger when it has a transition table.
        for event in ("INSERT", "UPDATE"):
            yield (f"{table}_ledger_{event.lower()}", table,
                   f"AFTER {event} ON {table} REFERENCING NEW TABLE AS fido_new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_ledger_rows_check()")
    yield ("portfolio_client_currency", "portfolio_client",
           "AFTER UPDATE OF currency ON portfolio_client FOR EACH ROW "
           "EXECUTE FUNCTION portfolio_client_currency_check()")
    yield ("portfolio_debtor_client", "portfolio_debtor",
           "AFTER UPDATE OF client_id ON portfolio_debtor FOR EACH ROW "
           "EXECUTE FUNCTION portfolio_debtor_client_check()")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _columns, _target in _OLD_KEYS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
    # No parameters: plpgsql's RAISE uses "%" placeholders of its own.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FUNCTION)
    for name, _table, definition in _triggers():
        schema_editor.execute(f"CREATE TRIGGER {name} {definition}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, _definition in _triggers():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in ("portfolio_ledger_rows_check", "portfolio_client_currency_check",
                     "portfolio_debtor_client_check"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    # The unique targets are back by now (operations reverse in order).
    for table, name, columns, target in _OLD_KEYS:
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY {columns} "
                              f"REFERENCES {target} DEFERRABLE INITIALLY DEFERRED")


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0004_import_job_claims_and_checked_rows")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveConstraint(model_name="client", name="portfolio_client_id_currency"),
        migrations.RemoveConstraint(model_name="debtor", name="portfolio_debtor_id_client"),
    ]

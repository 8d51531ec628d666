"""References of invoices and payments checked once per statement, parents locked as a key would.

A per-row foreign key costs a lookup and a key-share lock for every one of a million imported
invoices, on the same client row and the same debtor rows again and again. The ledger trigger
now does, per statement: key-share lock the distinct clients and debtors the new rows name
(what a foreign key's lock does: a concurrent delete waits, then sees the rows), refuse rows
naming a client or debtor that does not exist, and keep the currency and same-client rules of
migration 0005. Updates check only rows whose references changed. Deleting a client or debtor
that invoices or payments still name is refused by a trigger on the parent. PostgreSQL only.
"""

import django.db.models.deletion
from django.db import migrations, models

# Copied from the earlier migration as it was applied (a migration holds its own SQL
# text, never imports code, so that later edits elsewhere cannot change it).
_PREVIOUS_FUNCTION = """
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


def _checks(rows: str) -> str:
    """The checks over `rows`, a FROM item naming the statement's rows to check."""
    return f"""
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM {rows} s)
        FOR KEY SHARE;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM {rows} s)
        FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM {rows} n LEFT JOIN portfolio_client c ON c.id = n.client_id
               WHERE c.id IS NULL) THEN
        RAISE EXCEPTION '% rows must name an existing client', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM {rows} n LEFT JOIN portfolio_debtor d ON d.id = n.debtor_id
               WHERE d.id IS NULL) THEN
        RAISE EXCEPTION '% rows must name an existing debtor', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM {rows} n JOIN portfolio_client c ON c.id = n.client_id
               WHERE n.currency <> c.currency) THEN
        RAISE EXCEPTION '% rows must be in their client''s currency', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM {rows} n JOIN portfolio_debtor d ON d.id = n.debtor_id
               WHERE d.client_id <> n.client_id) THEN
        RAISE EXCEPTION '% rows must name a debtor of the same client', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
"""


_CHANGED_ROWS = """(SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency))"""

_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION portfolio_ledger_rows_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
{_checks("fido_new_rows")}
END $$;

CREATE OR REPLACE FUNCTION portfolio_ledger_rows_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
{_checks(_CHANGED_ROWS)}
END $$;

CREATE OR REPLACE FUNCTION portfolio_ledger_parent_delete_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM portfolio_invoice WHERE
               (TG_TABLE_NAME = 'portfolio_client' AND client_id = OLD.id)
               OR (TG_TABLE_NAME = 'portfolio_debtor' AND debtor_id = OLD.id))
       OR EXISTS (SELECT 1 FROM portfolio_payment WHERE
               (TG_TABLE_NAME = 'portfolio_client' AND client_id = OLD.id)
               OR (TG_TABLE_NAME = 'portfolio_debtor' AND debtor_id = OLD.id)) THEN
        RAISE EXCEPTION '% % still has invoices or payments', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;
"""


def _update_triggers():
    for table in ("portfolio_invoice", "portfolio_payment"):
        yield table, f"{table}_ledger_update"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: RAISE uses "%"
        cursor.execute(_FUNCTIONS)
        for table, name in _update_triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} "
                "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_ledger_rows_update_check()")
        for parent in ("portfolio_client", "portfolio_debtor"):
            cursor.execute(
                f"CREATE TRIGGER {parent}_ledger_delete BEFORE DELETE ON {parent} "
                "FOR EACH ROW EXECUTE FUNCTION portfolio_ledger_parent_delete_check()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for parent in ("portfolio_client", "portfolio_debtor"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {parent}_ledger_delete ON {parent}")
        for table, name in _update_triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} "
                "REFERENCING NEW TABLE AS fido_new_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_ledger_rows_check()")
        cursor.execute("DROP FUNCTION IF EXISTS portfolio_ledger_rows_update_check()")
        cursor.execute("DROP FUNCTION IF EXISTS portfolio_ledger_parent_delete_check()")
        cursor.execute(_PREVIOUS_FUNCTION)


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0005_ledger_consistency_triggers'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name='invoice',
            name='client',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='portfolio.client'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='debtor',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='portfolio.debtor'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='client',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='portfolio.client'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='debtor',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='portfolio.debtor'),
        ),
    ]

"""References checked in one pass per reference; assignments' references per statement too.

Migration 0003's statement-level checks key-share locked the distinct parents the new rows
name, then looked for a row naming a missing parent with an anti-join, which the planner may
answer with a scan of the parent table (the whole invoice ledger for a day's links). Now each
reference counts the distinct parents named and the parents found, locked FOR KEY SHARE, in
one probe of the parent's primary key per distinct parent: a difference means a missing parent.

Assignments (one row per invoice entering a window) get the same statement-level checks in
place of their four per-row foreign keys, whose deferred checks were a fifth of a planning day.
Deleting a client, policy, debtor or invoice that assignments still name is refused by the
parent-delete guard, which now looks at assignments too (the ORM deletes an invoice's or a
debtor's assignments first, as their CASCADE asks). PostgreSQL only, as 0003.
"""

import django.db.models.deletion
from django.db import migrations, models

# Copied from the earlier migration as it was applied (a migration holds its own SQL
# text, never imports code, so that later edits elsewhere cannot change it).
_EARLIER_REFERENCES = {'caring_courtesycall': [('client_id', 'portfolio_client'), ('policy_id', 'caring_caringpolicy'), ('debtor_id', 'portfolio_debtor')], 'caring_courtesycallinvoice': [('client_id', 'portfolio_client'), ('call_id', 'caring_courtesycall'), ('invoice_id', 'portfolio_invoice')]}
_EARLIER_FUNCTIONS = """
CREATE OR REPLACE FUNCTION caring_courtesycall_refs_insert_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_client p WHERE p.id = n.client_id)) THEN
        RAISE EXCEPTION 'caring_courtesycall.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM caring_caringpolicy WHERE id IN (SELECT DISTINCT policy_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM caring_caringpolicy p WHERE p.id = n.policy_id)) THEN
        RAISE EXCEPTION 'caring_courtesycall.policy_id names a row missing from caring_caringpolicy'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_debtor p WHERE p.id = n.debtor_id)) THEN
        RAISE EXCEPTION 'caring_courtesycall.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION caring_courtesycall_refs_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM (SELECT nn.client_id, nn.policy_id, nn.debtor_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.policy_id, nn.debtor_id) IS DISTINCT FROM (oo.client_id, oo.policy_id, oo.debtor_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.policy_id, nn.debtor_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.policy_id, nn.debtor_id) IS DISTINCT FROM (oo.client_id, oo.policy_id, oo.debtor_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_client p WHERE p.id = n.client_id)) THEN
        RAISE EXCEPTION 'caring_courtesycall.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM caring_caringpolicy WHERE id IN (SELECT DISTINCT policy_id FROM (SELECT nn.client_id, nn.policy_id, nn.debtor_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.policy_id, nn.debtor_id) IS DISTINCT FROM (oo.client_id, oo.policy_id, oo.debtor_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.policy_id, nn.debtor_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.policy_id, nn.debtor_id) IS DISTINCT FROM (oo.client_id, oo.policy_id, oo.debtor_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM caring_caringpolicy p WHERE p.id = n.policy_id)) THEN
        RAISE EXCEPTION 'caring_courtesycall.policy_id names a row missing from caring_caringpolicy'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM (SELECT nn.client_id, nn.policy_id, nn.debtor_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.policy_id, nn.debtor_id) IS DISTINCT FROM (oo.client_id, oo.policy_id, oo.debtor_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.policy_id, nn.debtor_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.policy_id, nn.debtor_id) IS DISTINCT FROM (oo.client_id, oo.policy_id, oo.debtor_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_debtor p WHERE p.id = n.debtor_id)) THEN
        RAISE EXCEPTION 'caring_courtesycall.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION caring_courtesycallinvoice_refs_insert_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_client p WHERE p.id = n.client_id)) THEN
        RAISE EXCEPTION 'caring_courtesycallinvoice.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM caring_courtesycall WHERE id IN (SELECT DISTINCT call_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM caring_courtesycall p WHERE p.id = n.call_id)) THEN
        RAISE EXCEPTION 'caring_courtesycallinvoice.call_id names a row missing from caring_courtesycall'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM portfolio_invoice WHERE id IN (SELECT DISTINCT invoice_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_invoice p WHERE p.id = n.invoice_id)) THEN
        RAISE EXCEPTION 'caring_courtesycallinvoice.invoice_id names a row missing from portfolio_invoice'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION caring_courtesycallinvoice_refs_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM (SELECT nn.client_id, nn.call_id, nn.invoice_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.call_id, nn.invoice_id) IS DISTINCT FROM (oo.client_id, oo.call_id, oo.invoice_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.call_id, nn.invoice_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.call_id, nn.invoice_id) IS DISTINCT FROM (oo.client_id, oo.call_id, oo.invoice_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_client p WHERE p.id = n.client_id)) THEN
        RAISE EXCEPTION 'caring_courtesycallinvoice.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM caring_courtesycall WHERE id IN (SELECT DISTINCT call_id FROM (SELECT nn.client_id, nn.call_id, nn.invoice_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.call_id, nn.invoice_id) IS DISTINCT FROM (oo.client_id, oo.call_id, oo.invoice_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.call_id, nn.invoice_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.call_id, nn.invoice_id) IS DISTINCT FROM (oo.client_id, oo.call_id, oo.invoice_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM caring_courtesycall p WHERE p.id = n.call_id)) THEN
        RAISE EXCEPTION 'caring_courtesycallinvoice.call_id names a row missing from caring_courtesycall'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM portfolio_invoice WHERE id IN (SELECT DISTINCT invoice_id FROM (SELECT nn.client_id, nn.call_id, nn.invoice_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.call_id, nn.invoice_id) IS DISTINCT FROM (oo.client_id, oo.call_id, oo.invoice_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.call_id, nn.invoice_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.call_id, nn.invoice_id) IS DISTINCT FROM (oo.client_id, oo.call_id, oo.invoice_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_invoice p WHERE p.id = n.invoice_id)) THEN
        RAISE EXCEPTION 'caring_courtesycallinvoice.invoice_id names a row missing from portfolio_invoice'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;"""
_EARLIER_PARENT_FUNCTION = """
CREATE OR REPLACE FUNCTION caring_parent_delete_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'portfolio_client' AND (EXISTS (SELECT 1 FROM caring_courtesycall WHERE client_id = OLD.id) OR EXISTS (SELECT 1 FROM caring_courtesycallinvoice WHERE client_id = OLD.id)) THEN
        RAISE EXCEPTION '% % is still named by courtesy calls or their invoices',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_TABLE_NAME = 'caring_caringpolicy' AND (EXISTS (SELECT 1 FROM caring_courtesycall WHERE policy_id = OLD.id)) THEN
        RAISE EXCEPTION '% % is still named by courtesy calls or their invoices',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_TABLE_NAME = 'portfolio_debtor' AND (EXISTS (SELECT 1 FROM caring_courtesycall WHERE debtor_id = OLD.id)) THEN
        RAISE EXCEPTION '% % is still named by courtesy calls or their invoices',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_TABLE_NAME = 'caring_courtesycall' AND (EXISTS (SELECT 1 FROM caring_courtesycallinvoice WHERE call_id = OLD.id)) THEN
        RAISE EXCEPTION '% % is still named by courtesy calls or their invoices',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_TABLE_NAME = 'portfolio_invoice' AND (EXISTS (SELECT 1 FROM caring_courtesycallinvoice WHERE invoice_id = OLD.id)) THEN
        RAISE EXCEPTION '% % is still named by courtesy calls or their invoices',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;"""


# Child table -> (reference column, parent table) for each reference checked per statement.
_REFERENCES: dict[str, list[tuple[str, str]]] = {
    **_EARLIER_REFERENCES,
    "caring_caringassignment": [("client_id", "portfolio_client"),
                                ("policy_id", "caring_caringpolicy"),
                                ("invoice_id", "portfolio_invoice"),
                                ("debtor_id", "portfolio_debtor")],
}
_NEW_TABLE = "caring_caringassignment"


def _checks(table: str, rows: str) -> str:
    """A plpgsql block checking the references of `rows`, a FROM item of the new rows."""
    body = ["""
    DECLARE
        named bigint;
        found bigint;
    BEGIN"""]
    for column, parent in _REFERENCES[table]:
        body.append(f"""
        SELECT count(DISTINCT {column}) INTO named FROM {rows} s;
        SELECT count(*) INTO found FROM (SELECT 1 FROM {parent}
            WHERE id IN (SELECT {column} FROM {rows} s) FOR KEY SHARE) locked;
        IF found <> named THEN
            RAISE EXCEPTION '{table}.{column} names a row missing from {parent}'
                USING ERRCODE = 'foreign_key_violation';
        END IF;""")
    body.append("""
    END;""")
    return "".join(body)


def _changed_rows(table: str) -> str:
    columns = [column for column, _parent in _REFERENCES[table]]
    new = ", ".join(f"nn.{column}" for column in columns)
    old = ", ".join(f"oo.{column}" for column in columns)
    return (f"(SELECT {new} FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id "
            f"WHERE ({new}) IS DISTINCT FROM ({old}))")


def _functions() -> str:
    functions = []
    for table in _REFERENCES:
        for suffix, rows in (("insert", "fido_new_rows"), ("update", _changed_rows(table))):
            functions.append(f"""
CREATE OR REPLACE FUNCTION {table}_refs_{suffix}_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN{_checks(table, rows)}
    RETURN NULL;
END $$;""")
    return "\n".join(functions)


def _parent_function() -> str:
    children: dict[str, list[tuple[str, str]]] = {}
    for child, references in _REFERENCES.items():
        for column, parent in references:
            children.setdefault(parent, []).append((child, column))
    branches = []
    for parent, named_by in children.items():
        named = " OR ".join(f"EXISTS (SELECT 1 FROM {child} WHERE {column} = OLD.id)"
                            for child, column in named_by)
        branches.append(f"""
    IF TG_TABLE_NAME = '{parent}' AND ({named}) THEN
        RAISE EXCEPTION '% % is still named by caring assignments, calls or their invoices',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;""")
    return f"""
CREATE OR REPLACE FUNCTION caring_parent_delete_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN{"".join(branches)}
    RETURN OLD;
END $$;"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: RAISE uses "%"
        cursor.execute(_functions())
        cursor.execute(_parent_function())
        cursor.execute(
            f"CREATE TRIGGER {_NEW_TABLE}_refs_insert AFTER INSERT ON {_NEW_TABLE} "
            "REFERENCING NEW TABLE AS fido_new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_NEW_TABLE}_refs_insert_check()")
        cursor.execute(
            f"CREATE TRIGGER {_NEW_TABLE}_refs_update AFTER UPDATE ON {_NEW_TABLE} "
            "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_NEW_TABLE}_refs_update_check()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for suffix in ("insert", "update"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {_NEW_TABLE}_refs_{suffix} ON {_NEW_TABLE}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {_NEW_TABLE}_refs_{suffix}_check()")
        cursor.execute(_EARLIER_FUNCTIONS)
        cursor.execute(_EARLIER_PARENT_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("caring", "0004_task_done_by_and_open_list")]

    operations = [
        migrations.AlterField(
            model_name="caringassignment", name="client",
            field=models.ForeignKey(db_constraint=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="portfolio.client")),
        migrations.AlterField(
            model_name="caringassignment", name="policy",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="assignments", to="caring.caringpolicy")),
        migrations.AlterField(
            model_name="caringassignment", name="invoice",
            field=models.OneToOneField(db_constraint=False,
                                       on_delete=django.db.models.deletion.CASCADE,
                                       related_name="caring", to="portfolio.invoice")),
        migrations.AlterField(
            model_name="caringassignment", name="debtor",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="portfolio.debtor")),
        migrations.RunPython(forwards, backwards),
    ]

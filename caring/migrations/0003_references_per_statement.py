"""References of courtesy calls and their invoice links checked once per statement.

The planner inserts a day's calls and links in sets (17,000 calls and 51,000 links on the first
day of a 1,000,000-invoice client). A foreign key looks up and key-share locks its parent once
per row, at commit, and that was a third of the plan's time. As the ledger does for invoices
(portfolio migration 0006), a statement-level trigger per table now key-share locks the distinct
parents the new rows name (what a foreign key's lock does: a concurrent delete waits, then sees
the rows) and refuses the whole statement when a row names a parent that does not exist;
updates check only rows whose references changed. Deleting a parent that calls or links still
name is refused by a trigger on the parent (the ORM deletes the links of a call or an invoice
first, as their CASCADE asks). PostgreSQL only; the embedded SQLite demo relies on the ORM.
"""

import django.db.models.deletion
from django.db import migrations, models

# Child table -> (reference column, parent table) for each reference checked per statement.
_REFERENCES = {
    "caring_courtesycall": [("client_id", "portfolio_client"),
                            ("policy_id", "caring_caringpolicy"),
                            ("debtor_id", "portfolio_debtor")],
    "caring_courtesycallinvoice": [("client_id", "portfolio_client"),
                                   ("call_id", "caring_courtesycall"),
                                   ("invoice_id", "portfolio_invoice")],
}


def _checks(table: str, rows: str) -> str:
    """plpgsql statements checking the references of `rows`, a FROM item of the new rows."""
    body = []
    for column, parent in _REFERENCES[table]:
        body.append(f"""
    PERFORM 1 FROM {parent} WHERE id IN (SELECT DISTINCT {column} FROM {rows} s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM {rows} n WHERE NOT EXISTS
               (SELECT 1 FROM {parent} p WHERE p.id = n.{column})) THEN
        RAISE EXCEPTION '{table}.{column} names a row missing from {parent}'
            USING ERRCODE = 'foreign_key_violation';
    END IF;""")
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


# Parent table -> (child table, column) pairs that must not be left naming a deleted parent.
_CHILDREN: dict[str, list[tuple[str, str]]] = {}
for _child, _references in _REFERENCES.items():
    for _column, _parent in _references:
        _CHILDREN.setdefault(_parent, []).append((_child, _column))


def _parent_function() -> str:
    branches = []
    for parent, children in _CHILDREN.items():
        named = " OR ".join(f"EXISTS (SELECT 1 FROM {child} WHERE {column} = OLD.id)"
                            for child, column in children)
        branches.append(f"""
    IF TG_TABLE_NAME = '{parent}' AND ({named}) THEN
        RAISE EXCEPTION '% % is still named by courtesy calls or their invoices',
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
        for table in _REFERENCES:
            cursor.execute(
                f"CREATE TRIGGER {table}_refs_insert AFTER INSERT ON {table} "
                "REFERENCING NEW TABLE AS fido_new_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refs_insert_check()")
            cursor.execute(
                f"CREATE TRIGGER {table}_refs_update AFTER UPDATE ON {table} "
                "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refs_update_check()")
        for parent in _CHILDREN:
            cursor.execute(
                f"CREATE TRIGGER {parent}_caring_delete BEFORE DELETE ON {parent} "
                "FOR EACH ROW EXECUTE FUNCTION caring_parent_delete_check()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for parent in _CHILDREN:
            cursor.execute(f"DROP TRIGGER IF EXISTS {parent}_caring_delete ON {parent}")
        for table in _REFERENCES:
            for suffix in ("insert", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_refs_{suffix} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {table}_refs_{suffix}_check()")
        cursor.execute("DROP FUNCTION IF EXISTS caring_parent_delete_check()")


class Migration(migrations.Migration):
    dependencies = [("caring", "0002_indexes_led_by_composites_only")]

    operations = [
        migrations.AlterField(
            model_name="courtesycall", name="client",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="portfolio.client")),
        migrations.AlterField(
            model_name="courtesycall", name="policy",
            field=models.ForeignKey(db_constraint=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="calls", to="caring.caringpolicy")),
        migrations.AlterField(
            model_name="courtesycall", name="debtor",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="courtesy_calls", to="portfolio.debtor")),
        migrations.AlterField(
            model_name="courtesycallinvoice", name="client",
            field=models.ForeignKey(db_constraint=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="portfolio.client")),
        migrations.AlterField(
            model_name="courtesycallinvoice", name="call",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="links", to="caring.courtesycall")),
        migrations.AlterField(
            model_name="courtesycallinvoice", name="invoice",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="portfolio.invoice")),
        migrations.RunPython(forwards, backwards),
    ]

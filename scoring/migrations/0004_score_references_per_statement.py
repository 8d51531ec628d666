"""References of debtor scores checked once per statement; two redundant indexes dropped.

A batch run inserts 5,000 scores per statement. A foreign key looks up and key-share locks its
parent once per row, three times per score (client, debtor, model). As the ledger does for
invoices (portfolio migration 0006) and caring for its calls (caring migration 0003), a
statement-level trigger now key-share locks the distinct parents the new rows name (what a
foreign key's lock does: a concurrent delete waits, then sees the rows), refuses the whole
statement when a row names a parent that does not exist, and also checks what a foreign key
cannot: the debtor and the model belong to the score's client. Updates check only rows whose
references changed. Deleting a parent that scores still name is refused by a trigger on the
parent (the ORM deletes a debtor's scores first, as their CASCADE asks).

The single-column indexes of debtor and model go: the (debtor, as_of, id) index and the
(model, debtor, as_of) constraint lead with them and serve their lookups, and each index is
one more write per score. PostgreSQL only; the embedded SQLite demo relies on the ORM.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "scoring_debtorscore"
# (reference column, parent table) checked per statement.
_REFERENCES = [("client_id", "portfolio_client"), ("debtor_id", "portfolio_debtor"),
               ("model_id", "scoring_scoringmodel")]


def _checks(rows: str) -> str:
    """plpgsql statements checking the references of `rows`, a FROM item of the new rows."""
    body = []
    for column, parent in _REFERENCES:
        body.append(f"""
    PERFORM 1 FROM {parent} WHERE id IN (SELECT DISTINCT {column} FROM {rows} s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM {rows} n WHERE NOT EXISTS
               (SELECT 1 FROM {parent} p WHERE p.id = n.{column})) THEN
        RAISE EXCEPTION '{TABLE}.{column} names a row missing from {parent}'
            USING ERRCODE = 'foreign_key_violation';
    END IF;""")
    body.append(f"""
    IF EXISTS (SELECT 1 FROM {rows} n
               JOIN portfolio_debtor d ON d.id = n.debtor_id
               JOIN scoring_scoringmodel m ON m.id = n.model_id
               WHERE d.client_id <> n.client_id OR m.client_id <> n.client_id) THEN
        RAISE EXCEPTION '{TABLE} rows must name a debtor and a model of their client'
            USING ERRCODE = 'check_violation';
    END IF;""")
    return "".join(body)


def _functions() -> str:
    columns = [column for column, _parent in _REFERENCES]
    new = ", ".join(f"nn.{column}" for column in columns)
    old = ", ".join(f"oo.{column}" for column in columns)
    changed = (f"(SELECT {new} FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id "
               f"WHERE ({new}) IS DISTINCT FROM ({old}))")
    functions = []
    for suffix, rows in (("insert", "fido_new_rows"), ("update", changed)):
        functions.append(f"""
CREATE OR REPLACE FUNCTION {TABLE}_refs_{suffix}_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN{_checks(rows)}
    RETURN NULL;
END $$;""")
    named = " OR ".join(f"(TG_TABLE_NAME = '{parent}' AND EXISTS "
                        f"(SELECT 1 FROM {TABLE} WHERE {column} = OLD.id))"
                        for column, parent in _REFERENCES)
    functions.append(f"""
CREATE OR REPLACE FUNCTION scoring_parent_delete_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {named} THEN
        RAISE EXCEPTION '% % is still named by debtor scores', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;""")
    return "\n".join(functions)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: RAISE uses "%"
        cursor.execute(_functions())
        cursor.execute(
            f"CREATE TRIGGER {TABLE}_refs_insert AFTER INSERT ON {TABLE} "
            "REFERENCING NEW TABLE AS fido_new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refs_insert_check()")
        cursor.execute(
            f"CREATE TRIGGER {TABLE}_refs_update AFTER UPDATE ON {TABLE} "
            "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refs_update_check()")
        for _column, parent in _REFERENCES:
            cursor.execute(
                f"CREATE TRIGGER {parent}_scoring_delete BEFORE DELETE ON {parent} "
                "FOR EACH ROW EXECUTE FUNCTION scoring_parent_delete_check()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for _column, parent in _REFERENCES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {parent}_scoring_delete ON {parent}")
        for suffix in ("insert", "update"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_refs_{suffix} ON {TABLE}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_refs_{suffix}_check()")
        cursor.execute("DROP FUNCTION IF EXISTS scoring_parent_delete_check()")


class Migration(migrations.Migration):
    dependencies = [("scoring", "0003_role_permissions")]

    operations = [
        migrations.AlterField(
            model_name="debtorscore", name="client",
            field=models.ForeignKey(db_constraint=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="portfolio.client")),
        migrations.AlterField(
            model_name="debtorscore", name="debtor",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="scores", to="portfolio.debtor")),
        migrations.AlterField(
            model_name="debtorscore", name="model",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="scores", to="scoring.scoringmodel")),
        migrations.RunPython(forwards, backwards),
    ]

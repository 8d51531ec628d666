"""The statement-level reference checks of debtor scores read the statement's rows twice, not six times.

Migration 0004's trigger scanned a batch chunk's 5,000 new scores six times: for each of
client, debtor and model once for the distinct ids to key-share lock and once for an anti-join
finding a missing parent, and a seventh time joining debtors and models for the same-client
rule. That was a third of a chunk's write. Now one pass groups the rows by (client, model) (one
group per chunk); clients and models are locked and checked from that small set, and one join
of the rows to their debtors locks them FOR KEY SHARE, counts the debtors found (a missing one
is a row short) and those of another client. Same rules, same messages and error codes;
PostgreSQL only, as before.
"""

from django.db import migrations

# Copied from the earlier migration as it was applied (a migration holds its own SQL
# text, never imports code, so that later edits elsewhere cannot change it).
_PREVIOUS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION scoring_debtorscore_refs_insert_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_client p WHERE p.id = n.client_id)) THEN
        RAISE EXCEPTION 'scoring_debtorscore.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_debtor p WHERE p.id = n.debtor_id)) THEN
        RAISE EXCEPTION 'scoring_debtorscore.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM scoring_scoringmodel WHERE id IN (SELECT DISTINCT model_id FROM fido_new_rows s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n WHERE NOT EXISTS
               (SELECT 1 FROM scoring_scoringmodel p WHERE p.id = n.model_id)) THEN
        RAISE EXCEPTION 'scoring_debtorscore.model_id names a row missing from scoring_scoringmodel'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM fido_new_rows n
               JOIN portfolio_debtor d ON d.id = n.debtor_id
               JOIN scoring_scoringmodel m ON m.id = n.model_id
               WHERE d.client_id <> n.client_id OR m.client_id <> n.client_id) THEN
        RAISE EXCEPTION 'scoring_debtorscore rows must name a debtor and a model of their client'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION scoring_debtorscore_refs_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_client p WHERE p.id = n.client_id)) THEN
        RAISE EXCEPTION 'scoring_debtorscore.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM portfolio_debtor p WHERE p.id = n.debtor_id)) THEN
        RAISE EXCEPTION 'scoring_debtorscore.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM scoring_scoringmodel WHERE id IN (SELECT DISTINCT model_id FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) s) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) n WHERE NOT EXISTS
               (SELECT 1 FROM scoring_scoringmodel p WHERE p.id = n.model_id)) THEN
        RAISE EXCEPTION 'scoring_debtorscore.model_id names a row missing from scoring_scoringmodel'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id WHERE (nn.client_id, nn.debtor_id, nn.model_id) IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) n
               JOIN portfolio_debtor d ON d.id = n.debtor_id
               JOIN scoring_scoringmodel m ON m.id = n.model_id
               WHERE d.client_id <> n.client_id OR m.client_id <> n.client_id) THEN
        RAISE EXCEPTION 'scoring_debtorscore rows must name a debtor and a model of their client'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION scoring_parent_delete_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_TABLE_NAME = 'portfolio_client' AND EXISTS (SELECT 1 FROM scoring_debtorscore WHERE client_id = OLD.id)) OR (TG_TABLE_NAME = 'portfolio_debtor' AND EXISTS (SELECT 1 FROM scoring_debtorscore WHERE debtor_id = OLD.id)) OR (TG_TABLE_NAME = 'scoring_scoringmodel' AND EXISTS (SELECT 1 FROM scoring_debtorscore WHERE model_id = OLD.id)) THEN
        RAISE EXCEPTION '% % is still named by debtor scores', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;"""

TABLE = "scoring_debtorscore"


def _parents_locked(parent: str, ids: str, column: str) -> str:
    """Key-share lock the parents named in the array `ids`; raise when one does not exist."""
    return f"""
    SELECT count(*) INTO locked FROM (SELECT 1 FROM {parent}
        WHERE id IN (SELECT unnest({ids})) FOR KEY SHARE) l;
    SELECT count(DISTINCT x) INTO named FROM unnest({ids}) x;
    IF locked < named THEN
        RAISE EXCEPTION '{TABLE}.{column} names a row missing from {parent}'
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""


def _checks(rows: str) -> str:
    """The trigger function's body over `rows`, a FROM item naming the statement's rows."""
    return f"""
DECLARE
    total bigint;
    client_ids bigint[];
    model_ids bigint[];
    named integer;
    locked integer;
    first_debtor bigint;
    last_debtor bigint;
    found bigint;
    foreign_debtors bigint;
BEGIN
    -- One pass: the (client, model) pairs the rows name (about one per statement) and the
    -- range of their debtor ids.
    SELECT sum(r.n), array_agg(r.client_id), array_agg(r.model_id), min(r.lo), max(r.hi)
      INTO total, client_ids, model_ids, first_debtor, last_debtor
      FROM (SELECT s.client_id, s.model_id, count(*) AS n, min(s.debtor_id) AS lo,
                   max(s.debtor_id) AS hi
            FROM {rows} s GROUP BY 1, 2) r;
    IF total IS NULL THEN
        RETURN NULL;
    END IF;
    {_parents_locked("portfolio_client", "client_ids", "client_id")}
    {_parents_locked("scoring_scoringmodel", "model_ids", "model_id")}
    -- The second pass: each row's debtor, locked as a foreign key would lock it. A row whose
    -- debtor does not exist drops out of the join. The id range keeps a batch chunk's join
    -- to the chunk's debtors instead of hashing the whole table.
    SELECT count(*), count(*) FILTER (WHERE l.debtor_client <> l.client_id)
      INTO found, foreign_debtors
      FROM (SELECT s.client_id, d.client_id AS debtor_client
            FROM {rows} s JOIN portfolio_debtor d ON d.id = s.debtor_id
            WHERE d.id BETWEEN first_debtor AND last_debtor
            FOR KEY SHARE OF d) l;
    IF found < total THEN
        RAISE EXCEPTION '{TABLE}.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF foreign_debtors > 0 OR EXISTS (
            SELECT 1 FROM unnest(client_ids, model_ids) r (client_id, model_id)
            JOIN scoring_scoringmodel m ON m.id = r.model_id
            WHERE m.client_id <> r.client_id) THEN
        RAISE EXCEPTION '{TABLE} rows must name a debtor and a model of their client'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END"""


# Updates check only the rows whose references changed, as in migration 0004.
_CHANGED_ROWS = """(SELECT nn.client_id, nn.debtor_id, nn.model_id
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.model_id)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id))"""

_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION {TABLE}_refs_insert_check() RETURNS trigger
LANGUAGE plpgsql AS $$
{_checks("fido_new_rows")}
$$;

CREATE OR REPLACE FUNCTION {TABLE}_refs_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
{_checks(_CHANGED_ROWS)}
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: RAISE uses "%"
        cursor.execute(_FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_PREVIOUS_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0004_score_references_per_statement")]

    operations = [migrations.RunPython(forwards, backwards)]

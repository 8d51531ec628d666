"""A score's debtor is guarded against a concurrent delete by one lock per client, not one per
debtor.

Migration 0005's trigger locked every debtor a statement's scores name FOR KEY SHARE, as a
foreign key would: a debtor deleted meanwhile then waits for the scores to commit and is
refused. For a batch chunk that is 20,000 row locks, each one a write to the debtor's page and
a WAL record (after a checkpoint, with an image of the whole page): a third of a batch run's
WAL, for a debtor deleted perhaps once a month.

Now the insert and update checks take a shared transaction-level advisory lock on the client
(SCORES_OF_CLIENT, client id) before they look for the debtors, and deleting a debtor takes
the same lock exclusively before it looks for its scores. Chunks share the lock; a delete
waits for the chunks in flight to commit and then sees their rows (refused: delete them
first, as the ORM's CASCADE does), and a chunk that comes after a committed delete finds the
debtor missing. Same rules, same messages and error codes. Clients and models are still
key-share locked: one row each per statement.
"""

from django.db import migrations

# Copied from the earlier migration as it was applied (a migration holds its own SQL
# text, never imports code, so that later edits elsewhere cannot change it).
_FIRST_FUNCTIONS = """
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
_CHECKS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION scoring_debtorscore_refs_insert_check() RETURNS trigger
LANGUAGE plpgsql AS $$

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
            FROM fido_new_rows s GROUP BY 1, 2) r;
    IF total IS NULL THEN
        RETURN NULL;
    END IF;

    SELECT count(*) INTO locked FROM (SELECT 1 FROM portfolio_client
        WHERE id IN (SELECT unnest(client_ids)) FOR KEY SHARE) l;
    SELECT count(DISTINCT x) INTO named FROM unnest(client_ids) x;
    IF locked < named THEN
        RAISE EXCEPTION 'scoring_debtorscore.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    SELECT count(*) INTO locked FROM (SELECT 1 FROM scoring_scoringmodel
        WHERE id IN (SELECT unnest(model_ids)) FOR KEY SHARE) l;
    SELECT count(DISTINCT x) INTO named FROM unnest(model_ids) x;
    IF locked < named THEN
        RAISE EXCEPTION 'scoring_debtorscore.model_id names a row missing from scoring_scoringmodel'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- The second pass: each row's debtor, locked as a foreign key would lock it. A row whose
    -- debtor does not exist drops out of the join. The id range keeps a batch chunk's join
    -- to the chunk's debtors instead of hashing the whole table.
    SELECT count(*), count(*) FILTER (WHERE l.debtor_client <> l.client_id)
      INTO found, foreign_debtors
      FROM (SELECT s.client_id, d.client_id AS debtor_client
            FROM fido_new_rows s JOIN portfolio_debtor d ON d.id = s.debtor_id
            WHERE d.id BETWEEN first_debtor AND last_debtor
            FOR KEY SHARE OF d) l;
    IF found < total THEN
        RAISE EXCEPTION 'scoring_debtorscore.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF foreign_debtors > 0 OR EXISTS (
            SELECT 1 FROM unnest(client_ids, model_ids) r (client_id, model_id)
            JOIN scoring_scoringmodel m ON m.id = r.model_id
            WHERE m.client_id <> r.client_id) THEN
        RAISE EXCEPTION 'scoring_debtorscore rows must name a debtor and a model of their client'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION scoring_debtorscore_refs_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$

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
            FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.model_id)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) s GROUP BY 1, 2) r;
    IF total IS NULL THEN
        RETURN NULL;
    END IF;

    SELECT count(*) INTO locked FROM (SELECT 1 FROM portfolio_client
        WHERE id IN (SELECT unnest(client_ids)) FOR KEY SHARE) l;
    SELECT count(DISTINCT x) INTO named FROM unnest(client_ids) x;
    IF locked < named THEN
        RAISE EXCEPTION 'scoring_debtorscore.client_id names a row missing from portfolio_client'
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    SELECT count(*) INTO locked FROM (SELECT 1 FROM scoring_scoringmodel
        WHERE id IN (SELECT unnest(model_ids)) FOR KEY SHARE) l;
    SELECT count(DISTINCT x) INTO named FROM unnest(model_ids) x;
    IF locked < named THEN
        RAISE EXCEPTION 'scoring_debtorscore.model_id names a row missing from scoring_scoringmodel'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- The second pass: each row's debtor, locked as a foreign key would lock it. A row whose
    -- debtor does not exist drops out of the join. The id range keeps a batch chunk's join
    -- to the chunk's debtors instead of hashing the whole table.
    SELECT count(*), count(*) FILTER (WHERE l.debtor_client <> l.client_id)
      INTO found, foreign_debtors
      FROM (SELECT s.client_id, d.client_id AS debtor_client
            FROM (SELECT nn.client_id, nn.debtor_id, nn.model_id
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.model_id)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.model_id)) s JOIN portfolio_debtor d ON d.id = s.debtor_id
            WHERE d.id BETWEEN first_debtor AND last_debtor
            FOR KEY SHARE OF d) l;
    IF found < total THEN
        RAISE EXCEPTION 'scoring_debtorscore.debtor_id names a row missing from portfolio_debtor'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF foreign_debtors > 0 OR EXISTS (
            SELECT 1 FROM unnest(client_ids, model_ids) r (client_id, model_id)
            JOIN scoring_scoringmodel m ON m.id = r.model_id
            WHERE m.client_id <> r.client_id) THEN
        RAISE EXCEPTION 'scoring_debtorscore rows must name a debtor and a model of their client'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
"""

TABLE = "scoring_debtorscore"
# First key of the advisory locks (the two-integer key space): "scores of a client's debtors".
# The second is the client id (modulo 2^31: two clients sharing a key only wait for each other).
SCORES_OF_CLIENT = 4701
_CLIENT_KEY = "CAST(({id}) % 2147483647 AS integer)"


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
    client_key = _CLIENT_KEY.format(id="c")
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
    -- A debtor delete of these clients waits for this transaction from here on; one
    -- committed before is seen by the join below (a new snapshot per statement).
    PERFORM pg_advisory_xact_lock_shared({SCORES_OF_CLIENT}, {client_key})
       FROM (SELECT DISTINCT c FROM unnest(client_ids) c ORDER BY c) ordered;
    -- The second pass: each row's debtor. A row whose debtor does not exist drops out of the
    -- join. The id range keeps a batch chunk's join to the chunk's debtors instead of
    -- hashing the whole table.
    SELECT count(*), count(*) FILTER (WHERE d.client_id <> s.client_id)
      INTO found, foreign_debtors
      FROM {rows} s JOIN portfolio_debtor d ON d.id = s.debtor_id
     WHERE d.id BETWEEN first_debtor AND last_debtor;
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

_REFERENCES = [("client_id", "portfolio_client"), ("debtor_id", "portfolio_debtor"),
               ("model_id", "scoring_scoringmodel")]


def _parent_delete_check() -> str:
    named = " OR ".join(f"(TG_TABLE_NAME = '{parent}' AND EXISTS "
                        f"(SELECT 1 FROM {TABLE} WHERE {column} = OLD.id))"
                        for column, parent in _REFERENCES)
    client_key = _CLIENT_KEY.format(id="OLD.client_id")
    return f"""
CREATE OR REPLACE FUNCTION scoring_parent_delete_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'portfolio_debtor' THEN
        -- Wait for the client's score statements in flight; the check below then sees them.
        PERFORM pg_advisory_xact_lock({SCORES_OF_CLIENT}, {client_key});
    END IF;
    IF {named} THEN
        RAISE EXCEPTION '% % is still named by debtor scores', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;"""


_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION {TABLE}_refs_insert_check() RETURNS trigger
LANGUAGE plpgsql AS $$
{_checks("fido_new_rows")}
$$;

CREATE OR REPLACE FUNCTION {TABLE}_refs_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
{_checks(_CHANGED_ROWS)}
$$;
{_parent_delete_check()}
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: RAISE uses "%"
        cursor.execute(_FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # 0005's checks and 0004's delete check (0005 left it as 0004 made it).
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FIRST_FUNCTIONS)
        cursor.execute(_CHECKS_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0007_score_once_led_by_debtor")]

    operations = [migrations.RunPython(forwards, backwards)]

"""The statement-level reference checks of invoices and payments read the statement's rows once.

Migration 0006's trigger scanned the statement's rows six times: twice for the distinct parents
to key-share lock, twice for anti-joins against portfolio_client and portfolio_debtor (a
missing parent), twice more for the currency and same-client rules. On a million imported
invoices that was about 8 s of a 15 s insert. Now one pass collects the distinct
(client, debtor, currency) triples the rows name (about one per debtor); the parents are locked
FOR KEY SHARE from that small set, a parent is missing when fewer rows were locked than distinct
ids were named, and the currency and same-client rules are checked on the small set too. Same
rules, same messages and error codes; PostgreSQL only, as before.
"""

from django.db import migrations

# Copied from the earlier migration as it was applied (a migration holds its own SQL
# text, never imports code, so that later edits elsewhere cannot change it).
_PREVIOUS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION portfolio_ledger_rows_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN

    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM fido_new_rows s)
        FOR KEY SHARE;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM fido_new_rows s)
        FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM fido_new_rows n LEFT JOIN portfolio_client c ON c.id = n.client_id
               WHERE c.id IS NULL) THEN
        RAISE EXCEPTION '% rows must name an existing client', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM fido_new_rows n LEFT JOIN portfolio_debtor d ON d.id = n.debtor_id
               WHERE d.id IS NULL) THEN
        RAISE EXCEPTION '% rows must name an existing debtor', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
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

CREATE OR REPLACE FUNCTION portfolio_ledger_rows_update_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN

    PERFORM 1 FROM portfolio_client WHERE id IN (SELECT DISTINCT client_id FROM (SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency)) s)
        FOR KEY SHARE;
    PERFORM 1 FROM portfolio_debtor WHERE id IN (SELECT DISTINCT debtor_id FROM (SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency)) s)
        FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency)) n LEFT JOIN portfolio_client c ON c.id = n.client_id
               WHERE c.id IS NULL) THEN
        RAISE EXCEPTION '% rows must name an existing client', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency)) n LEFT JOIN portfolio_debtor d ON d.id = n.debtor_id
               WHERE d.id IS NULL) THEN
        RAISE EXCEPTION '% rows must name an existing debtor', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency)) n JOIN portfolio_client c ON c.id = n.client_id
               WHERE n.currency <> c.currency) THEN
        RAISE EXCEPTION '% rows must be in their client''s currency', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency)) n JOIN portfolio_debtor d ON d.id = n.debtor_id
               WHERE d.client_id <> n.client_id) THEN
        RAISE EXCEPTION '% rows must name a debtor of the same client', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;

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


def _checks(rows: str) -> str:
    """The checks over `rows`, a FROM item naming the statement's rows to check."""
    return f"""
DECLARE
    client_ids bigint[];
    debtor_ids bigint[];
    currencies varchar[];
    named integer;
    locked integer;
BEGIN
    -- The one pass over the statement's rows: the distinct triples they name.
    SELECT array_agg(r.client_id), array_agg(r.debtor_id), array_agg(r.currency)
      INTO client_ids, debtor_ids, currencies
      FROM (SELECT DISTINCT s.client_id, s.debtor_id, s.currency FROM {rows} s) r;
    IF client_ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- Lock the parents as a foreign key would (a concurrent delete waits, then sees the rows);
    -- a parent that does not exist is one fewer row locked than ids named.
    SELECT count(*) INTO locked FROM (SELECT 1 FROM portfolio_client
        WHERE id IN (SELECT unnest(client_ids)) FOR KEY SHARE) l;
    SELECT count(DISTINCT c) INTO named FROM unnest(client_ids) c;
    IF locked < named THEN
        RAISE EXCEPTION '% rows must name an existing client', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT count(*) INTO locked FROM (SELECT 1 FROM portfolio_debtor
        WHERE id IN (SELECT unnest(debtor_ids)) FOR KEY SHARE) l;
    SELECT count(DISTINCT d) INTO named FROM unnest(debtor_ids) d;
    IF locked < named THEN
        RAISE EXCEPTION '% rows must name an existing debtor', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(client_ids, currencies) r (client_id, currency)
               JOIN portfolio_client c ON c.id = r.client_id WHERE c.currency <> r.currency) THEN
        RAISE EXCEPTION '% rows must be in their client''s currency', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(client_ids, debtor_ids) r (client_id, debtor_id)
               JOIN portfolio_debtor d ON d.id = r.debtor_id WHERE d.client_id <> r.client_id) THEN
        RAISE EXCEPTION '% rows must name a debtor of the same client', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END"""


# Updates check only the rows whose references changed, as in migration 0006.
_CHANGED_ROWS = """(SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency))"""

_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION portfolio_ledger_rows_check() RETURNS trigger
LANGUAGE plpgsql AS $$
{_checks("fido_new_rows")}
$$;

CREATE OR REPLACE FUNCTION portfolio_ledger_rows_update_check() RETURNS trigger
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
    dependencies = [("portfolio", "0008_invoice_last_settlement_on")]

    operations = [migrations.RunPython(forwards, backwards)]

"""The ledger's reference checks (PostgreSQL): what portfolio's triggers run, in one place.

Invoices and payments name their client and debtor without per-row foreign keys: a statement-
level trigger checks the distinct (client, debtor, currency) triples a statement wrote, which
kept a million-row import within its target (bench/README.md, "Invoice import"); parents refuse
their own delete, and a client's currency or a debtor's client cannot change under rows that
name them. The migrations that created these (portfolio 0005, 0006, 0009) hold their own copy
of the text, as a migration must; tests/portfolio/test_ledger_checks.py compares what a
migrated database runs with this module, so a change starts here and a new migration copies it.
SQLite has none of these: there the ORM's on_delete and the services keep the ledger whole.
"""

# ruff: noqa: S608 -- the SQL is composed from fixed text in code, never from input

from __future__ import annotations


def rows_check_body(rows: str) -> str:
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



# Updates check only the rows whose references changed.
CHANGED_ROWS = """(SELECT nn.client_id, nn.debtor_id, nn.currency
      FROM fido_new_rows nn JOIN fido_old_rows oo ON oo.id = nn.id
      WHERE (nn.client_id, nn.debtor_id, nn.currency)
            IS DISTINCT FROM (oo.client_id, oo.debtor_id, oo.currency))"""


PARENT_DELETE_BODY = """
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
END """

CLIENT_CURRENCY_BODY = """
BEGIN
    IF EXISTS (SELECT 1 FROM portfolio_invoice WHERE client_id = NEW.id AND currency <> NEW.currency)
       OR EXISTS (SELECT 1 FROM portfolio_payment
                  WHERE client_id = NEW.id AND currency <> NEW.currency) THEN
        RAISE EXCEPTION 'client % has invoices or payments in another currency', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END """  # noqa: E501 -- the text as the database holds it

DEBTOR_CLIENT_BODY = """
BEGIN
    IF EXISTS (SELECT 1 FROM portfolio_invoice WHERE debtor_id = NEW.id AND client_id <> NEW.client_id)
       OR EXISTS (SELECT 1 FROM portfolio_payment
                  WHERE debtor_id = NEW.id AND client_id <> NEW.client_id) THEN
        RAISE EXCEPTION 'debtor % has invoices or payments of another client', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END """  # noqa: E501 -- the text as the database holds it


def functions() -> dict[str, str]:
    """Each trigger function's name and body (the text between its $$ quotes)."""
    return {
        "portfolio_ledger_rows_check": "\n" + rows_check_body("fido_new_rows") + "\n",
        "portfolio_ledger_rows_update_check": "\n" + rows_check_body(CHANGED_ROWS) + "\n",
        "portfolio_ledger_parent_delete_check": PARENT_DELETE_BODY,
        "portfolio_client_currency_check": CLIENT_CURRENCY_BODY,
        "portfolio_debtor_client_check": DEBTOR_CLIENT_BODY,
    }


def triggers() -> list[tuple[str, str, str]]:
    """(name, table, definition after the name) of every trigger running those functions."""
    found: list[tuple[str, str, str]] = []
    for table in ("portfolio_invoice", "portfolio_payment"):
        found.append((f"{table}_ledger_insert", table,
                      f"AFTER INSERT ON {table} REFERENCING NEW TABLE AS fido_new_rows "
                      "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_ledger_rows_check()"))
        found.append((f"{table}_ledger_update", table,
                      f"AFTER UPDATE ON {table} "
                      "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
                      "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_ledger_rows_update_check()"))
    found.extend((f"{parent}_ledger_delete", parent,
                  f"BEFORE DELETE ON {parent} "
                  "FOR EACH ROW EXECUTE FUNCTION portfolio_ledger_parent_delete_check()")
                 for parent in ("portfolio_client", "portfolio_debtor"))
    found.append(("portfolio_client_currency", "portfolio_client",
                  "AFTER UPDATE OF currency ON portfolio_client FOR EACH ROW "
                  "EXECUTE FUNCTION portfolio_client_currency_check()"))
    found.append(("portfolio_debtor_client", "portfolio_debtor",
                  "AFTER UPDATE OF client_id ON portfolio_debtor FOR EACH ROW "
                  "EXECUTE FUNCTION portfolio_debtor_client_check()"))
    return found

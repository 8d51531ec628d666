"""Staging tables and the set-based SQL that classifies and writes an import.

Checked rows go into a staging table per job (PostgreSQL: an unlogged table filled by COPY
through psycopg's `cursor.copy` and kept from the preview to the commit; SQLite: a temporary
table filled by executemany in each step), then a few statements do the rest whatever the
number of rows: classify each row against the ledger (new, updated, unchanged), find the rows
the ledger refuses (an invoice amount below what was already paid, a payment reference recorded
with other details), and write: invoices with one UPDATE … FROM of the changed rows and one
INSERT … SELECT of the new ones, payments and debtors with one INSERT … SELECT … ON CONFLICT per
table. The same SQL runs on both databases; the few differences are named below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from django.db import ProgrammingError, connection, transaction

from portfolio.messages import N_ as _
from portfolio.models import ContactPoint
from portfolio.sql import (
    INVOICE_OPEN,
    INVOICE_PAID,
    INVOICE_PARTIALLY_PAID,
    INVOICE_STATUS_KEPT,
    sql_literals,
)

Row = Sequence[object]


_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def copy_line(row: Row) -> str:
    """One row in PostgreSQL's COPY text format: tab-separated, \\N for NULL, backslash
    escapes. Written once when a file is checked, read by COPY (or, on SQLite, below)."""
    out = []
    for value in row:
        if value is None:
            out.append("\\N")
            continue
        text = value if type(value) is str else str(value)
        # Escaping is rare (codes and amounts hold no tabs); test before paying for it.
        if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
            text = text.translate(_ESCAPE)
        out.append(text)
    return "\t".join(out) + "\n"


def _unescape(value: str) -> str | None:
    if value == "\\N":
        return None
    if "\\" not in value:
        return value
    return _UNESCAPE.sub(lambda match: _UNESCAPED.get(match.group(1), match.group(1)), value)


def _money(value: object) -> Decimal:
    """SQLite hands numerics back as int or float; show them as the ledger does."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _vendor() -> str:
    return connection.vendor


# SQLite: staged rows per executemany. The rows of one batch are held in memory as lists of
# strings; 10,000 keeps that to a few MB however long the file, and the per-statement cost of
# a batch is already negligible at that size.
SQLITE_INSERT_ROWS = 10_000


class Staging:
    """One import job's staging table: `<name>_<job id>`.

    On PostgreSQL the table is UNLOGGED and kept between the preview and the commit (the
    commit reuses the rows the preview checked instead of loading them again). Once loaded, a
    comment on the table records which checked file filled it and with how many rows, so a
    table left by another check of the job, or half made, is never taken for this one.
    Unlogged, because staged rows can always be loaded again from the checked file: a crash
    of PostgreSQL empties the table, the commit sees rows missing and reloads it. SQLite has a
    temporary table per step, private to the connection.
    """

    def __init__(self, name: str, columns: Sequence[tuple[str, str]],
                 derived: Sequence[tuple[str, str]] = ()) -> None:
        """`columns` are written from the file's rows; `derived` are filled by SQL later."""
        self.name = name
        self.columns = [*columns, *derived]
        self.names = [column for column, _type in columns]

    def table(self, job_id: int) -> str:
        """The quoted table name for the job."""
        return connection.ops.quote_name(f"{self.name}_{int(job_id)}")

    def create(self, cursor: Any, job_id: int) -> None:
        table = self.table(job_id)
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        spec = ", ".join(f"{column} {sql_type}" for column, sql_type in self.columns)
        if _vendor() != "postgresql":
            cursor.execute(f"CREATE TEMPORARY TABLE {table} ({spec})")
            return
        # Analysed by the import itself once loaded; autovacuum would only read it again.
        cursor.execute(f"CREATE UNLOGGED TABLE {table} ({spec}) "
                       "WITH (autovacuum_enabled = false)")

    def load(self, cursor: Any, job_id: int, fileobj: IO[bytes], *, stamp: str) -> None:
        """Fill the table from a file in PostgreSQL's COPY text format (see `copy_line`);
        `stamp` names the file for `reusable`."""
        table = self.table(job_id)
        names = ", ".join(self.names)
        if _vendor() == "postgresql":
            # The Django cursor wraps psycopg's; COPY streams the checked rows in without a
            # statement or a round trip per row, and without Python touching each row.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                while chunk := fileobj.read(1024 * 1024):
                    copy.write(chunk)
            self._comment(cursor, job_id, f"{stamp} rows={cursor.cursor.rowcount}")
            # A fresh table has no statistics; without them PostgreSQL guesses a nested loop
            # for the joins below, which is quadratic on a million rows.
            cursor.execute(f"ANALYZE {table}")
            return
        marks = ", ".join(["%s"] * len(self.names))
        statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        batch: list[list[str | None]] = []
        for raw in fileobj:
            batch.append([_unescape(value) for value in raw.decode("utf-8")[:-1].split("\t")])
            if len(batch) >= SQLITE_INSERT_ROWS:
                cursor.executemany(statement, batch)
                batch.clear()
        if batch:
            cursor.executemany(statement, batch)

    def _comment(self, cursor: Any, job_id: int, text: str) -> None:
        from psycopg import sql

        # COMMENT takes no parameters: the text goes in as a literal quoted by psycopg.
        comment = sql.SQL("COMMENT ON TABLE {} IS {}").format(
            sql.Identifier(f"{self.name}_{int(job_id)}"), sql.Literal(text))
        cursor.execute(comment.as_string(cursor.cursor))

    def reusable(self, cursor: Any, job_id: int, *, stamp: str) -> bool:
        """True when the kept table for the job exists and was filled from `stamp` with all
        its rows; it is then locked until the end of the transaction, so the expiry task
        cannot drop it under the commit. PostgreSQL only, inside a transaction."""
        table = self.table(job_id)
        try:
            with transaction.atomic():
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        except ProgrammingError:  # no such table: never kept, expired, or lost
            return False
        cursor.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", [table])
        (comment,) = cursor.fetchone()
        prefix = f"{stamp} rows="
        if not comment or not comment.startswith(prefix) or not comment[len(prefix):].isdigit():
            return False
        if int(comment[len(prefix):]) == 0:
            return True
        # Emptied by crash recovery, which resets every unlogged table, or loaded in full.
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
        return bool(cursor.fetchone()[0])

    def drop(self, cursor: Any, job_id: int) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.table(job_id)}")


def _json(expression: str) -> str:
    return f"CAST({expression} AS jsonb)" if _vendor() == "postgresql" else expression


def counts_by_state(cursor: Any, table: str) -> dict[str, int]:
    cursor.execute(f"SELECT state, COUNT(*) FROM {table} GROUP BY state")  # noqa: S608
    return {state: int(count) for state, count in cursor.fetchall()}


# --- Invoices -------------------------------------------------------------------------------
#
# The invoice steps only read the staging table: the preview classifies the rows it staged,
# and the commit classifies the same (kept) rows again against the ledger as it is then, so
# nothing of the preview's answer is stored in the table.

INVOICE_STAGE = Staging("fido_import_invoice", [
    ("line", "integer NOT NULL"),
    ("number", "varchar(64) NOT NULL"),
    ("debtor_id", "bigint NOT NULL"),
    ("issue_date", "date NOT NULL"),
    ("due_date", "date NOT NULL"),
    ("amount", "numeric(14, 2) NOT NULL"),
])

# A staged invoice differs from the ledger's (i) in a field the file carries.
_INVOICE_CHANGED = """(i.debtor_id <> s.debtor_id OR i.issue_date <> s.issue_date
                       OR i.due_date <> s.due_date OR i.amount <> s.amount)"""
# What was already paid or credited on the ledger's invoice; an update keeps it.
_SETTLED = "ROUND(i.amount - i.open_balance, 2)"


def invoices_classify(cursor: Any, *, table: str, client_id: int) -> dict[str, int]:
    """How many staged invoices are new, would change, or are the same: one read-only pass."""
    cursor.execute(f"""
        SELECT COALESCE(SUM(CASE WHEN i.id IS NULL THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN {_INVOICE_CHANGED} THEN 1 ELSE 0 END), 0),
               COUNT(*)
        FROM {table} s
        LEFT JOIN portfolio_invoice i ON i.client_id = %s AND i.number = s.number
    """, [client_id])  # noqa: S608 - constants only; values are parameters
    new, updated, total = (int(value) for value in cursor.fetchone())
    return {"new": new, "updated": updated, "unchanged": total - new - updated}


def invoices_refused(cursor: Any, *, table: str,
                     client_id: int) -> Iterable[tuple[int, str, str]]:
    """(line, column, message) for rows the ledger refuses: only invoices with something
    paid or credited can be refused, so the join keeps those alone."""
    cursor.execute(f"""
        SELECT s.line, s.number, s.amount, {_SETTLED}, s.debtor_id <> i.debtor_id,
               d.external_ref
        FROM {table} s
        JOIN portfolio_invoice i ON i.client_id = %s AND i.number = s.number
        JOIN portfolio_debtor d ON d.id = i.debtor_id
        WHERE {_SETTLED} > 0
          AND (s.amount < {_SETTLED} OR s.debtor_id <> i.debtor_id)
        ORDER BY s.line
    """, [client_id])  # noqa: S608 - constants only; values are parameters
    for line, number, amount, settled, moved, code in cursor.fetchall():
        if _money(amount) < _money(settled):
            yield (line, "amount",
                   _("amount %(amount)s is below the %(settled)s already paid or credited on "
                     "invoice %(number)s; the amount of an invoice can go down only to what "
                     "is still open.")
                   % {"amount": _money(amount), "settled": _money(settled), "number": number})
        if moved:
            yield (line, "customer_code",
                   _("customer_code: invoice %(number)s has payments or credits of customer "
                     "%(code)s and cannot move to another debtor.")
                   % {"number": number, "code": code})


def invoices_write(cursor: Any, *, table: str, client_id: int, currency: str,
                   now: object) -> None:
    """Update, by (client, number), the invoices whose fields change, then insert the new
    ones: two plain statements, cheaper than one INSERT … ON CONFLICT DO UPDATE, which pays
    a speculative insertion for every row (about 6 s more on a million new invoices).
    An update keeps what was already paid or credited and recomputes the balance and the
    arithmetic status from it. The caller holds the client's row lock, so no other writer
    adds one of these numbers in between."""
    new_balance = f"ROUND(s.amount - {_SETTLED}, 2)"
    cursor.execute(f"""
        UPDATE portfolio_invoice AS i
        SET debtor_id = s.debtor_id, issue_date = s.issue_date, due_date = s.due_date,
            amount = s.amount, open_balance = {new_balance},
            status = CASE
                WHEN i.status IN ({INVOICE_STATUS_KEPT}) THEN i.status
                WHEN {new_balance} = 0 THEN {INVOICE_PAID}
                WHEN i.amount = i.open_balance THEN {INVOICE_OPEN}
                ELSE {INVOICE_PARTIALLY_PAID} END,
            updated_at = %s
        FROM {table} s
        WHERE i.client_id = %s AND i.number = s.number AND {_INVOICE_CHANGED}
    """, [now, client_id])  # noqa: S608 - constants only; values are parameters
    cursor.execute(f"""
        INSERT INTO portfolio_invoice (client_id, debtor_id, number, issue_date, due_date,
                                       amount, currency, open_balance, status,
                                       created_at, updated_at)
        SELECT %s, s.debtor_id, s.number, s.issue_date, s.due_date, s.amount, %s, s.amount,
               CASE WHEN s.amount > 0 THEN {INVOICE_OPEN} ELSE {INVOICE_PAID} END, %s, %s
        FROM {table} s
        WHERE NOT EXISTS (SELECT 1 FROM portfolio_invoice i
                          WHERE i.client_id = %s AND i.number = s.number)
    """, [client_id, currency, now, now, client_id])  # noqa: S608 - constants only


# --- Payments -------------------------------------------------------------------------------

PAYMENT_STAGE = Staging("fido_import_payment", [
    ("line", "integer NOT NULL"),
    ("reference", "varchar(64) NOT NULL"),
    ("debtor_id", "bigint NOT NULL"),
    ("value_date", "date NOT NULL"),
    ("amount", "numeric(14, 2) NOT NULL"),
    ("method", "varchar(16) NOT NULL"),
    ("invoice_reference", "varchar(64) NOT NULL"),
], derived=[
    ("state", "varchar(10) NOT NULL DEFAULT 'new'"),
])


def payments_classify(cursor: Any, *, table: str, client_id: int) -> dict[str, int]:
    """A reference already recorded with the same debtor and amount is unchanged (skipped);
    with other details it is a conflict, refused: an import never changes a payment. Runs
    again on the kept rows at the commit, so it starts from a clean state."""
    cursor.execute(f"UPDATE {table} SET state = 'new' WHERE state <> 'new'")  # noqa: S608
    cursor.execute(f"""
        UPDATE {table} AS s
        SET state = CASE WHEN p.debtor_id = s.debtor_id AND p.amount = s.amount
                         THEN 'unchanged' ELSE 'conflict' END
        FROM portfolio_payment p
        WHERE p.client_id = %s AND p.external_ref = s.reference
    """, [client_id])  # noqa: S608 - constants only; values are parameters
    return counts_by_state(cursor, table)


def payments_refused(cursor: Any, *, table: str,
                     client_id: int) -> Iterable[tuple[int, str, str]]:
    cursor.execute(f"""
        SELECT s.line, s.reference, p.amount, d.external_ref
        FROM {table} s
        JOIN portfolio_payment p ON p.client_id = %s AND p.external_ref = s.reference
        JOIN portfolio_debtor d ON d.id = p.debtor_id
        WHERE s.state = 'conflict' ORDER BY s.line
    """, [client_id])  # noqa: S608 - constants only; values are parameters
    for line, reference, amount, code in cursor.fetchall():
        yield (line, "reference",
               _("reference %(reference)s is already recorded for customer %(code)s with "
                 "amount %(amount)s; an import never changes a recorded payment.")
               % {"reference": reference, "code": code, "amount": _money(amount)})


def payments_write(cursor: Any, *, table: str, client_id: int, currency: str,
                   now: object) -> None:
    cursor.execute(f"""
        INSERT INTO portfolio_payment (client_id, debtor_id, external_ref, amount, currency,
                                       value_date, method, invoice_reference,
                                       unallocated_amount, created_at)
        SELECT %s, s.debtor_id, s.reference, s.amount, %s, s.value_date, s.method,
               s.invoice_reference, s.amount, %s
        FROM {table} s
        WHERE s.state = 'new'
        ON CONFLICT (client_id, external_ref) DO NOTHING
    """, [client_id, currency, now])  # noqa: S608 - constants only; values are parameters


# --- Debtors --------------------------------------------------------------------------------

DEBTOR_FIELDS = ["kind", "name", "tax_code", "vat_number", "sector", "founded_year",
                 "address_line", "postal_code", "city", "region", "country", "timezone",
                 "language", "other_exposure"]
DEBTOR_STAGE = Staging("fido_import_debtor", [
    ("line", "integer NOT NULL"),
    ("external_ref", "varchar(64) NOT NULL"),
    ("kind", "varchar(16) NOT NULL"),
    ("name", "varchar(200) NOT NULL"),
    ("tax_code", "varchar(32) NOT NULL"),
    ("vat_number", "varchar(32) NOT NULL"),
    ("sector", "varchar(64) NOT NULL"),
    ("founded_year", "integer"),
    ("address_line", "varchar(200) NOT NULL"),
    ("postal_code", "varchar(16) NOT NULL"),
    ("city", "varchar(100) NOT NULL"),
    ("region", "varchar(16) NOT NULL"),
    ("country", "varchar(2) NOT NULL"),
    ("timezone", "varchar(64) NOT NULL"),
    ("language", "varchar(8) NOT NULL"),
    ("other_exposure", "numeric(14, 2) NOT NULL"),
], derived=[
    ("state", "varchar(10) NOT NULL DEFAULT 'new'"),
    ("debtor_id", "bigint"),
])
CONTACT_STAGE = Staging("fido_import_contact", [
    ("external_ref", "varchar(64) NOT NULL"),
    ("channel", "varchar(8) NOT NULL"),
    ("value", "varchar(254) NOT NULL"),
    ("label", "varchar(32) NOT NULL"),
    ("timezones", "text NOT NULL"),
])


def debtors_classify(cursor: Any, *, table: str, contacts: str,
                     client_id: int) -> dict[str, int]:
    """Known debtors are updated or unchanged, the others new. Runs again on the kept rows at
    the commit, so it starts from a clean state."""
    cursor.execute(f"UPDATE {table} SET state = 'new', debtor_id = NULL "  # noqa: S608
                   "WHERE state <> 'new'")
    same = " AND ".join(f"d.{field} IS NOT DISTINCT FROM s.{field}" for field in DEBTOR_FIELDS)
    cursor.execute(f"""
        UPDATE {table} AS s
        SET debtor_id = d.id,
            state = CASE WHEN {same} THEN 'unchanged' ELSE 'updated' END
        FROM portfolio_debtor d
        WHERE d.client_id = %s AND d.external_ref = s.external_ref
    """, [client_id])  # noqa: S608 - constants only
    # A known debtor with a phone or e-mail it does not have yet is updated, not unchanged.
    cursor.execute(f"""
        UPDATE {table} AS s
        SET state = 'updated'
        WHERE s.state = 'unchanged' AND EXISTS (
            SELECT 1 FROM {contacts} c
            WHERE c.external_ref = s.external_ref AND NOT EXISTS (
                SELECT 1 FROM portfolio_contactpoint p
                WHERE p.debtor_id = s.debtor_id AND p.channel = c.channel
                  AND p.value = c.value))
    """)  # noqa: S608 - constants only
    return counts_by_state(cursor, table)


_FROM_CLIENT_FILE = sql_literals(ContactPoint.Source.CLIENT_FILE)


def debtors_write(cursor: Any, *, table: str, contacts: str, client_id: int,
                  now: object) -> None:
    names = ", ".join(DEBTOR_FIELDS)
    selected = ", ".join(f"s.{field}" for field in DEBTOR_FIELDS)
    updates = ",\n".join(f"{field} = excluded.{field}" for field in DEBTOR_FIELDS)
    cursor.execute(f"""
        INSERT INTO portfolio_debtor (client_id, external_ref, {names}, do_not_call, vulnerable,
                                      deceased, created_at, updated_at)
        SELECT %s, s.external_ref, {selected}, FALSE, FALSE, FALSE, %s, %s
        FROM {table} s
        WHERE s.state <> 'unchanged'
        ON CONFLICT (client_id, external_ref) DO UPDATE SET
            {updates},
            updated_at = excluded.updated_at
    """, [client_id, now, now])  # noqa: S608 - constants only
    # Contact points from the client's file are added, never deleted (an agent's stay).
    cursor.execute(f"""
        INSERT INTO portfolio_contactpoint (client_id, debtor_id, channel, value, label,
                                            timezones, source, confirmed, created_at)
        SELECT %s, d.id, c.channel, c.value, c.label, {_json("c.timezones")},
               {_FROM_CLIENT_FILE}, TRUE, %s
        FROM {contacts} c
        JOIN portfolio_debtor d ON d.client_id = %s AND d.external_ref = c.external_ref
        WHERE TRUE
        ON CONFLICT (debtor_id, channel, value) DO NOTHING
    """, [client_id, now, client_id])  # noqa: S608 - constants only

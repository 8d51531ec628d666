"""Staging tables and the set-based SQL that classifies and writes an import.

Checked rows go into a temporary staging table (PostgreSQL: COPY through psycopg's
`cursor.copy`; SQLite: executemany), then a few statements do the rest whatever the number of
rows: classify each row against the ledger (new, updated, unchanged) with one UPDATE … FROM,
find the rows the ledger refuses (an invoice amount below what was already paid, a payment
reference recorded with other details), and write with one INSERT … SELECT … ON CONFLICT per
table. The same SQL runs on both databases; the few differences are named below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from django.db import connection

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


class Staging:
    """A temporary table for one import run, private to the database session."""

    def __init__(self, name: str, columns: Sequence[tuple[str, str]],
                 derived: Sequence[tuple[str, str]] = ()) -> None:
        """`columns` are written from the file's rows; `derived` are filled by SQL later."""
        self.name = name
        self.columns = [*columns, *derived]
        self.names = [column for column, _type in columns]

    def create(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
        spec = ", ".join(f"{column} {sql_type}" for column, sql_type in self.columns)
        cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({spec})")

    def load(self, cursor: Any, fileobj: IO[bytes]) -> None:
        """Fill the table from a file in PostgreSQL's COPY text format (see `copy_line`)."""
        names = ", ".join(self.names)
        if _vendor() == "postgresql":
            # The Django cursor wraps psycopg's; COPY streams the checked rows in without a
            # statement or a round trip per row, and without Python touching each row.
            with cursor.cursor.copy(f"COPY {self.name} ({names}) FROM STDIN") as copy:
                while chunk := fileobj.read(1024 * 1024):
                    copy.write(chunk)
            return
        marks = ", ".join(["%s"] * len(self.names))
        sql = f"INSERT INTO {self.name} ({names}) VALUES ({marks})"  # noqa: S608
        batch: list[list[str | None]] = []
        for raw in fileobj:
            batch.append([_unescape(value) for value in raw.decode("utf-8")[:-1].split("\t")])
            if len(batch) >= 10_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)

    def drop(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.name}")


def _json(expression: str) -> str:
    return f"CAST({expression} AS jsonb)" if _vendor() == "postgresql" else expression


def counts_by_state(cursor: Any, table: str) -> dict[str, int]:
    cursor.execute(f"SELECT state, COUNT(*) FROM {table} GROUP BY state")  # noqa: S608
    return {state: int(count) for state, count in cursor.fetchall()}


def _after_analyze(cursor: Any, table: str) -> None:
    # A fresh temporary table has no statistics; without them PostgreSQL guesses a nested
    # loop for the joins below, which is quadratic on a million rows.
    if _vendor() == "postgresql":
        cursor.execute(f"ANALYZE {table}")


# --- Invoices -------------------------------------------------------------------------------

INVOICE_STAGE = Staging("fido_import_invoice", [
    ("line", "integer NOT NULL"),
    ("number", "varchar(64) NOT NULL"),
    ("debtor_id", "bigint NOT NULL"),
    ("issue_date", "date NOT NULL"),
    ("due_date", "date NOT NULL"),
    ("amount", "numeric(14, 2) NOT NULL"),
], derived=[
    ("state", "varchar(10) NOT NULL DEFAULT 'new'"),
    ("old_debtor_id", "bigint"),
    ("settled", "numeric(14, 2)"),
])


def invoices_classify(cursor: Any, *, client_id: int) -> None:
    _after_analyze(cursor, INVOICE_STAGE.name)
    cursor.execute("""
        UPDATE fido_import_invoice AS s
        SET old_debtor_id = i.debtor_id,
            settled = ROUND(i.amount - i.open_balance, 2),
            state = CASE WHEN i.debtor_id = s.debtor_id AND i.issue_date = s.issue_date
                          AND i.due_date = s.due_date AND i.amount = s.amount
                         THEN 'unchanged' ELSE 'updated' END
        FROM portfolio_invoice i
        WHERE i.client_id = %s AND i.number = s.number
    """, [client_id])


def invoices_refused(cursor: Any) -> Iterable[tuple[int, str, str]]:
    """(line, column, message) for rows the ledger refuses."""
    cursor.execute("""
        SELECT line, number, amount, settled FROM fido_import_invoice
        WHERE state = 'updated' AND amount < settled ORDER BY line
    """)
    for line, number, amount, settled in cursor.fetchall():
        yield (line, "amount",
               f"amount {_money(amount)} is below the {_money(settled)} already paid or "
               f"credited on invoice {number}; the amount of an invoice can go down only to "
               "what is still open.")
    cursor.execute("""
        SELECT s.line, s.number, d.external_ref FROM fido_import_invoice s
        JOIN portfolio_debtor d ON d.id = s.old_debtor_id
        WHERE s.state = 'updated' AND s.debtor_id <> s.old_debtor_id AND s.settled > 0
        ORDER BY s.line
    """)
    for line, number, code in cursor.fetchall():
        yield (line, "customer_code",
               f"customer_code: invoice {number} has payments or credits of customer {code} "
               "and cannot move to another debtor.")


def invoices_write(cursor: Any, *, client_id: int, currency: str, now: object) -> None:
    """One upsert by (client, number). An update keeps what was already paid or credited
    (amount - open_balance) and recomputes the balance and the arithmetic status from it."""
    new_balance = "ROUND(excluded.amount - (portfolio_invoice.amount - portfolio_invoice.open_balance), 2)"  # noqa: E501
    cursor.execute(f"""
        INSERT INTO portfolio_invoice (client_id, debtor_id, number, issue_date, due_date,
                                       amount, currency, open_balance, status,
                                       created_at, updated_at)
        SELECT %s, s.debtor_id, s.number, s.issue_date, s.due_date, s.amount, %s, s.amount,
               CASE WHEN s.amount > 0 THEN 'open' ELSE 'paid' END, %s, %s
        FROM fido_import_invoice s
        WHERE s.state <> 'unchanged'
        ON CONFLICT (client_id, number) DO UPDATE SET
            debtor_id = excluded.debtor_id,
            issue_date = excluded.issue_date,
            due_date = excluded.due_date,
            amount = excluded.amount,
            open_balance = {new_balance},
            status = CASE
                WHEN portfolio_invoice.status IN ('disputed', 'written_off')
                    THEN portfolio_invoice.status
                WHEN {new_balance} = 0 THEN 'paid'
                WHEN portfolio_invoice.amount = portfolio_invoice.open_balance THEN 'open'
                ELSE 'partially_paid' END,
            updated_at = excluded.updated_at
    """, [client_id, currency, now, now])  # noqa: S608 - constants only; values are parameters


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


def payments_classify(cursor: Any, *, client_id: int) -> None:
    """A reference already recorded with the same debtor and amount is unchanged (skipped);
    with other details it is a conflict, refused: an import never changes a payment."""
    _after_analyze(cursor, PAYMENT_STAGE.name)
    cursor.execute("""
        UPDATE fido_import_payment AS s
        SET state = CASE WHEN p.debtor_id = s.debtor_id AND p.amount = s.amount
                         THEN 'unchanged' ELSE 'conflict' END
        FROM portfolio_payment p
        WHERE p.client_id = %s AND p.external_ref = s.reference
    """, [client_id])


def payments_refused(cursor: Any, *, client_id: int) -> Iterable[tuple[int, str, str]]:
    cursor.execute("""
        SELECT s.line, s.reference, p.amount, d.external_ref
        FROM fido_import_payment s
        JOIN portfolio_payment p ON p.client_id = %s AND p.external_ref = s.reference
        JOIN portfolio_debtor d ON d.id = p.debtor_id
        WHERE s.state = 'conflict' ORDER BY s.line
    """, [client_id])
    for line, reference, amount, code in cursor.fetchall():
        yield (line, "reference",
               f"reference {reference} is already recorded for customer {code} with amount "
               f"{_money(amount)}; an import never changes a recorded payment.")


def payments_write(cursor: Any, *, client_id: int, currency: str, now: object) -> None:
    cursor.execute("""
        INSERT INTO portfolio_payment (client_id, debtor_id, external_ref, amount, currency,
                                       value_date, method, invoice_reference,
                                       unallocated_amount, created_at)
        SELECT %s, s.debtor_id, s.reference, s.amount, %s, s.value_date, s.method,
               s.invoice_reference, s.amount, %s
        FROM fido_import_payment s
        WHERE s.state = 'new'
        ON CONFLICT (client_id, external_ref) DO NOTHING
    """, [client_id, currency, now])


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


def debtors_classify(cursor: Any, *, client_id: int) -> None:
    _after_analyze(cursor, DEBTOR_STAGE.name)
    _after_analyze(cursor, CONTACT_STAGE.name)
    same = " AND ".join(f"d.{field} IS NOT DISTINCT FROM s.{field}" for field in DEBTOR_FIELDS)
    cursor.execute(f"""
        UPDATE fido_import_debtor AS s
        SET debtor_id = d.id,
            state = CASE WHEN {same} THEN 'unchanged' ELSE 'updated' END
        FROM portfolio_debtor d
        WHERE d.client_id = %s AND d.external_ref = s.external_ref
    """, [client_id])  # noqa: S608 - constants only
    # A known debtor with a phone or e-mail it does not have yet is updated, not unchanged.
    cursor.execute("""
        UPDATE fido_import_debtor
        SET state = 'updated'
        WHERE state = 'unchanged' AND EXISTS (
            SELECT 1 FROM fido_import_contact c
            WHERE c.external_ref = fido_import_debtor.external_ref AND NOT EXISTS (
                SELECT 1 FROM portfolio_contactpoint p
                WHERE p.debtor_id = fido_import_debtor.debtor_id AND p.channel = c.channel
                  AND p.value = c.value))
    """)


def debtors_write(cursor: Any, *, client_id: int, now: object) -> None:
    names = ", ".join(DEBTOR_FIELDS)
    selected = ", ".join(f"s.{field}" for field in DEBTOR_FIELDS)
    updates = ",\n".join(f"{field} = excluded.{field}" for field in DEBTOR_FIELDS)
    cursor.execute(f"""
        INSERT INTO portfolio_debtor (client_id, external_ref, {names}, do_not_call, vulnerable,
                                      deceased, created_at, updated_at)
        SELECT %s, s.external_ref, {selected}, FALSE, FALSE, FALSE, %s, %s
        FROM fido_import_debtor s
        WHERE s.state <> 'unchanged'
        ON CONFLICT (client_id, external_ref) DO UPDATE SET
            {updates},
            updated_at = excluded.updated_at
    """, [client_id, now, now])  # noqa: S608 - constants only
    # Contact points from the client's file are added, never deleted (an agent's stay).
    cursor.execute(f"""
        INSERT INTO portfolio_contactpoint (client_id, debtor_id, channel, value, label,
                                            timezones, source, confirmed, created_at)
        SELECT %s, d.id, c.channel, c.value, c.label, {_json("c.timezones")}, 'client_file',
               TRUE, %s
        FROM fido_import_contact c
        JOIN portfolio_debtor d ON d.client_id = %s AND d.external_ref = c.external_ref
        WHERE TRUE
        ON CONFLICT (debtor_id, channel, value) DO NOTHING
    """, [client_id, now, client_id])  # noqa: S608 - constants only

"""The case opener: set-based, idempotent, catch-up safe (the caring planner's pattern).

For one client and one range of debtor ids, in one transaction:

1. **open** one case per debtor with overdue payable invoices and no open case (INSERT …
   SELECT … GROUP BY debtor … ON CONFLICT DO NOTHING: the partial unique index
   `recovery_case_one_open` is the guard, so a second run, a concurrent run or a run after an
   outage opens nothing twice). A debtor whose earlier case was closed gets a new case row,
   `reopened_count` saying how many came before: the history of every case is kept;
2. **refresh** the overdue amount and oldest due date of the open cases that changed;
3. **hold** the open cases whose every overdue invoice is disputed (and release those that
   have something payable again);
4. **close** the open cases whose debtor has nothing overdue left (paid, credited, written
   off), cancelling their pending callbacks.

"Overdue" is: status open or partially paid, open balance > 0, due before the run date, in
the client's currency (the ledger keeps every invoice in its client's currency, enforced by a
trigger on PostgreSQL; the filter keeps sums in one currency whatever the database). Works on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from portfolio.models import Client, Debtor
from portfolio.sql import INVOICE_PAYABLE, INVOICE_UNSETTLED, SqlValue, sql_literals
from recovery.models import Callback, CollectionCase

# Statuses, stages and reasons in the SQL below, from the models' choices (portfolio/sql.py).
_OPEN = sql_literals(CollectionCase.Status.OPEN)
_CLOSED = sql_literals(CollectionCase.Status.CLOSED)
_FIRST_LEVEL = sql_literals(CollectionCase.Stage.FIRST_LEVEL)
_PAID = sql_literals(CollectionCase.CloseReason.PAID)
_EMPATHETIC = sql_literals(CollectionCase.Strategy.EMPATHETIC)
_STANDARD = sql_literals(CollectionCase.Strategy.STANDARD)
_CALLBACK_PENDING = sql_literals(Callback.Status.PENDING)
_CALLBACK_CANCELLED = sql_literals(Callback.Status.CANCELLED)

# Debtors per transaction. A chunk is a handful of statements each driven by the partial
# index portfolio_invoice_open_due (client, due_date); 20,000 debtors of a 1,000,000-invoice
# client (about 200,000 invoices) keep a transaction short and a killed run loses one chunk.
CHUNK_DEBTORS = 20_000
_ID_BOUND = 2**63 - 1

HOLD_ALL_DISPUTED = "Every overdue invoice is disputed."


@dataclass
class OpenResult:
    opened: int = 0
    refreshed: int = 0
    held: int = 0
    released: int = 0
    closed: int = 0
    chunks: int = 0


def _overdue_sql(statuses: str) -> str:
    """The client's overdue invoices in a debtor range, grouped per debtor."""
    return (
        "SELECT i.client_id, i.debtor_id, SUM(i.open_balance) AS amount, "  # noqa: S608
        "MIN(i.due_date) AS oldest FROM portfolio_invoice i "
        "WHERE i.client_id = %s AND i.due_date < %s "
        f"AND i.status IN ({statuses}) AND i.open_balance > 0 AND i.currency = %s "
        "AND i.debtor_id >= %s AND i.debtor_id < %s "
        "GROUP BY i.client_id, i.debtor_id"
    )


_PAYABLE = INVOICE_PAYABLE
_UNSETTLED = INVOICE_UNSETTLED


def _random_strategy() -> str:
    # Half the new cases to each strategy, at random (the experience comparison needs an
    # unbiased split, not one by id or by who opened it).
    if connection.vendor == "postgresql":
        return f"CASE WHEN random() < 0.5 THEN {_EMPATHETIC} ELSE {_STANDARD} END"
    return f"CASE WHEN (random() & 1) = 0 THEN {_EMPATHETIC} ELSE {_STANDARD} END"


def _execute(sql: str, params: list[SqlValue]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _open(client: Client, as_of: SqlValue, lo: int, hi: int, now: SqlValue) -> int:
    # Constant SQL; every value is a parameter.
    sql = (
        "INSERT INTO recovery_collectioncase (client_id, debtor_id, status, stage, opened_at, "  # noqa: S608
        "close_reason, reopened_count, overdue_amount, oldest_due_date, currency, priority, "
        "priority_reasons, strategy, language, segment, next_action_reason, on_hold, "
        "hold_reason, created_at, updated_at) "
        f"SELECT o.client_id, o.debtor_id, {_OPEN}, {_FIRST_LEVEL}, %s, '', "
        " (SELECT COUNT(*) FROM recovery_collectioncase p WHERE p.client_id = o.client_id "
        "  AND p.debtor_id = o.debtor_id), "
        f" o.amount, o.oldest, %s, 0, '[]', {_random_strategy()}, d.language, d.kind, '', "
        " %s, '', %s, %s "
        f"FROM ({_overdue_sql(_PAYABLE)}) o JOIN portfolio_debtor d ON d.id = o.debtor_id "
        "WHERE NOT EXISTS (SELECT 1 FROM recovery_collectioncase c WHERE c.client_id = "
        f" o.client_id AND c.debtor_id = o.debtor_id AND c.status = {_OPEN}) "
        "ON CONFLICT DO NOTHING"
    )
    return _execute(sql, [now, client.currency, False, now, now,
                          client.pk, as_of, client.currency, lo, hi])


def _refresh(client: Client, as_of: SqlValue, lo: int, hi: int, now: SqlValue) -> int:
    """Amount and oldest due date of the open cases whose figures moved (only those rows are
    written: a daily run over an unchanged portfolio writes nothing)."""
    sql = (
        "UPDATE recovery_collectioncase SET overdue_amount = o.amount, "  # noqa: S608
        "oldest_due_date = o.oldest, updated_at = %s "
        f"FROM ({_overdue_sql(_PAYABLE)}) o "
        "WHERE recovery_collectioncase.client_id = o.client_id "
        "AND recovery_collectioncase.debtor_id = o.debtor_id "
        f"AND recovery_collectioncase.status = {_OPEN} "
        "AND (recovery_collectioncase.overdue_amount <> o.amount "
        "OR recovery_collectioncase.oldest_due_date IS NULL "
        "OR recovery_collectioncase.oldest_due_date <> o.oldest)"
    )
    return _execute(sql, [now, client.pk, as_of, client.currency, lo, hi])


def _exists_overdue(statuses: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM portfolio_invoice i WHERE i.debtor_id = "  # noqa: S608
        "recovery_collectioncase.debtor_id AND i.client_id = recovery_collectioncase.client_id "
        f"AND i.due_date < %s AND i.status IN ({statuses}) AND i.open_balance > 0 "
        "AND i.currency = recovery_collectioncase.currency)"
    )


def _in_range() -> str:
    return ("recovery_collectioncase.client_id = %s "
            f"AND recovery_collectioncase.status = {_OPEN} "
            "AND recovery_collectioncase.debtor_id >= %s "
            "AND recovery_collectioncase.debtor_id < %s")


def _hold(client: Client, as_of: SqlValue, lo: int, hi: int, now: SqlValue) -> tuple[int, int]:
    """Hold the cases with nothing payable overdue but disputed invoices; release the cases
    held for that reason that have something payable again."""
    held = _execute(
        "UPDATE recovery_collectioncase SET on_hold = %s, hold_reason = %s, "  # noqa: S608
        "overdue_amount = 0, claimed_by_id = NULL, claimed_at = NULL, claim_expires_at = NULL, "
        f"updated_at = %s WHERE {_in_range()} AND on_hold = %s "
        f"AND NOT {_exists_overdue(_PAYABLE)} AND {_exists_overdue(_UNSETTLED)}",
        [True, HOLD_ALL_DISPUTED, now, client.pk, lo, hi, False, as_of, as_of])
    released = _execute(
        "UPDATE recovery_collectioncase SET on_hold = %s, hold_reason = '', updated_at = %s "  # noqa: S608
        f"WHERE {_in_range()} AND on_hold = %s AND hold_reason = %s "
        f"AND {_exists_overdue(_PAYABLE)}",
        [False, now, client.pk, lo, hi, True, HOLD_ALL_DISPUTED, as_of])
    return held, released


def _close(client: Client, as_of: SqlValue, lo: int, hi: int, now: SqlValue) -> int:
    params = [client.pk, lo, hi, as_of]
    # Pending callbacks of the cases about to close have nothing left to talk about.
    _execute(
        f"UPDATE recovery_callback SET status = {_CALLBACK_CANCELLED}, done_at = %s WHERE status = "  # noqa: S608
        f"{_CALLBACK_PENDING} AND case_id IN (SELECT recovery_collectioncase.id FROM "
        f"recovery_collectioncase WHERE {_in_range()} AND NOT {_exists_overdue(_UNSETTLED)})",
        [now, *params])
    return _execute(
        f"UPDATE recovery_collectioncase SET status = {_CLOSED}, closed_at = %s, "  # noqa: S608
        f"close_reason = {_PAID}, overdue_amount = 0, on_hold = %s, hold_reason = '', "
        "claimed_by_id = NULL, claimed_at = NULL, claim_expires_at = NULL, "
        "assigned_agent_id = NULL, next_action_at = NULL, updated_at = %s "
        f"WHERE {_in_range()} AND NOT {_exists_overdue(_UNSETTLED)}",
        [now, False, now, *params])


def chunk_bounds(client_id: int, size: int = CHUNK_DEBTORS) -> list[tuple[int, int]]:
    """Keyset ranges of the client's debtor ids, `size` debtors each (one index probe per
    range through the debtor's client index)."""
    debtors = Debtor.objects.filter(client_id=client_id).order_by("pk")
    bounds: list[tuple[int, int]] = []
    lo = 0
    while True:
        next_start = debtors.filter(pk__gte=lo).values_list("pk", flat=True)[size:size + 1]
        cut = next(iter(next_start), None)
        if cut is None:
            bounds.append((lo, _ID_BOUND))
            return bounds
        bounds.append((lo, cut))
        lo = cut


def cases_open_chunk(*, client: Client, as_of: dt.date, lo: int, hi: int,
                     result: OpenResult | None = None) -> OpenResult:
    """Open, refresh, hold and close the cases of debtors with ids in [lo, hi): one
    transaction, safe to repeat."""
    result = result or OpenResult()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = connection.ops.adapt_datefield_value(as_of)
    with transaction.atomic():
        result.opened += _open(client, day, lo, hi, now)
        result.refreshed += _refresh(client, day, lo, hi, now)
        held, released = _hold(client, day, lo, hi, now)
        result.held += held
        result.released += released
        result.closed += _close(client, day, lo, hi, now)
    result.chunks += 1
    return result

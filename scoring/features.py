"""Debtor features as of a date, computed set-based in SQL, with no look-ahead.

Every feature of a debtor "as of D" reads only invoices issued before D, payments whose value
date is before D and credit notes issued before D: adding later rows never changes it (a test
proves this). Three current attributes are the exception, read as they are today because the
ledger keeps no history of them: the credit limit in force, the other exposure and an invoice's
disputed status (no dispute date is recorded yet; dated disputes from `recovery` will replace it).

The work is split in two layers:

- **SQL feature blocks** (`FEATURE_BLOCKS`): each is one query returning, for the debtors of
  one client in a keyset range of ids, a row per debtor of raw aggregates. A new source of
  evidence is a new block, registered by the app that holds it (`feature_block_register`,
  from its AppConfig.ready; scoring imports no higher app): caring adds unreachable courtesy
  calls and broken payment promises (`caring/features.py`), compliance contact attempts that
  did not reach the debtor (`compliance/features.py`). Promises taken by the collections desk
  (`recovery`) will be one more block.
- **Pure derivation** (`derive_features`): turns raw aggregates into the model's features
  (ratios, ages, years). No database, unit-tested.

Protected characteristics (gender, age, nationality, health …) are never features: the
debtor table does not hold them and a test asserts that no feature name names one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from portfolio.models import CreditNote
from portfolio.sql import INVOICE_DISPUTED, sql_literals

# (name, categorical, monotone direction of the bad rate as the value grows). Apps add theirs
# with `feature_block_register`, which extends this list and the three views below in place.
FEATURES: list[tuple[str, bool, str | None]] = [
    ("dbt_avg_3m", False, "increasing"),
    ("dbt_avg_6m", False, "increasing"),
    ("dbt_avg_12m", False, "increasing"),
    ("late_share_12m", False, "increasing"),
    ("overdue_amount", False, "increasing"),
    ("overdue_days_max", False, "increasing"),
    ("exposure_ratio", False, "increasing"),
    ("tenure_months", False, "decreasing"),
    ("invoices_12m", False, None),
    ("disputes_12m", False, "increasing"),
    ("years_in_business", False, "decreasing"),
    ("kind", True, None),
    ("sector", True, None),
]
FEATURE_NAMES: list[str] = [name for name, _categorical, _monotone in FEATURES]
CATEGORICAL: set[str] = {name for name, categorical, _monotone in FEATURES if categorical}
MONOTONE: dict[str, str] = {name: monotone for name, _c, monotone in FEATURES if monotone}

LATE_DAYS = 30  # an invoice settled more than 30 days after its due date was paid late

# The credit notes the feature counts (write-offs are not counted).
_NOTE_KINDS_COUNTED = sql_literals(CreditNote.Kind.CREDIT_NOTE, CreditNote.Kind.ADJUSTMENT)


# --- SQL dialect ------------------------------------------------------------------------------

class Dialect:
    """The few date expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str) -> None:
        self.postgres = vendor == "postgresql"

    def date(self, param: str) -> str:
        return f"CAST(%({param})s AS date)" if self.postgres else f"%({param})s"

    def days(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def plus_days(self, column: str, days: int) -> str:
        if self.postgres:
            return f"({column} + {int(days)})"
        return f"date({column}, '+{int(days)} days')"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"MAX({a}, {b})"

    def money(self, expression: str) -> str:
        """An amount computed from amounts, exact to the cent: SQLite keeps decimals as REAL,
        where 100.01 - 10.02 - 89.99 is 1.4e-14, not 0 (PostgreSQL's numeric is exact)."""
        return expression if self.postgres else f"ROUND({expression}, 2)"

    def average(self, column: str, condition: str) -> str:
        """AVG(column) over the rows meeting the condition, as a float. PostgreSQL: a SUM and
        a COUNT, whose states are plain integers, where AVG of an integer keeps an array: a
        chunk's ledger query takes 8% less time, with the same results."""
        if self.postgres:
            return (f"CAST(SUM({column}) FILTER (WHERE {condition}) AS double precision)"
                    f" / NULLIF(COUNT({column}) FILTER (WHERE {condition}), 0)")
        return f"AVG({column}) FILTER (WHERE {condition})"

    def real(self, expression: str) -> str:
        """A float, not a numeric: the driver then builds floats, not Decimals, for a
        part's thousands of rows (SQLite's aggregates already return floats)."""
        return f"CAST({expression} AS double precision)" if self.postgres else expression


@dataclass(frozen=True)
class FeatureBlock:
    """One SQL query of raw aggregates per debtor; columns are what it returns after debtor_id.

    The query gets the bound parameters of `_params` (client, lo, hi, as_of, d3, d6, d12 …)
    and must read nothing dated on or after `as_of`. `features` are columns the model takes
    as they are, counts with "no row" meaning 0: (name, monotone direction or None).
    `wording` words a reason on one of them from its value (None when unknown).
    """

    name: str
    columns: tuple[str, ...]
    sql: Callable[[Dialect], str]
    features: tuple[tuple[str, str | None], ...] = ()
    wording: Callable[[str, float | None], str] | None = None


def _debtor_sql(d: Dialect) -> str:
    # Imported here: scoring.models reads this module's reason wording when it loads.
    from scoring.models import ScoringModel

    segment_all = sql_literals(ScoringModel.Segment.ALL)
    # In id order: the blocks' rows are placed by binary search on these ids.
    return f"""
        SELECT id, kind, sector, founded_year, {d.real("credit_limit")},
               {d.real("other_exposure")}
        FROM portfolio_debtor
        WHERE client_id = %(client)s AND id >= %(lo)s AND id <= %(hi)s
          AND (%(segment)s = {segment_all} OR kind = %(segment)s)
        ORDER BY id
    """  # noqa: S608


def _invoice_rows_sql(d: Dialect) -> str:
    """One row per invoice of the chunk issued before the as-of date: its debtor, dates and
    status, its open amount and its days beyond terms (settled, or still open, at that date).

    PostgreSQL: most invoices were settled before the as-of date by the ledger's own record
    (`last_settlement_on`, portfolio migration 0008): their open amount is 0 and their days
    beyond terms follow from that date, with no lookup. Only the others read their allocations
    and credit notes, in a scalar subquery that CASE evaluates for them alone. `OFFSET 0` keeps
    each level a subquery of its own: flattened, the planner would repeat its expressions in
    every aggregate that reads them (late_days five times, the lookups with it). `ORDER BY`
    tells the aggregate above that the rows come in debtor order, as the covering index reads
    them: without it the planner sorted the 50,000 rows of a chunk again, on disk.

    SQLite (the embedded demo, no LATERAL, no ledger settlement column): an aggregate of the
    chunk's allocations and credit notes per invoice.
    """
    as_of = d.date("as_of")
    chunk = ("i.client_id = %(client)s AND i.debtor_id >= %(lo)s AND i.debtor_id <= %(hi)s "
             f"AND i.issue_date < {as_of}")
    if d.postgres:
        # The payment's value date by primary key, not a join: a join here let the planner,
        # short of statistics, hash the whole payment table once per invoice.
        return f"""
        SELECT debtor_id, issue_date, due_date, status,
               COALESCE(computed[1], 0) AS open_amount,
               COALESCE(CAST(computed[2] AS integer),
                        GREATEST(last_settlement_on - due_date, 0)) AS late_days
        FROM (
            SELECT i.debtor_id, i.issue_date, i.due_date, i.status, i.last_settlement_on,
                CASE WHEN i.last_settlement_on < {as_of} THEN NULL ELSE (
                    SELECT ARRAY[s.open_amount, GREATEST(
                        CASE WHEN s.open_amount <= 0
                             THEN COALESCE(GREATEST(s.last_paid, s.last_note), i.issue_date)
                             ELSE {as_of} END - i.due_date, 0)]
                    FROM (SELECT i.amount - COALESCE(a.paid, 0) - COALESCE(n.credited, 0)
                                 AS open_amount, a.last_paid, n.last_note
                          FROM (SELECT SUM(pa.amount) AS paid, MAX(v.value_date) AS last_paid
                                FROM portfolio_paymentallocation pa,
                                     LATERAL (SELECT p.value_date FROM portfolio_payment p
                                              WHERE p.id = pa.payment_id) v
                                WHERE pa.invoice_id = i.id AND v.value_date < {as_of}) a,
                               (SELECT SUM(c.amount) AS credited, MAX(c.issue_date) AS last_note
                                FROM portfolio_creditnote c
                                WHERE c.invoice_id = i.id AND c.issue_date < {as_of}) n) s
                ) END AS computed
            FROM portfolio_invoice i
            WHERE {chunk}
            ORDER BY i.debtor_id OFFSET 0
        ) unsettled
        ORDER BY debtor_id OFFSET 0"""  # noqa: S608
    late = d.days(f"COALESCE(settled_on, {as_of})", "due_date")
    balance = d.money("i.amount - COALESCE(a.paid, 0) - COALESCE(n.credited, 0)")
    return f"""
        SELECT debtor_id, issue_date, due_date, status, open_amount,
               CASE WHEN {late} > 0 THEN {late} ELSE 0 END AS late_days
        FROM (
            SELECT i.debtor_id, i.issue_date, i.due_date, i.status,
                   {balance} AS open_amount,
                   CASE WHEN {balance} <= 0
                        THEN COALESCE({d.greatest("COALESCE(a.last_paid, n.last_note)",
                                                  "COALESCE(n.last_note, a.last_paid)")},
                                      i.issue_date)
                   END AS settled_on
            FROM portfolio_invoice i
            LEFT JOIN (
                SELECT pa.invoice_id, SUM(pa.amount) AS paid, MAX(p.value_date) AS last_paid
                FROM portfolio_invoice ai
                JOIN portfolio_paymentallocation pa ON pa.invoice_id = ai.id
                JOIN portfolio_payment p ON p.id = pa.payment_id
                WHERE ai.client_id = %(client)s AND ai.debtor_id >= %(lo)s
                  AND ai.debtor_id <= %(hi)s AND p.value_date < {as_of}
                GROUP BY pa.invoice_id
            ) a ON a.invoice_id = i.id
            LEFT JOIN (
                SELECT c.invoice_id, SUM(c.amount) AS credited, MAX(c.issue_date) AS last_note
                FROM portfolio_creditnote c
                JOIN portfolio_invoice ci ON ci.id = c.invoice_id
                WHERE c.client_id = %(client)s AND ci.debtor_id >= %(lo)s
                  AND ci.debtor_id <= %(hi)s AND c.issue_date < {as_of}
                GROUP BY c.invoice_id
            ) n ON n.invoice_id = i.id
            WHERE {chunk}
        ) settled"""  # noqa: S608


def _ledger_sql(d: Dialect) -> str:
    as_of = d.date("as_of")
    real = d.real
    # Only fixed SQL fragments are interpolated (dialect expressions, constants); every value
    # is a bound parameter (hence the S608 exemptions). Credit notes are counted per debtor,
    # joined to the part's debtors rather than to their invoices; MATERIALIZED:
    # inlined, a planner short of statistics re-ran them for every row.
    materialized = "MATERIALIZED" if d.postgres else ""
    due_within = "due_date >= %(d{months})s AND due_date < " + as_of
    return f"""
    WITH notes AS {materialized} (
        SELECT ci.debtor_id,
               SUM(CASE WHEN c.kind IN ({_NOTE_KINDS_COUNTED}) THEN 1 ELSE 0 END) AS n
        FROM portfolio_creditnote c
        JOIN portfolio_invoice ci ON ci.id = c.invoice_id
        WHERE c.client_id = %(client)s AND ci.debtor_id >= %(lo)s AND ci.debtor_id <= %(hi)s
          AND c.issue_date < {as_of} AND ci.issue_date >= %(d12)s AND ci.issue_date < {as_of}
        GROUP BY ci.debtor_id
    ), per_debtor AS (
        SELECT debtor_id,
            {d.average("late_days", due_within.format(months=3))} AS dbt_3m,
            {d.average("late_days", due_within.format(months=6))} AS dbt_6m,
            {d.average("late_days", due_within.format(months=12))} AS dbt_12m,
            COUNT(*) FILTER (WHERE due_date >= %(d12)s AND due_date < %(known)s) AS due_12m,
            COUNT(*) FILTER (WHERE due_date >= %(d12)s AND due_date < %(known)s
                             AND late_days > {LATE_DAYS}) AS late_12m,
            {real(f"SUM(open_amount) FILTER (WHERE due_date < {as_of} AND open_amount > 0)")}
                AS overdue,
            MAX({d.days(as_of, "due_date")}) FILTER (WHERE due_date < {as_of}
                                                     AND open_amount > 0) AS overdue_days,
            {real("SUM(open_amount) FILTER (WHERE open_amount > 0)")} AS open_total,
            {d.days(as_of, "MIN(issue_date)")} AS tenure,
            COUNT(*) FILTER (WHERE issue_date >= %(d12)s) AS invoices_12m,
            COUNT(*) FILTER (WHERE status = {INVOICE_DISPUTED} AND open_amount > 0) AS disputed
        FROM ({_invoice_rows_sql(d)}) invoices
        GROUP BY debtor_id
    )
    SELECT p.debtor_id, dbt_3m, dbt_6m, dbt_12m, due_12m, late_12m, COALESCE(overdue, 0),
           overdue_days, COALESCE(open_total, 0), tenure, invoices_12m,
           {real("COALESCE(n.n, 0)")}, disputed
    FROM per_debtor p LEFT JOIN notes n ON n.debtor_id = p.debtor_id
    """  # noqa: S608


FEATURE_BLOCKS: list[FeatureBlock] = [
    FeatureBlock("ledger", (
        "dbt_avg_3m", "dbt_avg_6m", "dbt_avg_12m", "due_count_12m", "late_count_12m",
        "overdue_amount", "overdue_days_max", "open_amount", "tenure_days", "invoices_12m",
        "credit_notes_12m", "disputed_open",
    ), _ledger_sql),
]
# Feature name -> the registered block that words its reasons.
REASON_WORDING: dict[str, Callable[[str, float | None], str]] = {}


def feature_block_register(block: FeatureBlock) -> None:
    """Add an app's feature block (from its AppConfig.ready): scoring imports no higher app.

    Its `features` join the model's features for models trained from then on; models trained
    before keep the feature list of their artifact. Registering a name twice replaces it.
    """
    FEATURE_BLOCKS[:] = [b for b in FEATURE_BLOCKS if b.name != block.name] + [block]
    for name, monotone in block.features:
        if name not in FEATURE_NAMES:
            FEATURES.append((name, False, monotone))
            FEATURE_NAMES.append(name)
        if monotone:
            MONOTONE[name] = monotone
        if block.wording is not None:
            REASON_WORDING[name] = block.wording


def _counted_features() -> list[str]:
    return [name for block in FEATURE_BLOCKS for name, _monotone in block.features]


def _params(*, client_id: int, lo: int, hi: int, as_of: dt.date, segment: str) -> dict[str, Any]:
    def back(days: int) -> str:
        return (as_of - dt.timedelta(days=days)).isoformat()

    return {"client": client_id, "lo": lo, "hi": hi, "as_of": as_of.isoformat(),
            "segment": segment, "d3": back(91), "d6": back(182), "d12": back(365),
            "known": back(LATE_DAYS)}


# A chunk's queries are small: JIT compilation cost 0.7 s for a 0.4 s query, and parallel
# workers each rebuilt the same hash tables. The run's parallelism is its Celery workers.
_CHUNK_SETTINGS = ("jit = off", "max_parallel_workers_per_gather = 0")


def features_session_prepare(cursor: CursorWrapper) -> None:
    """Apply the chunk query settings to a whole session: for a connection of its own that
    reads many parts (the read-ahead thread's), instead of once per transaction."""
    if connection.vendor == "postgresql":
        cursor.execute("; ".join(f"SET {setting}" for setting in _CHUNK_SETTINGS))


def raw_features(*, client_id: int, lo: int, hi: int, as_of: dt.date, segment: str = "all",
                 cursor: CursorWrapper | None = None) -> dict[str, np.ndarray]:
    """Raw aggregates for the client's debtors with lo <= id <= hi (one query per block).

    Returns columns aligned on `debtor_id`. Debtors without rows in a block get NaN (no
    history), which both models treat as a value of its own. With `cursor` (a session made
    ready by `features_session_prepare`) the queries run on it as they are; without, in a
    transaction of their own with the settings applied to it.
    """
    params = _params(client_id=client_id, lo=lo, hi=hi, as_of=as_of, segment=segment)
    if cursor is not None:
        return _raw_read(cursor, params)
    with transaction.atomic(), connection.cursor() as own:
        if connection.vendor == "postgresql":
            own.execute("; ".join(f"SET LOCAL {setting}" for setting in _CHUNK_SETTINGS))
        return _raw_read(own, params)


def _raw_read(cursor: CursorWrapper, params: dict[str, Any]) -> dict[str, np.ndarray]:
    dialect = Dialect(connection.vendor)
    cursor.execute(_debtor_sql(dialect), params)
    debtors = cursor.fetchall()
    ids, kinds, sectors, founded, limits, others = (
        zip(*debtors, strict=True) if debtors else ((),) * 6)
    raw: dict[str, Any] = {
        "debtor_id": np.array(ids, dtype=np.int64),
        "kind": np.array(kinds, dtype=object),
        "sector": np.array([sector or "" for sector in sectors], dtype=object),
        # None (unknown) becomes NaN in the float conversion.
        "founded_year": np.array(founded, dtype=float),
        "credit_limit": np.array(limits, dtype=float),
        "other_exposure": np.array(others, dtype=float),
    }
    for block in FEATURE_BLOCKS:
        cursor.execute(block.sql(dialect), params)
        raw.update(_block_columns(block, cursor.fetchall(), raw["debtor_id"]))
    return raw


def _block_columns(block: FeatureBlock, rows: list[tuple[Any, ...]],
                   debtor_ids: np.ndarray) -> dict[str, np.ndarray]:
    """A block's rows as columns aligned on the chunk's debtors, `debtor_ids` ascending (NaN
    where it has no row; rows of debtors outside the chunk are dropped)."""
    n = len(debtor_ids)
    columns = {name: np.full(n, np.nan) for name in block.columns}
    if not rows or not n:
        return columns
    # One conversion of the whole block: None becomes NaN, Decimal a float.
    values = np.array(rows, dtype=float).reshape(len(rows), len(block.columns) + 1)
    ids = values[:, 0].astype(np.int64)
    where = np.minimum(np.searchsorted(debtor_ids, ids), n - 1)
    kept = debtor_ids[where] == ids
    for j, name in enumerate(block.columns, start=1):
        columns[name][where[kept]] = values[kept, j]
    return columns


def derive_features(raw: dict[str, np.ndarray], *, as_of: dt.date) -> dict[str, np.ndarray]:
    """The model's features from raw aggregates (pure: no database, no clock)."""
    n = len(raw["debtor_id"])
    zeros = np.zeros(n)

    def column(name: str) -> np.ndarray:
        return np.asarray(raw.get(name, np.full(n, np.nan)), dtype=float)

    due = column("due_count_12m")
    late = column("late_count_12m")
    with np.errstate(divide="ignore", invalid="ignore"):
        late_share = np.where(due > 0, late / due, np.nan)
        exposure = np.nan_to_num(column("open_amount")) + np.nan_to_num(column("other_exposure"))
        limit = column("credit_limit")
        exposure_ratio = np.where(limit > 0, exposure / limit,
                                  np.where(limit == 0, np.where(exposure > 0, 10.0, 0.0),
                                           np.nan))
    founded = column("founded_year")
    years = np.where(np.isnan(founded), np.nan, np.maximum(as_of.year - founded, 0))
    has_history = ~np.isnan(column("tenure_days"))
    return {
        "dbt_avg_3m": column("dbt_avg_3m"),
        "dbt_avg_6m": column("dbt_avg_6m"),
        "dbt_avg_12m": column("dbt_avg_12m"),
        "late_share_12m": late_share,
        "late_count_12m": np.nan_to_num(late),
        "due_count_12m": np.nan_to_num(due),
        "overdue_amount": np.where(has_history, np.nan_to_num(column("overdue_amount")), zeros),
        "overdue_days_max": np.nan_to_num(column("overdue_days_max")),
        "exposure_ratio": exposure_ratio,
        "tenure_months": column("tenure_days") / 30.4375,
        "invoices_12m": np.nan_to_num(column("invoices_12m")),
        "disputes_12m": np.nan_to_num(column("credit_notes_12m"))
        + np.nan_to_num(column("disputed_open")),
        "years_in_business": years,
        "kind": np.asarray(raw["kind"], dtype=object),
        "sector": np.array([s or "" for s in raw["sector"]], dtype=object),
        # Registered blocks' counts: a debtor without rows had none.
        **{name: np.nan_to_num(column(name)) for name in _counted_features()},
    }


def debtor_features(*, client_id: int, lo: int, hi: int, as_of: dt.date,
                    segment: str = "all", cursor: CursorWrapper | None = None
                    ) -> dict[str, np.ndarray]:
    """Features (and debtor_id) for a keyset range of one client's debtors, as of a date
    (`cursor`: as in `raw_features`)."""
    raw = raw_features(client_id=client_id, lo=lo, hi=hi, as_of=as_of, segment=segment,
                       cursor=cursor)
    features = derive_features(raw, as_of=as_of)
    features["debtor_id"] = raw["debtor_id"]
    return features

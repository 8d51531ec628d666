"""The target: what a "bad" debtor is, and the labels of the training snapshots.

**Bad invoice.** An invoice is bad when it is not settled (by payments and credit notes; a
write-off does not settle it) within 30 days after its due date: it was paid more than 30 days
late, or is still unpaid. Its outcome is labelled only once its window has closed, 60 days after
its due date, on or before the training date; so a late payment on day 45 is seen, and an
invoice still unpaid on day 60 counts as bad.

**Bad debtor as of D.** A debtor is bad as of D when at least one invoice falling due in the
90 days from D (D <= due date < D + 90) is bad. Debtors with no invoice falling due in that
window are not labelled (nothing to observe). A snapshot D can be used for training only when
D + 90 + 60 <= the training date.

Features come from before D (see `scoring.features`), labels from after: a row is a debtor
"as of D" with features known on D and an outcome observed later.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection

from portfolio.models import CreditNote
from portfolio.sql import sql_literals
from scoring.features import Dialect

GRACE_DAYS = 30  # settled more than 30 days after due date = bad
OUTCOME_DAYS = 60  # an invoice's outcome is labelled 60 days after its due date
HORIZON_DAYS = 90  # the debtor label looks at invoices falling due in the next 90 days
_WRITE_OFF = sql_literals(CreditNote.Kind.WRITE_OFF)


def latest_labelled_as_of(training_date: dt.date) -> dt.date:
    """The last snapshot date whose every outcome window has closed by `training_date`."""
    return training_date - dt.timedelta(days=HORIZON_DAYS + OUTCOME_DAYS)


def _label_sql(d: Dialect) -> str:
    cutoff = d.plus_days("i.due_date", GRACE_DAYS)
    # Only fixed SQL fragments are interpolated; every value is a bound parameter.
    return f"""
    WITH due AS (
        SELECT i.id, i.debtor_id, i.amount, {cutoff} AS cutoff
        FROM portfolio_invoice i
        WHERE i.client_id = %(client)s AND i.debtor_id >= %(lo)s AND i.debtor_id <= %(hi)s
          AND i.due_date >= {d.date("as_of")} AND i.due_date < {d.date("horizon")}
    ), paid AS (
        SELECT due.id, SUM(pa.amount) AS amount
        FROM due
        JOIN portfolio_paymentallocation pa ON pa.invoice_id = due.id
        JOIN portfolio_payment p ON p.id = pa.payment_id
        WHERE p.value_date <= due.cutoff
        GROUP BY due.id
    ), credited AS (
        SELECT due.id, SUM(c.amount) AS amount
        FROM due
        JOIN portfolio_creditnote c ON c.invoice_id = due.id
        WHERE c.issue_date <= due.cutoff AND c.kind <> {_WRITE_OFF}
        GROUP BY due.id
    )
    SELECT due.debtor_id,
           MAX(CASE WHEN {d.money("due.amount - COALESCE(paid.amount, 0) "
                                  "- COALESCE(credited.amount, 0)")} > 0
                    THEN 1 ELSE 0 END)
    FROM due
    LEFT JOIN paid ON paid.id = due.id
    LEFT JOIN credited ON credited.id = due.id
    GROUP BY due.debtor_id
    """  # noqa: S608


def debtor_labels(*, client_id: int, lo: int, hi: int, as_of: dt.date) -> dict[int, int]:
    """{debtor_id: 1 bad / 0 good} for the labelled debtors in the keyset range, as of a date."""
    params: dict[str, int | str] = {
        "client": client_id, "lo": lo, "hi": hi, "as_of": as_of.isoformat(),
        "horizon": (as_of + dt.timedelta(days=HORIZON_DAYS)).isoformat()}
    with connection.cursor() as cursor:
        cursor.execute(_label_sql(Dialect(connection.vendor)), params)
        return {int(debtor_id): int(bad) for debtor_id, bad in cursor.fetchall()}


def align_labels(debtor_ids: np.ndarray, labels: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(mask of labelled rows, their labels) for a feature matrix's debtor ids."""
    mask = np.array([int(i) in labels for i in debtor_ids], dtype=bool)
    y = np.array([labels[int(i)] for i in debtor_ids[mask]], dtype=int)
    return mask, y

"""Set-based allocation of payments to invoices.

A payment settles the invoice it names first, then the debtor's unsettled invoices oldest due
first. Both passes are one SQL statement each, whatever the number of payments: each payment
covers an interval of its partition's running total of payments, each invoice an interval of the
running total of open balances, and an allocation is the overlap of the two intervals. Disputed
invoices are on hold and receive nothing automatically.

Works on PostgreSQL and SQLite (window functions, UPDATE … FROM, temporary tables); amounts
are rounded to cents in SQL because SQLite computes decimals in floating point. For the same
reason, on SQLite two intervals that only touch (a payment ending where an invoice starts) can
seem to overlap by a rounding error: overlaps that round to zero are dropped.
"""

from __future__ import annotations

from django.db import connection, transaction

from portfolio.sql import (
    INVOICE_PAID,
    INVOICE_PARTIALLY_PAID,
    INVOICE_PAYABLE,
    INVOICE_STATUS_KEPT,
    INVOICE_WRITTEN_OFF,
)

# Overlap of [lo_a, hi_a) and [lo_b, hi_b): min(hi) - max(lo), written with CASE because
# PostgreSQL spells min/max of two values LEAST/GREATEST and SQLite MIN/MAX.
_OVERLAP = """
    (CASE WHEN s.hi < k.hi THEN s.hi ELSE k.hi END)
  - (CASE WHEN s.hi - s.amt > k.hi - k.amt THEN s.hi - s.amt ELSE k.hi - k.amt END)
"""

_NAMED_PASS = f"""
INSERT INTO fido_alloc_batch (payment_id, invoice_id, client_id, amount)
WITH s AS (
    SELECT p.id AS payment_id, i.id AS invoice_id, p.client_id, p.unallocated_amount AS amt,
           SUM(p.unallocated_amount) OVER (
               PARTITION BY i.id ORDER BY p.value_date, p.id ROWS UNBOUNDED PRECEDING) AS hi,
           i.open_balance AS k_amt
    FROM portfolio_payment p
    JOIN portfolio_invoice i
      ON i.client_id = p.client_id AND i.debtor_id = p.debtor_id AND i.number = p.invoice_reference
    WHERE p.client_id = %s AND p.unallocated_amount > 0 AND p.invoice_reference <> ''
      AND i.status <> {INVOICE_WRITTEN_OFF} AND i.open_balance > 0
), k AS (
    SELECT DISTINCT invoice_id, k_amt AS amt, k_amt AS hi FROM s
)
SELECT s.payment_id, s.invoice_id, s.client_id, ROUND({_OVERLAP}, 2)
FROM s JOIN k ON k.invoice_id = s.invoice_id
WHERE s.hi - s.amt < k.hi AND ROUND({_OVERLAP}, 2) > 0
"""  # noqa: S608 - composed of constants only; values go as parameters

_OLDEST_FIRST_PASS = f"""
INSERT INTO fido_alloc_batch (payment_id, invoice_id, client_id, amount)
WITH s AS (
    SELECT p.id AS payment_id, p.debtor_id, p.client_id, p.unallocated_amount AS amt,
           SUM(p.unallocated_amount) OVER (
               PARTITION BY p.debtor_id ORDER BY p.value_date, p.id ROWS UNBOUNDED PRECEDING) AS hi
    FROM portfolio_payment p
    WHERE p.client_id = %s AND p.unallocated_amount > 0
), k AS (
    SELECT i.id AS invoice_id, i.debtor_id, i.open_balance AS amt,
           SUM(i.open_balance) OVER (
               PARTITION BY i.debtor_id ORDER BY i.due_date, i.id ROWS UNBOUNDED PRECEDING) AS hi
    FROM portfolio_invoice i
    WHERE i.client_id = %s AND i.status IN ({INVOICE_PAYABLE}) AND i.open_balance > 0
      AND i.debtor_id IN (SELECT debtor_id FROM s)
)
SELECT s.payment_id, k.invoice_id, s.client_id, ROUND({_OVERLAP}, 2)
FROM s JOIN k ON k.debtor_id = s.debtor_id
WHERE s.hi - s.amt < k.hi AND k.hi - k.amt < s.hi AND ROUND({_OVERLAP}, 2) > 0
"""  # noqa: S608 - composed of constants only; values go as parameters

_APPLY = [
    # Record the allocations; a pair allocated before grows instead of duplicating.
    """
    INSERT INTO portfolio_paymentallocation (client_id, payment_id, invoice_id, amount)
    SELECT client_id, payment_id, invoice_id, SUM(amount) FROM fido_alloc_batch
    GROUP BY client_id, payment_id, invoice_id
    ON CONFLICT (payment_id, invoice_id)
    DO UPDATE SET amount = portfolio_paymentallocation.amount + excluded.amount
    """,
    f"""
    UPDATE portfolio_invoice
    SET open_balance = ROUND(portfolio_invoice.open_balance - a.total, 2),
        status = CASE
            WHEN portfolio_invoice.status IN ({INVOICE_STATUS_KEPT})
                THEN portfolio_invoice.status
            WHEN ROUND(portfolio_invoice.open_balance - a.total, 2) = 0 THEN {INVOICE_PAID}
            ELSE {INVOICE_PARTIALLY_PAID} END,
        updated_at = CURRENT_TIMESTAMP
    FROM (SELECT invoice_id, SUM(amount) AS total FROM fido_alloc_batch GROUP BY invoice_id) a
    WHERE portfolio_invoice.id = a.invoice_id
    """,  # noqa: S608 - constants only
    """
    UPDATE portfolio_payment
    SET unallocated_amount = ROUND(portfolio_payment.unallocated_amount - a.total, 2)
    FROM (SELECT payment_id, SUM(amount) AS total FROM fido_alloc_batch GROUP BY payment_id) a
    WHERE portfolio_payment.id = a.payment_id
    """,
]


def _run_pass(cursor: object, sql: str, params: list[object]) -> int:
    cursor.execute("DELETE FROM fido_alloc_batch")  # type: ignore[attr-defined]
    cursor.execute(sql, params)  # type: ignore[attr-defined]
    cursor.execute("SELECT COUNT(*) FROM fido_alloc_batch")  # type: ignore[attr-defined]
    (count,) = cursor.fetchone()  # type: ignore[attr-defined]
    if count:
        for statement in _APPLY:
            cursor.execute(statement)  # type: ignore[attr-defined]
    return int(count)


def allocate_open_payments(*, client_id: int) -> int:
    """Allocate every payment of the client that still has an unallocated amount.

    Safe to run any number of times: it only moves money that is still unallocated, so a
    second run with nothing new allocates nothing. Returns the number of allocations made.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS fido_alloc_batch ("
            " payment_id bigint NOT NULL, invoice_id bigint NOT NULL,"
            " client_id bigint NOT NULL, amount numeric(14, 2) NOT NULL)"
        )
        made = _run_pass(cursor, _NAMED_PASS, [client_id])
        made += _run_pass(cursor, _OLDEST_FIRST_PASS, [client_id, client_id])
        cursor.execute("DELETE FROM fido_alloc_batch")
    return made

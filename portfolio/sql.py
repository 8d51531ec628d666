"""SQL text made from the models' choices, for the raw SQL of the ledger, the caring planner and
the collections desk: a status renamed in a TextChoices class changes these statements too,
instead of leaving a string literal behind that matches nothing.

The text must stay byte-for-byte what the partial indexes' predicates say (for example
portfolio_invoice_open_due: `status IN ('open', 'partially_paid')`), so that PostgreSQL still
picks them: keep the order of the values as it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from django.db.models import TextChoices

from portfolio.models import Invoice

# One parameter of a raw statement: a value the database adapters convert (the adapted dates
# and times that `connection.ops.adapt_*_value` return are strings).
SqlValue = bool | int | float | Decimal | str | bytes | dt.date | dt.datetime | UUID | None


def sql_literals(*choices: TextChoices | str) -> str:
    """`'a', 'b'`: choice values as SQL string literals, for an IN list or a comparison.

    Choice values are identifiers chosen in code, never user input; one with a quote is
    refused rather than escaped, since it would be a mistake in a model.
    """
    if not choices:
        raise ValueError("sql_literals needs at least one value")
    values = [str(choice.value if isinstance(choice, TextChoices) else choice)
              for choice in choices]
    for value in values:
        if "'" in value or "\\" in value:
            raise ValueError(f"not a plain choice value: {value!r}")
    return ", ".join(f"'{value}'" for value in values)


# Invoices a payment can still settle.
INVOICE_PAYABLE = sql_literals(Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID)
# Invoices not settled yet: payable ones and disputed ones (a dispute stops calls, not the debt).
INVOICE_UNSETTLED = sql_literals(Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID,
                                 Invoice.Status.DISPUTED)
# Statuses set by hand that the ledger's arithmetic (a payment, a new amount) never changes.
INVOICE_STATUS_KEPT = sql_literals(Invoice.Status.DISPUTED, Invoice.Status.WRITTEN_OFF)
INVOICE_OPEN = sql_literals(Invoice.Status.OPEN)
INVOICE_PARTIALLY_PAID = sql_literals(Invoice.Status.PARTIALLY_PAID)
INVOICE_PAID = sql_literals(Invoice.Status.PAID)
INVOICE_DISPUTED = sql_literals(Invoice.Status.DISPUTED)
INVOICE_WRITTEN_OFF = sql_literals(Invoice.Status.WRITTEN_OFF)

"""What credit says to people: amounts formatted by locale and the rule texts, in the language
of whoever reads them.

The record stores facts (codes, amounts, bands), not sentences; the sentences are made here when
a page or a message is rendered, so an Italian credit manager reads Italian and "40.000,00" and
an English one reads English and "40,000.00" from the same row.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format


def number(value: Decimal | int | float | str | None, decimals: int = 2) -> str:
    """A figure with the active locale's separators (Italian 40.000,00; English 40,000.00)."""
    if value is None:
        return "—"
    return number_format(Decimal(str(value)), decimal_pos=decimals, use_l10n=True,
                         force_grouping=True)


def money(value: Decimal | int | float | str | None, currency: str) -> str:
    return f"{number(value)} {currency}".strip()

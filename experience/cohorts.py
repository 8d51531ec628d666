"""Cash recovered and customers lost for the cases behind a set of answers (SPEC §3).

A cohort is a set of collection cases. For every case, in SQL:

- **cash recovered**: payments on the case's debtor (with the case's client) whose value date
  falls on or after the day the case opened and, for a closed case, on or before the day it
  closed. The ledger records no reversals as separate rows, so gross and net coincide here;
  fees are not recorded per payment;
- **written off**: write-off credit notes on the debtor's invoices issued inside the same span;
- **customer lost**: the case closed as written off (`CloseReason.WRITTEN_OFF`); its value is
  the balance written off, never folded into any other figure;
- **placed balance**: cash recovered + written off + what is still overdue. The case opener
  keeps only the current overdue amount, not the amount placed, so the placed balance is
  rebuilt from what happened to it since; the recovery rate is cash / placed.

Money is summed per currency, never across currencies: every figure comes with its currency.
Days are read in the project's time zone (settings.TIME_ZONE): one expression per query keeps
the whole cohort in SQL, where a per-client zone would need one query per client.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from portfolio.models import MONEY, CreditNote, Payment
from recovery.models import CollectionCase

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=MONEY["max_digits"], decimal_places=MONEY["decimal_places"])
_LAST_DAY = dt.date(9999, 12, 31)


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def case_figure_expressions(prefix: str = "") -> dict[str, Expression]:
    """Per-case figures as SQL expressions, for a queryset of cases (prefix "") or of rows that
    point to a case (prefix "case__"). Add them with `.annotate(**...)`."""
    zone = _zone()
    opened = TruncDate(f"{prefix}opened_at", tzinfo=zone)
    closed = Coalesce(TruncDate(f"{prefix}closed_at", tzinfo=zone), Value(_LAST_DAY))
    return {"_c_opened": opened, "_c_closed": closed}


def _sums(prefix: str) -> dict[str, Expression]:
    client = OuterRef(f"{prefix}client_id")
    debtor = OuterRef(f"{prefix}debtor_id")
    paid = (Payment.objects.filter(client_id=client, debtor_id=debtor, reversal__isnull=True,
                                   value_date__gte=OuterRef("_c_opened"),
                                   value_date__lte=OuterRef("_c_closed"))
            .order_by().values("debtor_id").annotate(total=Sum("amount")).values("total"))
    written = (CreditNote.objects.filter(client_id=client, invoice__debtor_id=debtor,
                                         kind=CreditNote.Kind.WRITE_OFF,
                                         issue_date__gte=OuterRef("_c_opened"),
                                         issue_date__lte=OuterRef("_c_closed"))
               .order_by().values("invoice__debtor_id").annotate(total=Sum("amount"))
               .values("total"))
    lost = Q(**{f"{prefix}status": CollectionCase.Status.CLOSED,
                f"{prefix}close_reason": CollectionCase.CloseReason.WRITTEN_OFF})
    cash = Coalesce(Subquery(paid, output_field=_MONEY), Value(ZERO), output_field=_MONEY)
    written_off = Coalesce(Subquery(written, output_field=_MONEY), Value(ZERO),
                           output_field=_MONEY)
    return {
        "_c_cash": cash,
        "_c_written": written_off,
        "_c_lost": Case(When(lost, then=Value(1)), default=Value(0)),
        "_c_lost_value": Case(When(lost, then=F("_c_written")), default=Value(ZERO),
                              output_field=_MONEY),
        "_c_placed": F("_c_cash") + F("_c_written") + F(f"{prefix}overdue_amount"),
    }


def with_case_figures(queryset: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
    """`queryset` with each row's case figures annotated (see the module's definitions)."""
    return queryset.annotate(**case_figure_expressions(prefix)).annotate(**_sums(prefix))


def cohort_aggregates(prefix: str = "") -> dict[str, Any]:
    """Aggregates over rows annotated by `with_case_figures`, one row per case."""
    return {
        "cases": Count(f"{prefix}id" if prefix else "pk"),
        "cash": Sum("_c_cash"),
        "placed": Sum("_c_placed"),
        "lost": Sum("_c_lost"),
        "lost_value": Sum("_c_lost_value"),
    }


@dataclass(frozen=True)
class CohortFigures:
    """A cohort's cash recovered and customers lost, in one currency."""

    currency: str
    cases: int
    cash_recovered: Decimal
    placed_balance: Decimal
    customers_lost: int
    customers_lost_value: Decimal

    @property
    def recovery_rate(self) -> float | None:
        """Cash recovered / placed balance; None (n/a) when nothing was placed."""
        if not self.placed_balance:
            return None
        return float(self.cash_recovered / self.placed_balance)

    @property
    def lost_rate(self) -> float | None:
        return self.customers_lost / self.cases if self.cases else None


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def figures_from_row(row: dict[str, Any], currency_field: str) -> CohortFigures:
    return CohortFigures(currency=row[currency_field], cases=row["cases"],
                         cash_recovered=_money(row["cash"]), placed_balance=_money(row["placed"]),
                         customers_lost=int(row["lost"] or 0),
                         customers_lost_value=_money(row["lost_value"]))


def cohort_by(answers: QuerySet[Any], key: str | Expression | None,
              ) -> dict[object, list[CohortFigures]]:
    """The cohort behind each group of `answers` (Response rows), grouped by `key` (a field
    path or expression; None for one group), one CohortFigures per currency.

    A case answered several times in a group counts once in that group: only the group's
    first answer on each case is kept (an anti-join on earlier answers), then the per-case
    figures are summed in one GROUP BY.
    """
    key_expr: Any = Value(0) if key is None else (F(key) if isinstance(key, str) else key)
    rows = answers.filter(case__isnull=False).annotate(_g=key_expr)
    earlier = (answers.filter(case_id=OuterRef("case_id"), pk__lt=OuterRef("pk"))
               .annotate(_g=key_expr).filter(_g=OuterRef("_g")))
    firsts = with_case_figures(rows.filter(~Exists(earlier)), prefix="case__")
    grouped = (firsts.order_by().values("_g", "case__currency")
               .annotate(**cohort_aggregates("case__")))
    result: dict[object, list[CohortFigures]] = {}
    for row in grouped:
        result.setdefault(row["_g"], []).append(figures_from_row(row, "case__currency"))
    for figures in result.values():
        figures.sort(key=lambda each: each.currency)
    return result

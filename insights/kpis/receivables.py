"""Receivables KPIs (SPEC §3): AR at a date, DSO simple and count-back, best possible DSO,
average days delinquent and the collection effectiveness index.

AR at a date is rebuilt from the ledger, not read from today's open balances: the amount of
the invoices issued before the cut-off, less the allocations of payments with a value date
before it and the credit notes dated before it. Every snapshot and every month's credit sales
come from conditional SUMs, one query per ledger table for any number of dates, so a
twelve-month trend costs four queries whatever the portfolio's size.

A period [start, end) is measured at the close of its last day: "ending AR" counts events
dated before `end`; an invoice is current ("not yet due") at that close when its due date is
on or after the last day (days past due <= 0, as the aging counts them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from insights.kpis.base import Kpi, Period, Scope, add_months, money, quantize, ratio
from portfolio.models import CreditNote, Invoice, PaymentAllocation

# SPEC §3: count-back walks back at most twelve months; AR beyond them is capped and flagged.
COUNT_BACK_MONTHS = 12


@dataclass(frozen=True)
class ArSnapshot:
    """AR at the close of the day before `cutoff`: all of it, and the part not yet due."""

    cutoff: dt.date
    total: Decimal
    current: Decimal

    @property
    def past_due(self) -> Decimal:
        return self.total - self.current


def _sums(queryset: Any, field: str, conditions: dict[str, Q]) -> dict[str, Decimal]:
    if not conditions:
        return {}
    row = queryset.aggregate(**{key: Sum(field, filter=cond) for key, cond in conditions.items()})
    return {key: money(value) for key, value in row.items()}


def ar_snapshots(scope: Scope, cutoffs: list[dt.date]) -> dict[dt.date, ArSnapshot]:
    """AR (total and current) at each cut-off, in three queries."""
    invoices: dict[str, Q] = {}
    paid: dict[str, Q] = {}
    credited: dict[str, Q] = {}
    for n, cutoff in enumerate(cutoffs):
        as_of = cutoff - dt.timedelta(days=1)
        invoices[f"t{n}"] = Q(issue_date__lt=cutoff)
        invoices[f"c{n}"] = Q(issue_date__lt=cutoff, due_date__gte=as_of)
        paid[f"t{n}"] = Q(payment__value_date__lt=cutoff, invoice__issue_date__lt=cutoff)
        paid[f"c{n}"] = paid[f"t{n}"] & Q(invoice__due_date__gte=as_of)
        credited[f"t{n}"] = Q(issue_date__lt=cutoff, invoice__issue_date__lt=cutoff)
        credited[f"c{n}"] = credited[f"t{n}"] & Q(invoice__due_date__gte=as_of)
    issued = _sums(Invoice.objects.filter(client=scope.client, currency=scope.currency),
                   "amount", invoices)
    allocated = _sums(PaymentAllocation.objects.filter(client=scope.client,
                                                       invoice__currency=scope.currency),
                      "amount", paid)
    notes = _sums(CreditNote.objects.filter(client=scope.client,
                                            invoice__currency=scope.currency),
                  "amount", credited)
    return {
        cutoff: ArSnapshot(
            cutoff=cutoff,
            total=issued[f"t{n}"] - allocated[f"t{n}"] - notes[f"t{n}"],
            current=issued[f"c{n}"] - allocated[f"c{n}"] - notes[f"c{n}"],
        )
        for n, cutoff in enumerate(cutoffs)
    }


def credit_sales(scope: Scope, periods: list[Period]) -> list[Decimal]:
    """Invoiced amount (credit sales) issued in each period, in one query."""
    sums = _sums(Invoice.objects.filter(client=scope.client, currency=scope.currency), "amount",
                 {f"s{n}": Q(issue_date__gte=p.start, issue_date__lt=p.end)
                  for n, p in enumerate(periods)})
    return [sums[f"s{n}"] for n in range(len(periods))]


def count_back_months(end: dt.date) -> list[Period]:
    """The months count-back walks, latest first: the month holding the period's last day
    (cut at `end`), then the eleven calendar months before it."""
    first = (end - dt.timedelta(days=1)).replace(day=1)
    months = [Period(first, end)]
    for back in range(1, COUNT_BACK_MONTHS):
        start = add_months(first, -back)
        months.append(Period(start, add_months(start, 1)))
    return months


# --- Pure arithmetic over loaded figures --------------------------------------------------------

DSO_SIMPLE_FORMULA = _("Ending AR ÷ credit sales in the period x days in the period")
DSO_CB_FORMULA = _("From ending AR, subtract each month's credit sales (latest first) and add "
                   "its days while AR covers them; for the last month add the remaining AR ÷ "
                   "its sales x its days. Twelve months at most.")
BPDSO_FORMULA = _("Current (not yet due) AR ÷ credit sales in the period x days in the period")
BPDSO_CB_FORMULA = _("Count-back DSO computed on current (not yet due) AR")
ADD_FORMULA = _("DSO - best possible DSO, same period and variant")
CEI_FORMULA = _("(Beginning AR + credit sales - ending total AR) ÷ (beginning AR + credit "
                "sales - ending current AR) x 100, per calendar month")
CEI_AVG_FORMULA = _("Average of the monthly CEIs of the period's calendar months")

DAYS = Decimal("0.01")


def dso_simple_from(ar: Decimal, sales: Decimal, days: int) -> Kpi:
    value = ratio(ar * days, sales, places=DAYS)
    return Kpi(code="dso", name=_("DSO"), variant=_("simple"), formula=DSO_SIMPLE_FORMULA,
               unit="days", value=value, numerator=ar, denominator=sales,
               extra={"days": days})


def count_back(ar: Decimal, months: list[tuple[Decimal, int]]) -> tuple[Decimal | None, bool]:
    """Days of sales in `ar`, walking back `months` ((sales, days), latest first).

    Returns (days, capped). A month without sales adds its days and the walk goes on; AR left
    after the last month is capped (its days are not counted) and flagged. No AR: 0 days.
    """
    if ar <= 0:
        return Decimal("0.00"), False
    remaining = ar
    days = Decimal(0)
    for sales, month_days in months:
        if sales <= 0:
            days += month_days
            continue
        if remaining >= sales:
            remaining -= sales
            days += month_days
            if remaining == 0:
                return quantize(days), False
            continue
        return quantize(days + remaining / sales * month_days), False
    return quantize(days), True


def dso_count_back_from(ar: Decimal, months: list[tuple[Decimal, int]], *,
                        best: bool = False) -> Kpi:
    days, capped = count_back(ar, months)
    if not any(sales > 0 for sales, _days in months) and ar > 0:
        days = None  # no sales in twelve months: nothing to count back against
    return Kpi(code="bpdso" if best else "dso",
               name=_("Best possible DSO") if best else _("DSO"), variant=_("count-back"),
               formula=BPDSO_CB_FORMULA if best else DSO_CB_FORMULA, unit="days", value=days,
               numerator=ar, denominator=None, flags=("capped",) if capped else (),
               extra={"months": len(months)})


def bpdso_simple_from(current: Decimal, sales: Decimal, days: int) -> Kpi:
    value = ratio(current * days, sales, places=DAYS)
    return Kpi(code="bpdso", name=_("Best possible DSO"), variant=_("simple"),
               formula=BPDSO_FORMULA, unit="days", value=value, numerator=current,
               denominator=sales, extra={"days": days})


def add_from(dso: Kpi, bpdso: Kpi) -> Kpi:
    value = (None if dso.value is None or bpdso.value is None
             else quantize(dso.value - bpdso.value))
    return Kpi(code="add", name=_("Average days delinquent"), variant=dso.variant,
               formula=ADD_FORMULA, unit="days", value=value, numerator=dso.value,
               denominator=bpdso.value, flags=dso.flags)


def cei_from(begin: Decimal, sales: Decimal, end_total: Decimal, end_current: Decimal) -> Kpi:
    collected = begin + sales - end_total
    collectible = begin + sales - end_current
    value = ratio(collected * 100, collectible, places=DAYS)
    return Kpi(code="cei", name=_("CEI"), variant=_("monthly"), formula=CEI_FORMULA,
               unit="percent", value=value, numerator=collected, denominator=collectible,
               extra={"begin_ar": begin, "credit_sales": sales, "end_total_ar": end_total,
                      "end_current_ar": end_current})


def cei_average_from(monthly: list[Kpi]) -> Kpi:
    values = [kpi.value for kpi in monthly if kpi.value is not None]
    total = sum(values, Decimal(0))
    return Kpi(code="cei_avg", name=_("CEI"), variant="CEI_monthly_avg",
               formula=CEI_AVG_FORMULA, unit="percent",
               value=ratio(total, len(values), places=DAYS), numerator=quantize(total),
               denominator=len(values),
               flags=("months_without_cei",) if len(values) < len(monthly) else ())


# --- KPIs read from the database ----------------------------------------------------------------


def dso_simple(scope: Scope, period: Period) -> Kpi:
    snapshot = ar_snapshots(scope, [period.end])[period.end]
    [sales] = credit_sales(scope, [period])
    return dso_simple_from(snapshot.total, sales, period.days)


def _count_back_inputs(scope: Scope, end: dt.date) -> tuple[ArSnapshot, list[tuple[Decimal, int]]]:
    months = count_back_months(end)
    snapshot = ar_snapshots(scope, [end])[end]
    sales = credit_sales(scope, months)
    return snapshot, [(amount, month.days) for amount, month in zip(sales, months, strict=True)]


def dso_count_back(scope: Scope, period: Period) -> Kpi:
    snapshot, months = _count_back_inputs(scope, period.end)
    return dso_count_back_from(snapshot.total, months)


def best_possible_dso(scope: Scope, period: Period, *, variant: str = "simple") -> Kpi:
    if variant == "count_back":
        snapshot, months = _count_back_inputs(scope, period.end)
        return dso_count_back_from(snapshot.current, months, best=True)
    snapshot = ar_snapshots(scope, [period.end])[period.end]
    [sales] = credit_sales(scope, [period])
    return bpdso_simple_from(snapshot.current, sales, period.days)


def average_days_delinquent(scope: Scope, period: Period, *, variant: str = "simple") -> Kpi:
    if variant == "count_back":
        snapshot, months = _count_back_inputs(scope, period.end)
        return add_from(dso_count_back_from(snapshot.total, months),
                        dso_count_back_from(snapshot.current, months, best=True))
    snapshot = ar_snapshots(scope, [period.end])[period.end]
    [sales] = credit_sales(scope, [period])
    return add_from(dso_simple_from(snapshot.total, sales, period.days),
                    bpdso_simple_from(snapshot.current, sales, period.days))


def cei_monthly(scope: Scope, period: Period) -> list[Kpi]:
    """One CEI per calendar month of the period (a month cut by the period is cut alike)."""
    months = period.months()
    cutoffs = sorted({m.start for m in months} | {m.end for m in months})
    snapshots = ar_snapshots(scope, cutoffs)
    sales = credit_sales(scope, months)
    return [cei_from(snapshots[m.start].total, amount, snapshots[m.end].total,
                     snapshots[m.end].current)
            for m, amount in zip(months, sales, strict=True)]


def cei_monthly_avg(scope: Scope, period: Period) -> Kpi:
    return cei_average_from(cei_monthly(scope, period))


@dataclass(frozen=True)
class MonthFigures:
    month: Period
    ar: ArSnapshot
    sales: Decimal
    dso: Kpi
    dso_count_back: Kpi
    bpdso: Kpi
    add: Kpi
    cei: Kpi


def monthly_trend(scope: Scope, *, months: int = 12, until: dt.date) -> list[MonthFigures]:
    """The last `months` calendar months before `until` (the 1st of a month): AR, DSO both
    ways, best possible DSO, ADD and CEI, in four queries."""
    first = add_months(until, -months)
    periods = [Period(add_months(first, n), add_months(first, n + 1)) for n in range(months)]
    history = [Period(add_months(first, n), add_months(first, n + 1))
               for n in range(-COUNT_BACK_MONTHS + 1, months)]
    snapshots = ar_snapshots(scope, [first] + [p.end for p in periods])
    sales_by_month = dict(zip((p.start for p in history), credit_sales(scope, history),
                              strict=True))
    rows = []
    for period in periods:
        begin, end = snapshots[period.start], snapshots[period.end]
        sales = sales_by_month[period.start]
        back = [(sales_by_month[add_months(period.start, -k)],
                 Period(add_months(period.start, -k), add_months(period.start, 1 - k)).days)
                for k in range(COUNT_BACK_MONTHS)]
        dso = dso_simple_from(end.total, sales, period.days)
        bpdso = bpdso_simple_from(end.current, sales, period.days)
        rows.append(MonthFigures(
            month=period, ar=end, sales=sales, dso=dso,
            dso_count_back=dso_count_back_from(end.total, back), bpdso=bpdso,
            add=add_from(dso, bpdso),
            cei=cei_from(begin.total, sales, end.total, end.current)))
    return rows

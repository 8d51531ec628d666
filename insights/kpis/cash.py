"""Cash KPIs (SPEC §3): cash recovered, recovery rate by placement cohort, customers lost.

Cash recovered is the payments with a value date in the period less the reversals booked in
it (portfolio.PaymentReversal: bounced debits, returned cheques, chargebacks, refunds), gross
and net of the client's collection fee (`Client.fee_percent`, 0 for in-house collection).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils.translation import gettext_lazy as _

from insights.kpis.base import Kpi, Period, Scope, money, quantize, ratio
from portfolio.models import (
    MONEY,
    CreditNote,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentReversal,
)
from recovery.models import CollectionCase, CollectionContact

CASH_FORMULA = _("Payments with a value date in the period - reversals booked in the period")
NET_FORMULA = _("Cash recovered - the client's collection fee on it")
COHORT_FORMULA = _("Cumulative cash from the debtors of the cases opened in the month ÷ their "
                   "overdue balance when the cases opened")
LOST_FORMULA = _("Debtors with a write-off in the period, and the balance written off")
OWN_CASH_FORMULA = _("Payments in the period from debtors on cases where you recorded a contact "
                     "before the value date")
AMOUNT = DecimalField(max_digits=MONEY["max_digits"], decimal_places=MONEY["decimal_places"])


def _payments(scope: Scope, period: Period):  # type: ignore[no-untyped-def]
    return Payment.objects.filter(client=scope.client, currency=scope.currency,
                                  value_date__gte=period.start, value_date__lt=period.end)


def _reversed_in(scope: Scope, periods: list[Period]) -> list[Decimal]:
    """Reversals booked in each period (one query, on portfolio_reversal_client_day)."""
    row = PaymentReversal.objects.filter(client=scope.client, currency=scope.currency).aggregate(
        **{f"m{n}": Sum("amount", filter=Q(booked_on__gte=p.start, booked_on__lt=p.end))
           for n, p in enumerate(periods)})
    return [money(row[f"m{n}"]) for n in range(len(periods))]


def cash_recovered(scope: Scope, period: Period) -> tuple[Kpi, Kpi]:
    """(gross, net): payments less reversals, before and after the client's collection fee."""
    paid = money(_payments(scope, period).aggregate(total=Sum("amount"))["total"])
    reversed_ = _reversed_in(scope, [period])[0]
    gross = paid - reversed_
    fee_percent = scope.client.fee_percent
    fees = quantize(gross * fee_percent / 100) if gross > 0 else Decimal("0.00")
    figures = {"payments": paid, "reversals": reversed_}
    return (
        Kpi(code="cash_gross", name=_("Cash recovered"), variant=_("gross"),
            formula=CASH_FORMULA, unit="money", value=gross, numerator=gross, extra=figures),
        Kpi(code="cash_net", name=_("Cash recovered"), variant=_("net of fees"),
            formula=NET_FORMULA, unit="money", value=gross - fees, numerator=gross,
            extra={**figures, "fees": fees, "fee_percent": fee_percent}),
    )


def cash_by_month(scope: Scope, months: list[Period]) -> list[Decimal]:
    """Cash recovered (gross: payments less reversals) per period, two queries."""
    row = Payment.objects.filter(client=scope.client, currency=scope.currency).aggregate(**{
        f"m{n}": Sum("amount", filter=Q(value_date__gte=p.start, value_date__lt=p.end))
        for n, p in enumerate(months)})
    reversed_ = _reversed_in(scope, months)
    return [money(row[f"m{n}"]) - reversed_[n] for n in range(len(months))]


def agent_cash(scope: Scope, period: Period, agent: Any) -> Kpi:
    """Cash on the agent's own cases: payments from debtors the agent spoke to on a case
    before the payment's value date."""
    worked = CollectionContact.objects.filter(
        client=scope.client, agent=agent, debtor=OuterRef("debtor"),
        saved_at__date__lte=OuterRef("value_date"))
    row = (_payments(scope, period).filter(Exists(worked), reversal__isnull=True)
           .aggregate(total=Sum("amount")))
    total = money(row["total"])
    return Kpi(code="agent_cash", name=_("Cash on own cases"), variant=_("gross"),
               formula=OWN_CASH_FORMULA, unit="money", value=total, numerator=total)


def customers_lost(scope: Scope, period: Period) -> Kpi:
    """Count and value of customers lost: written off in the period (SPEC §3: the client's
    margin is reported apart, never folded in)."""
    row = CreditNote.objects.filter(
        client=scope.client, kind=CreditNote.Kind.WRITE_OFF, invoice__currency=scope.currency,
        issue_date__gte=period.start, issue_date__lt=period.end,
    ).aggregate(value=Sum("amount"), debtors=Count("invoice__debtor_id", distinct=True))
    debtors = row["debtors"]
    value = money(row["value"])
    return Kpi(code="customers_lost", name=_("Customers lost"), variant=_("written off"),
               formula=LOST_FORMULA, unit="count", value=Decimal(debtors), numerator=debtors,
               extra={"value": value})


@dataclass(frozen=True)
class Cohort:
    month: dt.date
    cases: int
    placed: Decimal
    recovered: Decimal
    kpi: Kpi


def recovery_by_cohort(scope: Scope, period: Period) -> list[Cohort]:
    """Recovery rate of each month's placement cohort (cases opened in the month).

    Placed balance: the overdue open amount of the debtor's invoices on the day the case
    opened, rebuilt from the ledger (amount less allocations and credit notes dated before
    that day). Cash: the debtor's payments from the opening day until the case closed (or
    now), cumulative.
    """
    start, end = scope.bounds(period)
    cases = (CollectionCase.objects
             .filter(client=scope.client, currency=scope.currency, opened_at__gte=start,
                     opened_at__lt=end)
             .annotate(open_day=TruncDate("opened_at", tzinfo=scope.tz),
                       close_limit=Coalesce(TruncDate("closed_at", tzinfo=scope.tz),
                                            Value(dt.date(9999, 12, 31)),
                                            output_field=DateField()),
                       cohort=TruncMonth("opened_at", tzinfo=scope.tz, output_field=DateField())))
    overdue = {"client": scope.client, "currency": scope.currency}

    def total(queryset, field: str):  # type: ignore[no-untyped-def]
        return Coalesce(Subquery(queryset.values("client").annotate(s=Sum(field)).values("s")),
                        Decimal("0"), output_field=AMOUNT)

    issued = total(Invoice.objects.filter(
        debtor=OuterRef("debtor"), due_date__lt=OuterRef("open_day"), **overdue), "amount")
    allocated = total(PaymentAllocation.objects.filter(
        invoice__debtor=OuterRef("debtor"), invoice__due_date__lt=OuterRef("open_day"),
        invoice__currency=scope.currency, client=scope.client,
        payment__value_date__lt=OuterRef("open_day")), "amount")
    credited = total(CreditNote.objects.filter(
        invoice__debtor=OuterRef("debtor"), invoice__due_date__lt=OuterRef("open_day"),
        invoice__currency=scope.currency, client=scope.client,
        issue_date__lt=OuterRef("open_day")), "amount")
    cash = total(Payment.objects.filter(
        debtor=OuterRef("debtor"), client=scope.client, currency=scope.currency,
        reversal__isnull=True,
        value_date__gte=OuterRef("open_day"), value_date__lt=OuterRef("close_limit")), "amount")
    rows = (cases.annotate(placed=issued - allocated - credited, cash=cash)
            .values("cohort").annotate(n=Count("id"), placed_sum=Sum("placed"),
                                       cash_sum=Sum("cash"))
            .order_by("cohort"))
    cohorts = []
    for row in rows:
        placed, recovered = money(row["placed_sum"]), money(row["cash_sum"])
        cohort_day = row["cohort"]
        if isinstance(cohort_day, dt.datetime):
            cohort_day = cohort_day.date()
        cohorts.append(Cohort(
            month=cohort_day, cases=row["n"], placed=placed, recovered=recovered,
            kpi=Kpi(code="recovery_rate", name=_("Recovery rate"),
                    variant=_("by placement cohort"), formula=COHORT_FORMULA, unit="percent",
                    value=ratio(recovered * 100, placed, places=Decimal("0.01")),
                    numerator=recovered, denominator=placed)))
    return cohorts

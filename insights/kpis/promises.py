"""Promise-to-pay kept rate (SPEC §3).

A promise is judged by recovery's evaluator once its grace days have passed: kept when the
payments between its creation and promised date + grace reach amount x threshold, partially
kept below that but above 0, broken at 0. The rate counts the promises that fell due in the
period (promised date in [start, end)) and were judged; cancelled and superseded ones are
reported apart, and the ones not judged yet are counted as pending, in neither.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Least
from django.utils.translation import gettext_lazy as _

from insights.kpis.base import Kpi, Period, Scope, money, ratio
from recovery.models import PromiseToPay

Status = PromiseToPay.Status


def promise_kept(scope: Scope, period: Period, agent: Any = None) -> dict[str, Kpi]:
    promises = PromiseToPay.objects.filter(client=scope.client, currency=scope.currency,
                                           promised_date__gte=period.start,
                                           promised_date__lt=period.end)
    if agent is not None:
        promises = promises.filter(created_by=agent)
    judged = Q(status__in=PromiseToPay.EVALUATED)
    row = promises.aggregate(
        kept=Count("id", filter=Q(status=Status.KEPT)),
        partial=Count("id", filter=Q(status=Status.PARTIALLY_KEPT)),
        broken=Count("id", filter=Q(status=Status.BROKEN)),
        cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
        superseded=Count("id", filter=Q(status=Status.SUPERSEDED)),
        pending=Count("id", filter=Q(status=Status.PENDING)),
        promised=Sum("amount", filter=judged),
        paid=Sum(Least("paid_amount", "amount"), filter=judged),
    )
    judged_count = row["kept"] + row["partial"] + row["broken"]
    promised, paid = money(row["promised"]), money(row["paid"])
    counts = {key: row[key] for key in ("kept", "partial", "broken", "cancelled", "superseded",
                                        "pending")}
    return {
        "by_count": Kpi(
            code="promise_kept_rate", name=_("Promise-kept rate"), variant=_("by count"),
            formula=_("Kept ÷ (kept + partially kept + broken) promises that fell due in the "
                      "period x 100; cancelled and superseded apart"),
            unit="percent", value=ratio(row["kept"], judged_count, scale=100,
                                        places=Decimal("0.01")),
            numerator=row["kept"], denominator=judged_count, extra=counts),
        "by_amount": Kpi(
            code="promise_kept_rate", name=_("Promise-kept rate"), variant=_("by amount"),
            formula=_("Σ min(paid, promised) ÷ Σ promised over judged promises that fell due "
                      "in the period x 100"),
            unit="percent", value=ratio(paid, promised, scale=100, places=Decimal("0.01")),
            numerator=paid, denominator=promised, extra=counts),
    }

"""Aging of open balances (SPEC §3): days past due = as_of - due_date, buckets current (<= 0),
1-30, 31-60, 61-90, 91-120, 121-180, 181+, disputed amounts in their own column. The balance
is the invoice's open amount after partial payments and credit notes.

The buckets are portfolio's (`portfolio.selectors.AGING_BUCKETS`), so the debtor page and the
dashboards never disagree about a boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import WithAnnotations

from insights.kpis.base import KpiInputError, Scope, money
from portfolio.models import Debtor, Invoice
from portfolio.selectors import AGING_BUCKETS

DISPUTED = "disputed"
BUCKET_LABELS = {
    "current": _("Current"), "d1_30": "1-30", "d31_60": "31-60", "d61_90": "61-90",
    "d91_120": "91-120", "d121_180": "121-180", "d181_plus": "181+", DISPUTED: _("Disputed"),
}
BUCKET_KEYS = [key for key, _low, _high in AGING_BUCKETS] + [DISPUTED]
PAYABLE = [Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID]
AGING_FORMULA = _("Open balance after payments and credit notes, by days past due "
                  "(as-of date - due date); disputed invoices apart")


def bucket_condition(as_of: dt.date, key: str, prefix: str = "") -> Q:
    """The invoices of one bucket, as due-date bounds (the open-due index serves them).
    `prefix` reaches the invoice from another model ("invoices__" from a debtor)."""
    if key == DISPUTED:
        return Q(**{f"{prefix}status": Invoice.Status.DISPUTED})
    for name, low, high in AGING_BUCKETS:
        if name == key:
            condition = Q(**{f"{prefix}status__in": PAYABLE})
            if low is not None:
                condition &= Q(**{f"{prefix}due_date__lte": as_of - dt.timedelta(days=low)})
            if high is not None:
                condition &= Q(**{f"{prefix}due_date__gte": as_of - dt.timedelta(days=high)})
            return condition
    raise KpiInputError(_("Unknown aging bucket: %(key)s.") % {"key": key})


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    amount: Decimal
    invoices: int
    debtors: int


def _open(scope: Scope) -> QuerySet[Invoice]:
    return Invoice.objects.filter(client=scope.client, currency=scope.currency,
                                  status__in=[*PAYABLE, Invoice.Status.DISPUTED])


def aging(scope: Scope, *, as_of: dt.date) -> list[Bucket]:
    """Every bucket with its open amount, invoices and debtors: one aggregate query."""
    aggregates: dict[str, Sum | Count] = {}
    for key in BUCKET_KEYS:
        condition = bucket_condition(as_of, key)
        aggregates[f"{key}__a"] = Sum("open_balance", filter=condition)
        aggregates[f"{key}__i"] = Count("id", filter=condition)
        aggregates[f"{key}__d"] = Count("debtor_id", filter=condition, distinct=True)
    row = _open(scope).aggregate(**aggregates)
    return [Bucket(key=key, label=str(BUCKET_LABELS[key]), amount=money(row[f"{key}__a"]),
                   invoices=row[f"{key}__i"], debtors=row[f"{key}__d"])
            for key in BUCKET_KEYS]


class BucketFigures(TypedDict):
    bucket_amount: Decimal
    bucket_invoices: int


def aging_debtors(scope: Scope, *, as_of: dt.date, key: str,
                  limit: int = 200) -> QuerySet[WithAnnotations[Debtor, BucketFigures]]:
    """The drill-down: the debtors with invoices in one bucket, largest balance first."""
    condition = bucket_condition(as_of, key, "invoices__") & Q(invoices__currency=scope.currency)
    return (Debtor.objects.filter(client=scope.client).filter(condition)
            .annotate(bucket_amount=Sum("invoices__open_balance"),
                      bucket_invoices=Count("invoices__id"))
            .order_by("-bucket_amount", "name", "id")[:limit])

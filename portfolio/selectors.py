"""Read queries for the portfolio, all scoped by access.scoping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from portfolio.models import Client, Debtor, ImportJob, Invoice, Payment

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))

# SPEC §3 aging buckets: (key, lowest days past due, highest days past due or None).
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("d1_30", 1, 30),
    ("d31_60", 31, 60),
    ("d61_90", 61, 90),
    ("d91_120", 91, 120),
    ("d121_180", 121, 180),
    ("d181_plus", 181, None),
)
UNSETTLED = [Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID, Invoice.Status.DISPUTED]


def _bucket_condition(as_of: dt.date, low: int | None, high: int | None) -> Q:
    """days_past_due = as_of - due_date, written as due-date bounds so the index serves it."""
    condition = Q()
    if low is not None:  # as_of - due >= low  <=>  due <= as_of - low
        condition &= Q(due_date__lte=as_of - dt.timedelta(days=low))
    if high is not None:  # as_of - due <= high  <=>  due >= as_of - high
        condition &= Q(due_date__gte=as_of - dt.timedelta(days=high))
    return condition


@dataclass(frozen=True)
class AgingRow:
    currency: str
    buckets: dict[str, Decimal]
    disputed: Decimal
    total: Decimal
    invoice_count: int


def aging_summary(invoices: QuerySet[Invoice], *, as_of: dt.date) -> list[AgingRow]:
    """Open balances by SPEC §3 bucket, one row per currency (money is never summed across
    currencies), disputed amounts in their own column. One SQL aggregate query."""
    aggregates: dict[str, Any] = {
        key: Coalesce(Sum("open_balance", filter=_bucket_condition(as_of, low, high)
                          & ~Q(status=Invoice.Status.DISPUTED)), ZERO)
        for key, low, high in AGING_BUCKETS
    }
    aggregates["disputed"] = Coalesce(
        Sum("open_balance", filter=Q(status=Invoice.Status.DISPUTED)), ZERO)
    aggregates["total"] = Coalesce(Sum("open_balance"), ZERO)
    aggregates["invoice_count"] = Count("id")
    # The buckets' keys are built above, so the rows' keys are known only at run time.
    rows: Iterable[Mapping[str, Any]] = (
        invoices.filter(status__in=UNSETTLED).values("currency").annotate(**aggregates)
        .order_by("currency"))
    return [
        AgingRow(
            currency=row["currency"],
            buckets={key: row[key] for key, _low, _high in AGING_BUCKETS},
            disputed=row["disputed"],
            total=row["total"],
            invoice_count=row["invoice_count"],
        )
        for row in rows
    ]


def client_list(*, user: AnyUser) -> QuerySet[Client]:
    return scope_to_user(Client.objects.all(), user, client_field="pk").order_by("name")


def client_get_for_user(*, user: AnyUser, pk: object) -> Client:
    return object_get_for_user(Client.objects.all(), user, client_field="pk", pk=pk)


def debtor_list(*, user: AnyUser, client: Client | None = None,
                search: str = "") -> QuerySet[Debtor]:
    queryset = scope_to_user(Debtor.objects.select_related("client"), user)
    if client is not None:
        queryset = queryset.filter(client=client)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(external_ref=search)
                                   | Q(vat_number=search) | Q(tax_code=search))
    return queryset.annotate(
        open_balance=Coalesce(Sum("invoices__open_balance",
                                  filter=Q(invoices__status__in=UNSETTLED)), ZERO),
    ).order_by("name", "id")


def debtor_get_for_user(*, user: AnyUser, pk: object) -> Debtor:
    return object_get_for_user(Debtor.objects.select_related("client"), user, pk=pk)


def invoice_list(*, user: AnyUser, client: Client | None = None,
                 debtor: Debtor | None = None) -> QuerySet[Invoice]:
    queryset = scope_to_user(Invoice.objects.select_related("debtor", "client"), user)
    if client is not None:
        queryset = queryset.filter(client=client)
    if debtor is not None:
        queryset = queryset.filter(debtor=debtor)
    return queryset


def invoice_get_for_user(*, user: AnyUser, pk: object) -> Invoice:
    return object_get_for_user(Invoice.objects.select_related("debtor", "client"), user, pk=pk)


def payment_list(*, user: AnyUser, debtor: Debtor | None = None) -> QuerySet[Payment]:
    queryset = scope_to_user(Payment.objects.select_related("debtor", "client"), user)
    if debtor is not None:
        queryset = queryset.filter(debtor=debtor)
    return queryset


def import_job_list(*, user: AnyUser) -> QuerySet[ImportJob]:
    return scope_to_user(ImportJob.objects.select_related("client", "created_by"), user)


def import_job_get_for_user(*, user: AnyUser, pk: object) -> ImportJob:
    return object_get_for_user(ImportJob.objects.select_related("client"), user, pk=pk)

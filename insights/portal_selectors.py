"""Reads behind the client portal: a client's own portfolio as its users may see it.

Every queryset starts from access.scoping (the client is fetched for the user first, then every
figure filters on that client), so a client viewer never reaches another client's rows. Figures
are SQL aggregates over the whole client, one query per group of figures, so the home page costs
a fixed number of queries whatever the size of the portfolio (tests/insights/test_portal.py
counts them; bench/client_portal.py times them on 1,000,000 invoices).

Conventions of SPEC §3: periods are half-open `[start, end)`, money is grouped by currency and
never summed across currencies, NPS is transactional only and carries its n and interval.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from experience.models import Response, nps_counts
from experience.stats import NpsSummary, nps_summary
from portfolio.models import Client, Debtor, Invoice, Payment
from portfolio.selectors import UNSETTLED, ZERO, AgingRow, aging_summary
from recovery import workspace
from recovery.models import CollectionCase, Dispute, PaymentPlan, PromiseToPay

PAGE_SIZE = 50
# Pending promises falling due within this many days (or already due and not judged yet)
# count as "promises due" on the home page.
PROMISES_DUE_DAYS = 7
# Months of history on the recovery chart and table.
MONTHS = 12
ZERO_MONEY = Decimal("0.00")


# --- The client ------------------------------------------------------------------------------

def portal_clients(*, user: AnyUser) -> QuerySet[Client]:
    """The clients whose portal the user may open (a client viewer: its own)."""
    return scope_to_user(Client.objects.all(), user, client_field="pk").order_by("name", "id")


def portal_client_get(*, user: AnyUser, pk: object | None) -> Client:
    """The client named by `?client=`, or the user's first one; 404 for any other client
    (never 403: that would confirm the other client exists)."""
    if pk not in (None, ""):
        return object_get_for_user(Client.objects.all(), user, client_field="pk", pk=pk)
    client = portal_clients(user=user).first()
    if client is None:
        from django.http import Http404

        raise Http404
    return client


# --- Status tiles ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Money:
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Tiles:
    open_balance: list[Money]
    overdue: list[Money]
    overdue_invoices: int
    cases_open: int
    cash_30: list[Money]
    cash_90: list[Money]
    promises_due: int
    promises_due_amount: list[Money]
    plans_active: int
    disputes_pending: int


def _by_currency(rows: list[Any], key: str) -> list[Money]:
    return [Money(row["currency"], row[key]) for row in rows if row[key]]


def portal_tiles(*, client: Client, as_of: dt.date) -> Tiles:
    """The home page's status figures for one client (6 queries)."""
    invoices = list(
        Invoice.objects.filter(client=client, status__in=UNSETTLED)
        .values("currency")
        .annotate(
            open_total=Coalesce(Sum("open_balance"), ZERO),
            # Overdue as in the aging table: past due, disputed amounts apart.
            overdue=Coalesce(Sum("open_balance", filter=Q(due_date__lt=as_of)
                                 & ~Q(status=Invoice.Status.DISPUTED)), ZERO),
            overdue_invoices=Count("id", filter=Q(due_date__lt=as_of)
                                   & ~Q(status=Invoice.Status.DISPUTED)),
        )
        .order_by("currency")
    )
    end = as_of + dt.timedelta(days=1)
    payments = list(
        Payment.objects.filter(client=client, value_date__gte=end - dt.timedelta(days=90),
                               value_date__lt=end, reversal__isnull=True)
        .values("currency")
        .annotate(
            cash_30=Coalesce(Sum("amount", filter=Q(
                value_date__gte=end - dt.timedelta(days=30))), ZERO),
            cash_90=Coalesce(Sum("amount"), ZERO),
        )
        .order_by("currency")
    )
    cases_open = CollectionCase.objects.filter(
        client=client, status=CollectionCase.Status.OPEN).count()
    promises = list(
        PromiseToPay.objects.filter(
            client=client, status=PromiseToPay.Status.PENDING,
            promised_date__lt=as_of + dt.timedelta(days=PROMISES_DUE_DAYS))
        .values("currency").annotate(n=Count("id"), total=Coalesce(Sum("amount"), ZERO))
        .order_by("currency")
    )
    plans_active = PaymentPlan.objects.filter(
        client=client, status=PaymentPlan.Status.ACTIVE).count()
    disputes_pending = Dispute.objects.filter(client=client, status=Dispute.Status.OPEN).count()
    return Tiles(
        open_balance=_by_currency(invoices, "open_total"),
        overdue=_by_currency(invoices, "overdue"),
        overdue_invoices=sum(row["overdue_invoices"] for row in invoices),
        cases_open=cases_open,
        cash_30=_by_currency(payments, "cash_30"),
        cash_90=_by_currency(payments, "cash_90"),
        promises_due=sum(row["n"] for row in promises),
        promises_due_amount=_by_currency(promises, "total"),
        plans_active=plans_active,
        disputes_pending=disputes_pending,
    )


def portal_aging(*, client: Client, as_of: dt.date) -> list[AgingRow]:
    """SPEC §3 aging of the client's open invoices, one row per currency (1 query)."""
    return aging_summary(Invoice.objects.filter(client=client), as_of=as_of)


# --- Recovery and transactional NPS by month --------------------------------------------------

@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    cash: list[Money]
    nps: NpsSummary


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _transactional(client: Client) -> QuerySet[Response]:
    # Transactional answers only: the three kinds of the Net Promoter System are never
    # combined (SPEC §4), and the portal shows the one read right after a contact.
    return Response.objects.filter(client=client, kind="transactional")


_NPS_KEYS = ("promoters", "passives", "detractors")


def portal_months(*, client: Client, as_of: dt.date, months: int = MONTHS) -> list[MonthRow]:
    """Cash recovered (payments by value date, less those reversed) and transactional NPS per
    calendar month in the client's reporting time zone, the oldest month first, the current
    month last (2 queries)."""
    first = _month_start(as_of, months - 1)
    end = as_of + dt.timedelta(days=1)
    zone = ZoneInfo(client.reporting_timezone)
    cash_rows = (Payment.objects.filter(client=client, value_date__gte=first, value_date__lt=end,
                                        reversal__isnull=True)
                 .annotate(month=TruncMonth("value_date")).values("month", "currency")
                 .annotate(total=Sum("amount")).order_by("month", "currency"))
    cash: dict[dt.date, list[Money]] = {}
    for row in cash_rows:
        cash.setdefault(row["month"], []).append(Money(row["currency"], row["total"]))
    start_at = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end_at = dt.datetime.combine(end, dt.time(), tzinfo=zone)
    nps_rows = (_transactional(client).filter(answered_at__gte=start_at, answered_at__lt=end_at)
                .annotate(month=TruncMonth("answered_at", tzinfo=zone)).values("month")
                .annotate(**nps_counts()).order_by("month"))
    nps = {_as_date(row["month"]): nps_summary(**{key: row[key] for key in _NPS_KEYS})
           for row in nps_rows.values("month", *_NPS_KEYS)}
    rows = []
    for back in range(months - 1, -1, -1):
        month = _month_start(as_of, back)
        rows.append(MonthRow(month, cash.get(month, []), nps.get(month, nps_summary())))
    return rows


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def portal_nps(*, client: Client, as_of: dt.date, days: int) -> NpsSummary:
    """Transactional NPS of the answers of the last `days` days, up to the end of `as_of` in
    the client's reporting time zone (1 query)."""
    zone = ZoneInfo(client.reporting_timezone)
    end_at = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    counts = _transactional(client).filter(
        answered_at__gte=end_at - dt.timedelta(days=days), answered_at__lt=end_at,
    ).aggregate(**nps_counts())
    return nps_summary(**counts)


# --- Debtors ---------------------------------------------------------------------------------

class DebtorStatus:
    """The debtor list's status filter: value -> label (labels in portal_views)."""

    ALL = ""
    OVERDUE = "overdue"
    IN_COLLECTION = "in_collection"
    DISPUTED = "disputed"
    SETTLED = "settled"
    VALUES = (ALL, OVERDUE, IN_COLLECTION, DISPUTED, SETTLED)


def portal_debtor_list(*, client: Client, search: str = "", status: str = "",
                       as_of: dt.date) -> QuerySet[Debtor]:
    """The client's debtors by name, filtered; balances are added per page by
    `portal_debtor_balances` (summing every debtor's invoices before paging would read the
    whole ledger for 50 rows)."""
    debtors = Debtor.objects.filter(client=client)
    if search:
        debtors = debtors.filter(Q(name__icontains=search) | Q(external_ref=search)
                                 | Q(vat_number=search) | Q(tax_code=search))
    unsettled = Invoice.objects.filter(debtor=OuterRef("pk"), status__in=UNSETTLED)
    if status == DebtorStatus.OVERDUE:
        debtors = debtors.filter(Exists(unsettled.filter(due_date__lt=as_of)
                                        .exclude(status=Invoice.Status.DISPUTED)))
    elif status == DebtorStatus.IN_COLLECTION:
        debtors = debtors.filter(Exists(CollectionCase.objects.filter(
            debtor=OuterRef("pk"), status=CollectionCase.Status.OPEN)))
    elif status == DebtorStatus.DISPUTED:
        debtors = debtors.filter(Exists(Dispute.objects.filter(
            debtor=OuterRef("pk"), status=Dispute.Status.OPEN)))
    elif status == DebtorStatus.SETTLED:
        debtors = debtors.filter(~Exists(unsettled))
    return debtors.order_by("name", "id")


@dataclass(frozen=True)
class DebtorBalance:
    open_balance: list[Money]
    overdue: list[Money]


def portal_debtor_balances(*, debtor_ids: list[int], as_of: dt.date) -> dict[int, DebtorBalance]:
    """Open and overdue balances of the listed debtors, by currency (1 query)."""
    rows = (Invoice.objects.filter(debtor_id__in=debtor_ids, status__in=UNSETTLED)
            .values("debtor_id", "currency")
            .annotate(open_total=Coalesce(Sum("open_balance"), ZERO),
                      overdue=Coalesce(Sum("open_balance", filter=Q(due_date__lt=as_of)
                                           & ~Q(status=Invoice.Status.DISPUTED)), ZERO))
            .order_by("debtor_id", "currency"))
    balances: dict[int, DebtorBalance] = {}
    for row in rows:
        entry = balances.setdefault(row["debtor_id"], DebtorBalance([], []))
        entry.open_balance.append(Money(row["currency"], row["open_total"]))
        if row["overdue"]:
            entry.overdue.append(Money(row["currency"], row["overdue"]))
    return balances


def portal_debtor_get(*, user: AnyUser, client: Client, pk: object) -> Debtor:
    return object_get_for_user(Debtor.objects.filter(client=client).select_related("client"),
                               user, pk=pk)


@dataclass
class DebtorSituation:
    debtor: Debtor
    aging: list[AgingRow]
    invoices: list[workspace.OverdueInvoice]
    story: list[workspace.StoryEntry]
    agreements: workspace.Agreements
    case: CollectionCase | None


def portal_debtor_situation(*, user: AnyUser, debtor: Debtor, as_of: dt.date) -> DebtorSituation:
    """One debtor as the client sees it: balances, unpaid invoices, the contact story and the
    agreements. The story is the collections desk's (recovery.workspace) with every staff-only
    field removed whoever reads it: the portal shows what the client may see, no more."""
    story = [dataclasses.replace(entry, notes="", mood="", empathy=[], handle_seconds=None)
             for entry in workspace.debtor_story(user=user, debtor=debtor)]
    case = (workspace.pending_cases(user=user).filter(debtor=debtor)
            .only("id", "stage", "overdue_amount", "currency", "opened_at").first())
    return DebtorSituation(
        debtor=debtor,
        aging=aging_summary(Invoice.objects.filter(client_id=debtor.client_id, debtor=debtor),
                            as_of=as_of),
        invoices=workspace.debtor_invoices(user=user, debtor=debtor, today=as_of),
        story=story,
        agreements=workspace.debtor_agreements(user=user, debtor=debtor),
        case=case,
    )


# --- Promises, plans, disputes ---------------------------------------------------------------

def portal_promise_list(*, client: Client, status: str = "") -> QuerySet[PromiseToPay]:
    promises = PromiseToPay.objects.filter(client=client).select_related("debtor")
    if status:
        promises = promises.filter(status=status)
    return promises.order_by("-promised_date", "-id")


def portal_plan_list(*, client: Client, status: str = "") -> QuerySet[PaymentPlan]:
    plans = (PaymentPlan.objects.filter(client=client).select_related("debtor")
             .annotate(instalment_count=Count("instalments"),
                       paid=Coalesce(Sum("instalments__paid_amount"), ZERO),
                       next_due=_next_instalment_due()))
    if status:
        plans = plans.filter(status=status)
    return plans.order_by("-created_at", "-id")


def _next_instalment_due() -> Any:
    from django.db.models import Min

    return Min("instalments__due_date", filter=Q(instalments__status="pending"))


def portal_dispute_list(*, client: Client, status: str = "") -> QuerySet[Dispute]:
    disputes = (Dispute.objects.filter(client=client).select_related("debtor")
                .annotate(invoice_count=Count("links", output_field=IntegerField()),
                          disputed_amount=Coalesce(Sum("links__amount"), ZERO)))
    if status:
        disputes = disputes.filter(status=status)
    return disputes.order_by("-opened_at", "-id")


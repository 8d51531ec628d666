"""The staffing forecast: calls per day for the next four weeks and the agents they need.

Demand is counted per day in the desk's time zone, from the work already in the database:
- courtesy calls planned by caring (their planned day);
- open, not held collection cases (the day of their next action; due now or unset: today);
- callbacks promised to debtors (their due day);
- promises to pay falling due (their promised day: the day to check and call);
and from the work the ledger will bring (projections, so fractions are kept until the day's
total is rounded):
- courtesy calls caring will plan: invoices not yet assigned to a policy, on the day their
  window opens (the policy's business days before the due date), by the planner's own
  eligibility rules, one call per debtor and day, less the policy's control share;
- new collection cases: debtors without an open case whose invoice falls due, on the first day
  it is overdue, weighted by how often the debtor paid late over the last year (late or
  unsettled invoices + 1) / (invoices + 2), so a debtor without history counts one half.
Work already late counts on the first day; work falling on a weekend or a public holiday of the
client's country moves to its next business day, as the desk does not call then.

Agents per day come from Erlang C (A. K. Erlang, 1917; the contact-centre textbook formula):
the calls of a day spread evenly over its opening hours give the traffic in Erlangs
A = calls per hour x AHT / 3600; the agents on the phone are the fewest N > A whose service level
1 - C(N, A) x exp(-(N - A) x T / AHT) reaches the target for answer time T; the agents to roster
are N / (1 - shrinkage), rounded up (breaks, training, absence). No maintained Erlang library is
installed, so the formula is written here, small, and tested against the textbook's figures.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from access.scoping import AnyUser, scope_to_user
from caring.models import CaringAssignment, CaringPolicy, CourtesyCall
from caring.planning import PAYABLE, eligible_invoices
from caring.windows import is_business_day, window_end, window_opens
from portfolio.models import Client, Invoice, PaymentAllocation
from recovery.models import Callback, CollectionCase, PromiseToPay

DAYS = 28
# Enough agents for any realistic day; beyond it the assumptions are wrong, not the staff.
MAX_AGENTS = 10_000


# --- Erlang C ---------------------------------------------------------------------------------

def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a call waits, with `agents` agents and `traffic` Erlangs offered.

    Through the Erlang B recursion, which stays stable for thousands of agents (the factorial
    form overflows): B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)); C = N B / (N - A (1 - B)).
    With N <= A the queue grows without end: every call waits (1.0).
    """
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(agents: int, traffic: float, *, aht_seconds: float,
                  answer_seconds: float) -> float:
    """The share of calls answered within `answer_seconds`."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waiting = erlang_c(agents, traffic)
    return 1 - waiting * math.exp(-(agents - traffic) * answer_seconds / aht_seconds)


def agents_needed(calls_per_hour: float, *, aht_seconds: float, target: float,
                  answer_seconds: float) -> int:
    """The fewest agents on the phone that answer `target` (0-1) of the calls within
    `answer_seconds`; 0 without calls."""
    traffic = calls_per_hour * aht_seconds / 3600
    if traffic <= 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while (service_level(agents, traffic, aht_seconds=aht_seconds,
                         answer_seconds=answer_seconds) < target and agents < MAX_AGENTS):
        agents += 1
    return agents


# --- The forecast -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Assumptions:
    aht_seconds: int = 240  # DOMAIN.md: handling target about 4 minutes
    service_level: float = 0.80  # DOMAIN.md: good above 80%
    answer_seconds: int = 20  # SPEC §3: service level at T = 20 s
    hours_per_day: float = 8.0
    shrinkage: float = 0.30


@dataclass(frozen=True)
class StaffingDay:
    day: dt.date
    open: bool  # a business day for at least one of the clients
    courtesy_planned: int
    courtesy_projected: int
    cases: int
    new_cases: int
    callbacks: int
    promises: int
    agents_on_phone: int
    agents_rostered: int
    service_level: float | None

    @property
    def courtesy_calls(self) -> int:
        return self.courtesy_planned + self.courtesy_projected

    @property
    def calls(self) -> int:
        return self.courtesy_calls + self.cases + self.new_cases + self.callbacks + self.promises


# Work per (client id, day), before it is moved to the client's business days.
ClientDays = dict[tuple[int, dt.date], float]
YEAR = dt.timedelta(days=365)


def _per_client_day(queryset: QuerySet[Any], day_expression: Any) -> ClientDays:
    """Rows per client and day (one query)."""
    rows = (queryset.annotate(day=day_expression).values("client_id", "day")
            .annotate(n=Count("id")).order_by())
    return {(row["client_id"], row["day"]): float(row["n"]) for row in rows}


class _Calendar:
    """Moves each client's work to the first business day on or after it (and after today)."""

    def __init__(self, countries: dict[int, str], today: dt.date, end: dt.date) -> None:
        self.countries = countries
        self.today = today
        self.end = end

    def first_business_day(self, client_id: int, day: dt.date | None) -> dt.date:
        country = self.countries.get(client_id, "")
        day = day if day is not None and day > self.today else self.today
        while not is_business_day(day, country) and day < self.end:
            day += dt.timedelta(days=1)
        return day

    def spread(self, work: ClientDays) -> dict[dt.date, float]:
        per_day: dict[dt.date, float] = {}
        for (client_id, day), amount in work.items():
            moved = self.first_business_day(client_id, day)
            if moved < self.end:
                per_day[moved] = per_day.get(moved, 0.0) + amount
        return per_day

    def is_open(self, day: dt.date) -> bool:
        return any(is_business_day(day, country) for country in set(self.countries.values()))


def _courtesy_projected(policies: QuerySet[CaringPolicy], calendar: _Calendar) -> ClientDays:
    """Calls caring will plan in the horizon for invoices no policy has taken yet (one query a
    policy): the planner's eligibility, on the day each invoice's window opens."""
    work: ClientDays = {}
    for policy in policies.select_related("client"):
        country = policy.client.country
        last_due = window_end(calendar.end - dt.timedelta(days=1), policy.days_before_due, country)
        rows = (eligible_invoices(policy, calendar.today, due_until=last_due)
                .exclude(Exists(CaringAssignment.objects.filter(invoice_id=OuterRef("pk"))))
                .order_by().values("due_date")
                .annotate(debtors=Count("debtor_id", distinct=True)))
        called_share = 1 - float(policy.control_share)
        for row in rows:
            opens = window_opens(row["due_date"], policy.days_before_due, country)
            key = (policy.client_id, opens)
            work[key] = work.get(key, 0.0) + row["debtors"] * called_share
    return work


def _late_history(today: dt.date) -> tuple[Subquery, Subquery]:
    """The debtor's invoices due in the year before today, and those of them paid late or not
    at all (one index range each: portfolio_invoice_debtor_due)."""
    due_last_year = Invoice.objects.filter(debtor_id=OuterRef("debtor_id"),
                                           due_date__gte=today - YEAR, due_date__lt=today)
    # The settlement date is kept by PostgreSQL triggers; where it is unknown (SQLite, older
    # rows) an invoice paid on time is one no payment dated after its due date went to.
    paid_after_due = PaymentAllocation.objects.filter(
        invoice_id=OuterRef("pk"), payment__value_date__gt=OuterRef("due_date"))
    on_time = Q(status=Invoice.Status.PAID) & (
        Q(last_settlement_on__lte=F("due_date"))
        | Q(last_settlement_on__isnull=True) & ~Exists(paid_after_due))

    def counted(invoices: QuerySet[Invoice]) -> Subquery:
        return Subquery(invoices.order_by().values("debtor_id").annotate(n=Count("id"))
                        .values("n")[:1], output_field=IntegerField())

    return counted(due_last_year), counted(due_last_year.exclude(on_time))


def _new_cases_projected(invoices: QuerySet[Invoice], calendar: _Calendar) -> ClientDays:
    """Cases the opener will open in the horizon, weighted by each debtor's late history."""
    total, late = _late_history(calendar.today)
    rows = (invoices.filter(status__in=PAYABLE, open_balance__gt=0,
                            due_date__gte=calendar.today, due_date__lt=calendar.end)
            .exclude(Exists(CollectionCase.objects.filter(
                debtor_id=OuterRef("debtor_id"), status=CollectionCase.Status.OPEN)))
            .exclude(debtor__do_not_call=True).exclude(debtor__deceased=True)
            .exclude(debtor__processing_restricted=True)
            .order_by().values("client_id", "debtor_id")
            .annotate(first_due=Min("due_date"), total=total, late=late))
    work: ClientDays = {}
    for row in rows.iterator(chunk_size=5000):
        likelihood = ((row["late"] or 0) + 1) / ((row["total"] or 0) + 2)
        key = (row["client_id"], row["first_due"] + dt.timedelta(days=1))
        work[key] = work.get(key, 0.0) + likelihood
    return work


def _day(day: dt.date, is_open: bool, counts: dict[str, int],
         assumptions: Assumptions) -> StaffingDay:
    total = sum(counts.values())
    per_hour = total / assumptions.hours_per_day
    on_phone = agents_needed(per_hour, aht_seconds=assumptions.aht_seconds,
                             target=assumptions.service_level,
                             answer_seconds=assumptions.answer_seconds)
    traffic = per_hour * assumptions.aht_seconds / 3600
    return StaffingDay(
        day=day, open=is_open, **counts, agents_on_phone=on_phone,
        agents_rostered=math.ceil(on_phone / (1 - assumptions.shrinkage)) if on_phone else 0,
        service_level=service_level(on_phone, traffic, aht_seconds=assumptions.aht_seconds,
                                    answer_seconds=assumptions.answer_seconds)
        if total else None,
    )


def staffing_forecast(*, user: AnyUser, assumptions: Assumptions,
                      today: dt.date | None = None, days: int = DAYS) -> list[StaffingDay]:
    """The next `days` days from `today`, for the clients the user sees."""
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    end = today + dt.timedelta(days=days)
    horizon_end = dt.datetime.combine(end, dt.time(), tzinfo=zone)
    calendar = _Calendar(dict(scope_to_user(Client.objects.all(), user, client_field="pk")
                              .values_list("id", "country")), today, end)
    work = {
        "courtesy_planned": _per_client_day(scope_to_user(CourtesyCall.objects.filter(
            status__in=[CourtesyCall.Status.PLANNED, CourtesyCall.Status.IN_PROGRESS],
            window_date__lt=end), user), F("window_date")),
        "courtesy_projected": _courtesy_projected(scope_to_user(
            CaringPolicy.objects.filter(active=True), user), calendar),
        "cases": _per_client_day(
            scope_to_user(CollectionCase.objects.filter(status=CollectionCase.Status.OPEN,
                                                        on_hold=False), user)
            .exclude(next_action_at__gte=horizon_end),
            TruncDate("next_action_at", tzinfo=zone)),
        "new_cases": _new_cases_projected(scope_to_user(Invoice.objects.all(), user), calendar),
        "callbacks": _per_client_day(scope_to_user(Callback.objects.filter(
            status=Callback.Status.PENDING, due_at__lt=horizon_end), user),
            TruncDate("due_at", tzinfo=zone)),
        "promises": _per_client_day(scope_to_user(PromiseToPay.objects.filter(
            status=PromiseToPay.Status.PENDING, promised_date__lt=end), user),
            F("promised_date")),
    }
    per_day = {kind: calendar.spread(counts) for kind, counts in work.items()}
    forecast = []
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        counts = {kind: round(spread.get(day, 0.0)) for kind, spread in per_day.items()}
        forecast.append(_day(day, calendar.is_open(day), counts, assumptions))
    return forecast

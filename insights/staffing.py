"""The staffing forecast: calls per day for the next four weeks and the agents they need.

Demand comes from work already in the database, counted per day in the desk's time zone:
- courtesy calls planned by caring (their planned day);
- open, not held collection cases (the day of their next action; due now or unset: today);
- callbacks promised to debtors (their due day);
- promises to pay falling due (their promised day: the day to check and call).
Work already late counts on the first day.

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

from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from access.scoping import AnyUser, scope_to_user
from caring.models import CourtesyCall
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
    courtesy_calls: int
    cases: int
    callbacks: int
    promises: int
    agents_on_phone: int
    agents_rostered: int
    service_level: float | None

    @property
    def calls(self) -> int:
        return self.courtesy_calls + self.cases + self.callbacks + self.promises


def _per_day(queryset: QuerySet[Any], day_expression: Any, today: dt.date) -> dict[dt.date, int]:
    """Rows per day (one query); days before today are added to today."""
    counts: dict[dt.date, int] = {}
    rows = (queryset.annotate(day=day_expression).values("day").annotate(n=Count("id"))
            .order_by("day"))
    for row in rows:
        day = row["day"] if row["day"] is not None and row["day"] > today else today
        counts[day] = counts.get(day, 0) + row["n"]
    return counts


def staffing_forecast(*, user: AnyUser, assumptions: Assumptions,
                      today: dt.date | None = None, days: int = DAYS) -> list[StaffingDay]:
    """The next `days` days from `today`, for the clients the user sees (4 queries)."""
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    end = today + dt.timedelta(days=days)
    calls = _per_day(
        scope_to_user(CourtesyCall.objects.filter(
            status__in=[CourtesyCall.Status.PLANNED, CourtesyCall.Status.IN_PROGRESS],
            window_date__lt=end), user),
        F("window_date"), today)
    cases = _per_day(
        scope_to_user(CollectionCase.objects.filter(status=CollectionCase.Status.OPEN,
                                                    on_hold=False), user)
        .exclude(next_action_at__gte=dt.datetime.combine(end, dt.time(), tzinfo=zone)),
        TruncDate("next_action_at", tzinfo=zone), today)
    callbacks = _per_day(
        scope_to_user(Callback.objects.filter(
            status=Callback.Status.PENDING,
            due_at__lt=dt.datetime.combine(end, dt.time(), tzinfo=zone)), user),
        TruncDate("due_at", tzinfo=zone), today)
    promises = _per_day(
        scope_to_user(PromiseToPay.objects.filter(status=PromiseToPay.Status.PENDING,
                                                  promised_date__lt=end), user),
        F("promised_date"), today)
    forecast = []
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        total = calls.get(day, 0) + cases.get(day, 0) + callbacks.get(day, 0) \
            + promises.get(day, 0)
        per_hour = total / assumptions.hours_per_day
        on_phone = agents_needed(per_hour, aht_seconds=assumptions.aht_seconds,
                                 target=assumptions.service_level,
                                 answer_seconds=assumptions.answer_seconds)
        traffic = per_hour * assumptions.aht_seconds / 3600
        forecast.append(StaffingDay(
            day=day, courtesy_calls=calls.get(day, 0), cases=cases.get(day, 0),
            callbacks=callbacks.get(day, 0), promises=promises.get(day, 0),
            agents_on_phone=on_phone,
            agents_rostered=math.ceil(on_phone / (1 - assumptions.shrinkage)) if on_phone else 0,
            service_level=service_level(on_phone, traffic, aht_seconds=assumptions.aht_seconds,
                                        answer_seconds=assumptions.answer_seconds)
            if total else None,
        ))
    return forecast

"""Read queries of caring: the agent queue, a call's workspace, the plan and the comparison."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from caring.models import CaringAssignment, CaringPolicy, CaringTask, CourtesyCall, PlanRun
from portfolio.models import Invoice, PaymentAllocation

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


def policy_list(*, user: AnyUser) -> QuerySet[CaringPolicy]:
    return scope_to_user(CaringPolicy.objects.select_related("client"), user).order_by(
        "client__name", "segment")


def policy_get_for_user(*, user: AnyUser, pk: object) -> CaringPolicy:
    return object_get_for_user(CaringPolicy.objects.select_related("client"), user, pk=pk)


def plan_runs_latest(*, user: AnyUser) -> QuerySet[PlanRun]:
    """Each of the user's clients' latest planning run (through caring_planrun_latest)."""
    latest = PlanRun.objects.filter(client_id=OuterRef("client_id")).order_by(
        "-created_at", "-id").values("pk")[:1]
    return scope_to_user(PlanRun.objects.select_related("client", "requested_by"), user).filter(
        pk=Subquery(latest)).order_by("client__name")


def call_list(*, user: AnyUser) -> QuerySet[CourtesyCall]:
    return scope_to_user(
        CourtesyCall.objects.select_related("debtor", "client", "policy")
        .annotate(invoice_count=Count("links")), user,
    ).order_by("scheduled_at", "-priority", "id")


def call_get_for_user(*, user: AnyUser, pk: object) -> CourtesyCall:
    return object_get_for_user(
        CourtesyCall.objects.select_related("debtor", "client", "policy", "claimed_by"),
        user, pk=pk)


def queue_for_agent(*, user: AnyUser, now: dt.datetime | None = None) -> QuerySet[CourtesyCall]:
    """The agent's courtesy calls due now: their clients only, free or theirs (a callback kept
    for another agent, or a call another agent is working, is not shown), earliest first and
    then highest priority. Served by the partial index caring_call_queue."""
    now = now or timezone.now()
    return (
        call_list(user=user)
        .filter(scheduled_at__lte=now)
        .filter(Q(status=CourtesyCall.Status.PLANNED)
                | Q(status=CourtesyCall.Status.IN_PROGRESS, claimed_by=user))
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=user))
        # GDPR Art. 18: a debtor whose processing is restricted is out of every queue.
        .filter(debtor__processing_restricted=False)
    )


def next_call_at(*, user: AnyUser, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the agent's next courtesy call falls due, for an empty queue to say when work comes
    (the contact rules often move calls to the debtor's calling hours)."""
    now = now or timezone.now()
    return (scope_to_user(CourtesyCall.objects.all(), user)
            .filter(status=CourtesyCall.Status.PLANNED, scheduled_at__gt=now)
            .filter(Q(assigned_to__isnull=True) | Q(assigned_to=user))
            .order_by("scheduled_at").values_list("scheduled_at", flat=True).first())


def task_list(*, user: AnyUser, status: str = CaringTask.Status.OPEN) -> QuerySet[CaringTask]:
    """Follow-up tasks of the user's clients: open ones oldest first (through the partial index
    caring_task_open), done ones most recently closed first."""
    tasks = scope_to_user(
        CaringTask.objects.select_related("client", "invoice", "call__debtor", "created_by",
                                          "done_by"), user,
    ).filter(status=status)
    if status == CaringTask.Status.OPEN:
        return tasks.order_by("created_at", "id")
    return tasks.order_by("-done_at", "-id")


def task_get_for_user(*, user: AnyUser, pk: object) -> CaringTask:
    return object_get_for_user(CaringTask.objects.all(), user, pk=pk)


def call_invoices(call: CourtesyCall) -> QuerySet[Invoice]:
    return call.invoices.order_by("due_date", "id")


def debtor_history(call: CourtesyCall) -> dict[str, object]:
    """The debtor's other invoices, payments and earlier calls, for the workspace (3 queries)."""
    debtor = call.debtor
    return {
        "other_invoices": list(debtor.invoices.exclude(courtesy_calls=call)
                               .order_by("-due_date")[:20]),
        "payments": list(debtor.payments.order_by("-value_date")[:10]),
        "calls": list(debtor.courtesy_calls.exclude(pk=call.pk).order_by("-window_date")[:10]),
    }


def plan_summary(*, user: AnyUser, days: int = 7,
                 today: dt.date | None = None) -> list[Mapping[str, object]]:
    """Open calls per scheduled day and client for the coming days, with their amount."""
    today = today or timezone.localdate()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    end = start + dt.timedelta(days=days)
    return list(
        scope_to_user(CourtesyCall.objects.filter(
            status__in=CourtesyCall.OPEN_STATUSES, scheduled_at__gte=start,
            scheduled_at__lt=end), user)
        .annotate(day=F("scheduled_at__date"))
        .values("day", "client__name")
        .annotate(calls=Count("id"), amount=Sum("amount"))
        .order_by("day", "client__name")
    )


# --- Does caring work? ---------------------------------------------------------------------


class DaysBetween(Func):
    """Whole days from `start` to `end` (dates), as an integer, on PostgreSQL and SQLite."""

    output_field = IntegerField()

    def __init__(self, end: object, start: object) -> None:
        super().__init__(end, start)

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper,
               function: str | None = None, template: str | None = None,
               arg_joiner: str | None = None, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"(({end}) - ({start}))", (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return (f"CAST(julianday({end}) - julianday({start}) AS INTEGER)",
                [*end_params, *start_params])


@dataclass(frozen=True)
class Interval:
    value: float | None
    low: float | None
    high: float | None

    def percent(self) -> Interval:
        """The same interval in percentage points (a rate of 0.578 reads 57.8%)."""
        return Interval(*(None if bound is None else bound * 100
                          for bound in (self.value, self.low, self.high)))


@dataclass(frozen=True)
class GroupStats:
    label: str
    invoices: int
    on_time: int
    on_time_rate: Interval
    days_beyond_terms: Interval
    dso: Interval


Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval of a proportion (exact enough at small n, never outside [0, 1])."""
    if n == 0:
        return Interval(None, None, None)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(total: float, squares: float, n: int, z: float = Z95) -> Interval:
    """Mean with a normal-approximation 95% interval (sample standard deviation / sqrt(n))."""
    if n == 0:
        return Interval(None, None, None)
    mean = total / n
    if n < 2:
        return Interval(mean, None, None)
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = z * math.sqrt(variance / n)
    return Interval(mean, mean - half, mean + half)


def caring_compare(*, assignments: QuerySet[CaringAssignment],
                   as_of: dt.date) -> list[GroupStats]:
    """Called against control invoices that have matured (due before as_of), in one query.

    - on time: fully paid, the last payment's value date on or before the due date;
    - days beyond terms: last payment date (or as_of when still unpaid) - due date, at least 0;
    - DSO (invoice-level variant): last payment date (or as_of when unpaid) - issue date.
    """
    paid_on = Subquery(
        PaymentAllocation.objects.filter(invoice_id=OuterRef("invoice_id"))
        .order_by().values("invoice_id").annotate(last=Max("payment__value_date"))
        .values("last")
    )
    settled = Q(invoice__status=Invoice.Status.PAID)
    end_date = Case(When(settled, then=Coalesce(paid_on, Value(as_of))), default=Value(as_of))
    rows = (
        assignments.filter(invoice__due_date__lt=as_of)
        .annotate(
            _end=end_date,
        )
        .annotate(
            _beyond=Greatest(DaysBetween(F("_end"), F("invoice__due_date")), Value(0)),
            _dso=DaysBetween(F("_end"), F("invoice__issue_date")),
            _on_time=Case(When(settled & Q(_end__lte=F("invoice__due_date")), then=Value(1)),
                          default=Value(0), output_field=IntegerField()),
        )
        .order_by().values("in_control")
        .annotate(
            n=Count("id"),
            on_time=Sum("_on_time"),
            beyond_sum=Sum("_beyond"),
            beyond_sq=Sum(F("_beyond") * F("_beyond")),
            dso_sum=Sum("_dso"),
            dso_sq=Sum(F("_dso") * F("_dso")),
        )
    )
    by_group = {row["in_control"]: row for row in rows}
    result = []
    for control, label in ((False, "called"), (True, "control")):
        row = by_group.get(control) or {"n": 0, "on_time": 0, "beyond_sum": 0, "beyond_sq": 0,
                                        "dso_sum": 0, "dso_sq": 0}
        n = row["n"]
        result.append(GroupStats(
            label=label, invoices=n, on_time=row["on_time"] or 0,
            on_time_rate=wilson(row["on_time"] or 0, n),
            days_beyond_terms=mean_interval(float(row["beyond_sum"] or 0),
                                            float(row["beyond_sq"] or 0), n),
            dso=mean_interval(float(row["dso_sum"] or 0), float(row["dso_sq"] or 0), n),
        ))
    return result


def assignments_for_user(*, user: AnyUser, policy: CaringPolicy | None = None
                         ) -> QuerySet[CaringAssignment]:
    assignments = scope_to_user(CaringAssignment.objects.all(), user)
    if policy is not None:
        assignments = assignments.filter(policy=policy)
    return assignments



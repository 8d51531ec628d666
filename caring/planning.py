"""The caring planner: set-based, idempotent, resumable.

One run for a planning day D, per active policy:

1. **assign**: every eligible invoice entering the window (due in (D, D + N business days]) and
   not assigned yet gets its group, called or control, from a deterministic hash of invoice id
   and policy seed (INSERT … SELECT … ON CONFLICT DO NOTHING on the one-row-per-invoice key);
2. **call**: one courtesy call per debtor that has called, unlinked, still-payable invoices and no
   planned call already (INSERT … SELECT … GROUP BY debtor, ON CONFLICT on (debtor, day));
3. **link**: the invoices to the debtor's planned call (through table, one call per invoice);
4. **price**: amount and priority (amount x risk probability) of the chunk's planned calls.

Steps 1-4 run per chunk of debtors in one transaction, so a worker killed mid-run leaves
whole chunks behind it and the next run does the rest; nothing is ever inserted twice because
every insert skips rows whose natural key already exists. Catch-up is structural: the window is
"due after D, up to D + N", so an invoice whose window opened on a day the planner did not run
is still picked up while it is not yet due.

Then **schedule** gives unscheduled calls a slot: ranked by priority across the client's agent
capacity, and moved to the contact engine's next permitted time when the slot is not allowed.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from access.models import Membership
from access.roles import Role
from caring import contact
from caring.models import CaringAssignment, CaringPolicy, CourtesyCall, CourtesyCallInvoice
from caring.windows import business_days_add, is_business_day, window_end
from portfolio.models import Invoice
from scoring.models import DebtorScore, ScoringModel

logger = logging.getLogger(__name__)

PAYABLE = (Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID)
# Probability used for debtors no model has scored yet: neither first nor last in the queue.
UNSCORED_PROBABILITY = Decimal("0.5")
# Working hours in which planned slots are laid out (client's reporting time zone); the contact
# engine then moves any slot that is not permitted for the debtor.
WORK_START = dt.time(9, 0)
WORK_HOURS = 8
# Fibonacci hashing: (id + seed) x 2^32/φ mod 2^32 spreads consecutive ids evenly over 0..9999.
_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 4294967296


def score_subquery(field_name: str) -> Subquery:
    """The debtor's latest score field, with the preference of scoring.selectors.
    debtor_scores_latest (segment champion, then all-debtor champion, then any; newest first),
    as a correlated subquery so that band filters and priorities stay inside SQL."""
    preference = Case(
        When(model__status=ScoringModel.Status.CHAMPION, model__segment=F("debtor__kind"),
             then=Value(2)),
        When(model__status=ScoringModel.Status.CHAMPION,
             model__segment=ScoringModel.Segment.ALL, then=Value(1)),
        default=Value(0), output_field=IntegerField(),
    )
    return Subquery(
        DebtorScore.objects.filter(debtor_id=OuterRef("debtor_id"))
        .annotate(_pref=preference)
        .order_by("-_pref", "-as_of", "-id")
        .values(field_name)[:1]
    )


def _specific_segments(policy: CaringPolicy) -> list[str]:
    """Segments of the client that have their own active policy (the general one skips them)."""
    return list(
        CaringPolicy.objects.filter(client_id=policy.client_id, active=True)
        .exclude(segment=CaringPolicy.Segment.ALL).values_list("segment", flat=True)
    )


def eligible_invoices(policy: CaringPolicy, run_date: dt.date) -> QuerySet[Invoice]:
    """Invoices of the policy whose window is open on run_date and that may be cared for."""
    end = window_end(run_date, policy.days_before_due, policy.client.country)
    invoices = Invoice.objects.filter(
        client_id=policy.client_id,
        status__in=PAYABLE,
        due_date__gt=run_date,
        due_date__lte=end,
        open_balance__gt=0,
        open_balance__gte=policy.min_amount,
        debtor__do_not_call=False,
        debtor__deceased=False,
    ).exclude(contact.account_held())
    if policy.segment == CaringPolicy.Segment.ALL:
        specific = _specific_segments(policy)
        if specific:
            invoices = invoices.exclude(debtor__kind__in=specific)
    else:
        invoices = invoices.filter(debtor__kind=policy.segment)
    if set(policy.bands) != set("ABCDE"):
        invoices = invoices.annotate(_band=score_subquery("band")).filter(
            Q(_band__in=list(policy.bands)) | Q(_band__isnull=True))
    return invoices


@dataclass
class PlanResult:
    assigned: int = 0
    calls: int = 0
    linked: int = 0
    cancelled: int = 0
    scheduled: int = 0
    chunks: int = 0
    policies: list[int] = field(default_factory=list)


def _execute(sql: str, params: list[object]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _assign(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int, now: dt.datetime) -> int:
    ids_sql, ids_params = (
        eligible_invoices(policy, run_date)
        .filter(debtor_id__gte=lo, debtor_id__lt=hi)
        .exclude(Exists(CaringAssignment.objects.filter(invoice_id=OuterRef("pk"))))
        .order_by().values("id", "client_id", "debtor_id").query.sql_with_params()
    )
    threshold = int(policy.control_share * 10000)
    # (id + seed) is first reduced mod 2^31 so the product stays inside a signed 64-bit integer.
    bucket = (f"((((e.id + %s) %% 2147483648) * {_HASH_MULTIPLIER}) %% {_HASH_MODULUS}) "
              f"* 10000 / {_HASH_MODULUS}")
    # Only constants and Django's own compiled SQL are interpolated; values are parameters.
    sql = (
        "INSERT INTO caring_caringassignment (client_id, policy_id, invoice_id, debtor_id, "  # noqa: S608
        "window_date, bucket, in_control, created_at) "
        f"SELECT e.client_id, %s, e.id, e.debtor_id, %s, {bucket}, ({bucket}) < %s, %s "
        # "WHERE true": SQLite needs it to read ON CONFLICT as the upsert clause, not a join.
        f"FROM ({ids_sql}) e WHERE true "
        "ON CONFLICT (invoice_id) DO NOTHING"
    )
    return _execute(sql, [policy.pk, run_date, policy.seed, policy.seed, threshold, now,
                          *ids_params])


# Called assignments still waiting for a call: payable, not yet due, not linked to any call.
# (A debtor flagged do-not-call after assignment is caught by calls_cancel_settled.)
# Driven from the invoice side (client, due date in the window: the partial index
# portfolio_invoice_open_due) so the cost follows the window, not the policy's whole history.
_WAITING = (
    "FROM portfolio_invoice i JOIN caring_caringassignment a ON a.invoice_id = i.id "
    "WHERE i.client_id = %s AND i.due_date > %s AND i.due_date <= %s "
    "AND i.status IN ('open', 'partially_paid') "
    "AND a.policy_id = %s AND a.in_control = %s AND a.debtor_id >= %s AND a.debtor_id < %s "
    "AND NOT EXISTS (SELECT 1 FROM caring_courtesycallinvoice l WHERE l.invoice_id = i.id) "
)


def _waiting_params(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int) -> list[object]:
    end = window_end(run_date, policy.days_before_due, policy.client.country)
    return [policy.client_id, run_date, end, policy.pk, False, lo, hi]


def _calls(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int, now: dt.datetime) -> int:
    # Constant SQL; every value is a parameter.
    sql = (
        "INSERT INTO caring_courtesycall (client_id, policy_id, debtor_id, window_date, "  # noqa: S608
        "first_due_date, amount, priority, status, attempts, outcome, note, cancel_reason, "
        "schedule_reason, destination, created_at, updated_at) "
        "SELECT a.client_id, a.policy_id, a.debtor_id, %s, MIN(i.due_date), 0, 0, 'planned', 0, "
        "'', '', '', '', '', %s, %s "
        + _WAITING +
        "AND NOT EXISTS (SELECT 1 FROM caring_courtesycall c WHERE c.debtor_id = a.debtor_id "
        "AND c.status = 'planned') "
        "GROUP BY a.client_id, a.policy_id, a.debtor_id "
        "ON CONFLICT (debtor_id, window_date) DO NOTHING"
    )
    return _execute(sql, [run_date, now, now, *_waiting_params(policy, run_date, lo, hi)])


def _link(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int) -> int:
    sql = (
        "INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on) "
        "SELECT a.client_id, c.id, a.invoice_id, %s "
        + _WAITING.replace(
            "WHERE", "JOIN caring_courtesycall c ON c.debtor_id = a.debtor_id "
            "AND c.status = 'planned' WHERE", 1)
        + "ON CONFLICT (invoice_id) DO NOTHING"
    )
    return _execute(sql, [run_date, *_waiting_params(policy, run_date, lo, hi)])


# The debtor's latest score with the preference of scoring.selectors.debtor_scores_latest
# (segment champion, then all-debtor champion, then any model; newest first): a correlated
# subquery per call that reads a handful of rows through scoring_score_debtor_latest.
_LATEST_PROBABILITY = (
    "(SELECT s.probability FROM scoring_debtorscore s "
    " JOIN scoring_scoringmodel m ON m.id = s.model_id "
    " JOIN portfolio_debtor d ON d.id = s.debtor_id "
    " WHERE s.debtor_id = caring_courtesycall.debtor_id ORDER BY"
    " CASE WHEN m.status = 'champion' AND m.segment = d.kind THEN 2"
    "      WHEN m.status = 'champion' AND m.segment = 'all' THEN 1 ELSE 0 END DESC,"
    " s.as_of DESC, s.id DESC LIMIT 1)"
)


def calls_price(*, policy: CaringPolicy, run_date: dt.date, lo: int, hi: int) -> int:
    """Amount (open balance of the linked payable invoices), first due date and priority
    (amount x risk probability) of the planned calls that gained invoices this run: one
    UPDATE … FROM over aggregates, no per-call subquery."""
    sql = (
        "UPDATE caring_courtesycall SET amount = s.amount, first_due_date = s.first_due, "  # noqa: S608
        f"priority = s.amount * COALESCE({_LATEST_PROBABILITY}, {UNSCORED_PROBABILITY}) "
        "FROM (SELECT l.call_id, SUM(i.open_balance) AS amount, "
        "      MIN(i.due_date) AS first_due "
        "      FROM caring_courtesycall c JOIN caring_courtesycallinvoice l ON l.call_id = c.id "
        "      JOIN portfolio_invoice i ON i.id = l.invoice_id "
        "      WHERE c.policy_id = %s AND c.status = 'planned' AND c.debtor_id >= %s "
        "      AND c.debtor_id < %s AND i.status IN ('open', 'partially_paid') "
        "      AND EXISTS (SELECT 1 FROM caring_courtesycallinvoice n WHERE n.call_id = c.id "
        "                  AND n.linked_on = %s) "
        "      GROUP BY l.call_id) s "
        "WHERE caring_courtesycall.id = s.call_id"
    )
    return _execute(sql, [policy.pk, lo, hi, run_date])


def _chunk_bounds(policy: CaringPolicy, run_date: dt.date) -> list[tuple[int, int]]:
    """Keyset ranges of debtor ids with work this run (new invoices or unlinked called ones)."""
    new = set(eligible_invoices(policy, run_date).order_by()
              .values_list("debtor_id", flat=True).distinct())
    waiting = set(
        CaringAssignment.objects.filter(policy=policy, in_control=False,
                                        invoice__status__in=PAYABLE,
                                        invoice__due_date__gt=run_date)
        .exclude(Exists(CourtesyCallInvoice.objects.filter(invoice_id=OuterRef("invoice_id"))))
        .values_list("debtor_id", flat=True).distinct()
    )
    ids = sorted(new | waiting)
    # Debtors per transaction (settings.CARING_PLAN_CHUNK_DEBTORS, default 2,000): measured
    # about 0.7 s per chunk (~6,600 invoices, 2,000 calls) on the 1,000,000-invoice benchmark
    # with table statistics, so a killed worker loses at most that much work and row locks
    # stay short.
    size = settings.CARING_PLAN_CHUNK_DEBTORS
    bounds = []
    for start in range(0, len(ids), size):
        piece = ids[start:start + size]
        bounds.append((piece[0], piece[-1] + 1))
    return bounds


def policy_plan_chunk(*, policy: CaringPolicy, run_date: dt.date, lo: int, hi: int,
                      result: PlanResult | None = None) -> PlanResult:
    """Plan debtors with ids in [lo, hi) for one policy: one transaction, safe to repeat."""
    result = result or PlanResult()
    now = timezone.now()
    with transaction.atomic():
        result.assigned += _assign(policy, run_date, lo, hi, now)
        result.calls += _calls(policy, run_date, lo, hi, now)
        result.linked += _link(policy, run_date, lo, hi)
        calls_price(policy=policy, run_date=run_date, lo=lo, hi=hi)
    result.chunks += 1
    return result


def calls_cancel_settled(*, client_id: int | None = None) -> int:
    """Cancel planned calls with nothing left to talk about: every invoice paid, disputed or
    written off, or the debtor now do-not-call, deceased or under an account hold. One UPDATE."""
    payable_left = Exists(CourtesyCallInvoice.objects.filter(
        call_id=OuterRef("pk"), invoice__status__in=PAYABLE))
    calls = CourtesyCall.objects.filter(status=CourtesyCall.Status.PLANNED)
    if client_id is not None:
        calls = calls.filter(client_id=client_id)
    return calls.filter(
        Q(~payable_left) | Q(debtor__do_not_call=True) | Q(debtor__deceased=True)
        | Q(contact.account_held())
    ).update(status=CourtesyCall.Status.CANCELLED, updated_at=timezone.now(),
             cancel_reason="Paid, disputed or no longer callable before the call.")


def _agent_count(client_id: int) -> int:
    return max(1, Membership.objects.filter(
        client_id=client_id, user__is_active=True, user__groups__name=Role.AGENT,
    ).values("user_id").distinct().count())


def slots_for(*, client_id: int, country: str, tz_name: str, run_date: dt.date,
              capacity_per_hour: int, count: int) -> list[dt.datetime]:
    """`count` slot times from run_date on, capacity_per_hour calls per working hour,
    business days only, in the client's time zone."""
    tz = zoneinfo.ZoneInfo(tz_name)
    slots: list[dt.datetime] = []
    day = run_date if is_business_day(run_date, country) else business_days_add(run_date, 1,
                                                                                country)
    while len(slots) < count:
        for hour in range(WORK_HOURS):
            start = dt.datetime.combine(day, WORK_START, tzinfo=tz) + dt.timedelta(hours=hour)
            step = dt.timedelta(minutes=60) / capacity_per_hour
            for k in range(capacity_per_hour):
                slots.append(start + step * k)
                if len(slots) >= count:
                    return slots
        day = business_days_add(day, 1, country)
    return slots


def calls_schedule(*, policy: CaringPolicy, run_date: dt.date, now: dt.datetime) -> int:
    """Give the policy's unscheduled planned calls a slot, highest priority first."""
    calls = list(
        CourtesyCall.objects.filter(policy=policy, status=CourtesyCall.Status.PLANNED,
                                    scheduled_at__isnull=True)
        .select_related("debtor").order_by("-priority", "id")
    )
    if not calls:
        return 0
    capacity = _agent_count(policy.client_id) * policy.calls_per_agent_hour
    client = policy.client
    slots = slots_for(client_id=client.pk, country=client.country,
                      tz_name=client.reporting_timezone, run_date=run_date,
                      capacity_per_hour=capacity, count=len(calls))
    for call, slot in zip(calls, slots, strict=True):
        call.scheduled_at = max(slot, now)
    never = {call.pk for call in contact.slots_adjust(calls)}
    for call in calls:
        if call.pk in never:
            call.status = CourtesyCall.Status.CANCELLED
            call.cancel_reason = ("The contact rules permit no call before the due date: "
                                  f"{call.schedule_reason}")[:200]
    CourtesyCall.objects.bulk_update(
        calls, ["scheduled_at", "schedule_reason", "destination", "status", "cancel_reason"],
        batch_size=2000)
    return len(calls)


def plan_run(*, run_date: dt.date, now: dt.datetime | None = None,
             client_id: int | None = None) -> PlanResult:
    """Plan every active policy for run_date. Idempotent; safe to kill and run again."""
    now = now or timezone.now()
    result = PlanResult()
    policies = CaringPolicy.objects.filter(active=True).select_related("client").order_by("id")
    if client_id is not None:
        policies = policies.filter(client_id=client_id)
    result.cancelled = calls_cancel_settled(client_id=client_id)
    for policy in policies:
        result.policies.append(policy.pk)
        for lo, hi in _chunk_bounds(policy, run_date):
            policy_plan_chunk(policy=policy, run_date=run_date, lo=lo, hi=hi, result=result)
        result.scheduled += calls_schedule(policy=policy, run_date=run_date, now=now)
    logger.info("caring plan %s: %s", run_date, result)
    return result

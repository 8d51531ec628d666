"""The caring planner: set-based, idempotent, resumable.

One run for a planning day D, per active policy, in chunks of debtors (keyset ranges cut every
CARING_PLAN_CHUNK_INVOICES payable invoices falling due in the window), each in one transaction:

1. **assign**: every eligible invoice entering the window (due in (D, D + N business days]) and
   not assigned yet gets its group, called or control, from a deterministic hash of invoice id
   and policy seed (INSERT … SELECT … ON CONFLICT DO NOTHING on the one-row-per-invoice key);
2. **call**: one courtesy call per debtor that has called, unlinked, still-payable invoices and no
   planned call already (INSERT … SELECT … GROUP BY debtor, ON CONFLICT on (debtor, day)),
   priced as it is inserted: amount, first due date, amount x risk probability;
3. **link**: the invoices to the debtor's planned call (through table, one call per invoice);
4. **re-price** the calls planned on an earlier day that gained invoices (usually none).

A worker killed mid-run leaves whole chunks behind it and the next run does the rest; nothing
is ever inserted twice because every insert skips rows whose natural key already exists.
Catch-up is structural: the window is "due after D, up to D + N", so an invoice whose window
opened on a day the planner did not run is still picked up while it is not yet due.

Then **schedule** gives unscheduled calls a slot: ranked by priority across the client's agent
capacity, and moved to the contact engine's next permitted time when the slot is not allowed.

Calls whose invoices were paid or disputed, or whose debtor became uncallable, are cancelled by
the sweep (calls_cancel_settled, its own beat task every quarter of an hour), not by the plan.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from access.roles import Role
from access.scoping import client_staff
from caring import contact
from caring.models import CaringAssignment, CaringPolicy, CourtesyCall
from caring.windows import business_days_add, is_business_day, window_end
from portfolio.models import Debtor, Invoice
from portfolio.sql import INVOICE_PAYABLE, INVOICE_UNSETTLED, SqlValue, sql_literals
from scoring.selectors import debtor_probability_planning_sql, debtor_score_planning_subquery

# Call statuses in the SQL below, from the model's choices (see portfolio/sql.py).
_PLANNED = sql_literals(CourtesyCall.Status.PLANNED)
_CANCELLED = sql_literals(CourtesyCall.Status.CANCELLED)

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


def _specific_segments(policy: CaringPolicy) -> list[str]:
    """Segments of the client that have their own active policy (the general one skips them)."""
    return list(
        CaringPolicy.objects.filter(client_id=policy.client_id, active=True)
        .exclude(segment=CaringPolicy.Segment.ALL).values_list("segment", flat=True)
    )


def eligible_invoices(policy: CaringPolicy, run_date: dt.date, *,
                      due_until: dt.date | None = None) -> QuerySet[Invoice]:
    """Invoices of the policy whose window is open on run_date and that may be cared for.

    `due_until` widens the due dates beyond today's window: the staffing forecast asks which
    invoices later planning days will take, by the same rules."""
    end = due_until or window_end(run_date, policy.days_before_due, policy.client.country)
    invoices = Invoice.objects.filter(
        client_id=policy.client_id,
        status__in=PAYABLE,
        due_date__gt=run_date,
        due_date__lte=end,
        open_balance__gt=0,
        open_balance__gte=policy.min_amount,
    ).exclude(contact.account_held()).exclude(
        # An anti-join against the few flagged debtors, not a join to every debtor to read two
        # flags: the planner hashes a handful of rows instead of the client's whole register.
        Exists(Debtor.objects.filter(pk=OuterRef("debtor_id"))
               .filter(Q(do_not_call=True) | Q(deceased=True)
                       | Q(processing_restricted=True))))
    if policy.segment == CaringPolicy.Segment.ALL:
        specific = _specific_segments(policy)
        if specific:
            invoices = invoices.exclude(debtor__kind__in=specific)
    else:
        invoices = invoices.filter(debtor__kind=policy.segment)
    if set(policy.bands) != set("ABCDE"):
        invoices = invoices.annotate(_band=debtor_score_planning_subquery("band")).filter(
            Q(_band__in=list(policy.bands)) | Q(_band__isnull=True))
    return invoices


@dataclass
class PlanResult:
    assigned: int = 0
    calls: int = 0
    linked: int = 0
    scheduled: int = 0
    chunks: int = 0
    policies: list[int] = field(default_factory=list)


def _execute(sql: str, params: list[SqlValue]) -> int:
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
    "FROM portfolio_invoice i JOIN caring_caringassignment a ON a.invoice_id = i.id "  # noqa: S608 (choice values)
    "WHERE i.client_id = %s AND i.due_date > %s AND i.due_date <= %s "
    f"AND i.status IN ({INVOICE_PAYABLE}) "
    "AND a.policy_id = %s AND a.in_control = %s AND a.debtor_id >= %s AND a.debtor_id < %s "
    "AND NOT EXISTS (SELECT 1 FROM caring_courtesycallinvoice l WHERE l.invoice_id = i.id) "
)


def _waiting_params(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int
                    ) -> list[SqlValue]:
    end = window_end(run_date, policy.days_before_due, policy.client.country)
    return [policy.client_id, run_date, end, policy.pk, False, lo, hi]


def _priority(amount: str, debtor_column: str) -> str:
    """amount x risk probability (UNSCORED_PROBABILITY when no model has scored the debtor)."""
    probability = debtor_probability_planning_sql(debtor_column)
    return f"{amount} * COALESCE({probability}, {UNSCORED_PROBABILITY})"


def _calls(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int,
           now: dt.datetime) -> list[int]:
    """One call per debtor with waiting invoices and no planned call, priced as it is inserted
    (amount, first due date, amount x risk), so no second pass rewrites the rows. Returns the
    new calls' ids."""
    # Constant SQL; every value is a parameter.
    sql = (
        "INSERT INTO caring_courtesycall (client_id, policy_id, debtor_id, window_date, "  # noqa: S608
        "first_due_date, amount, priority, status, attempts, outcome, note, cancel_reason, "
        "schedule_reason, destination, created_at, updated_at) "
        "SELECT a.client_id, a.policy_id, a.debtor_id, %s, MIN(i.due_date), "
        f"SUM(i.open_balance), {_priority('SUM(i.open_balance)', 'a.debtor_id')}, "
        f"{_PLANNED}, 0, '', '', '', '', '', %s, %s "
        + _WAITING +
        "AND NOT EXISTS (SELECT 1 FROM caring_courtesycall c WHERE c.debtor_id = a.debtor_id "  # noqa: S608 (choice values)
        f"AND c.status = {_PLANNED}) "
        "GROUP BY a.client_id, a.policy_id, a.debtor_id "
        "ON CONFLICT (debtor_id, window_date) DO NOTHING RETURNING id"
    )
    return _returned_ids(sql, [run_date, now, now, *_waiting_params(policy, run_date, lo, hi)])


def _link(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int) -> list[int]:
    """Link the waiting invoices to their debtor's planned call; returns the call of each new
    link."""
    sql = (
        "INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on) "
        "SELECT a.client_id, c.id, a.invoice_id, %s "
        + _WAITING.replace(
            "WHERE", "JOIN caring_courtesycall c ON c.debtor_id = a.debtor_id "
            f"AND c.status = {_PLANNED} WHERE", 1)
        + "ON CONFLICT (invoice_id) DO NOTHING RETURNING call_id"
    )
    return _returned_ids(sql, [run_date, *_waiting_params(policy, run_date, lo, hi)])


def _calls_and_links(policy: CaringPolicy, run_date: dt.date, lo: int, hi: int,
                     now: dt.datetime) -> tuple[list[int], list[int]]:
    """Steps 2 and 3 in one PostgreSQL statement: the waiting invoices are found once (the
    window's invoices joined to their assignments) and feed both the new calls and the links.
    Returns the new calls' ids and the call of each new link."""
    # Constant SQL; every value is a parameter. The final INSERT cannot see the rows new_calls
    # inserts (one snapshot for the whole statement), so the targets take them from RETURNING.
    sql = (
        "WITH waiting AS MATERIALIZED (SELECT a.client_id, a.policy_id, a.debtor_id, "  # noqa: S608
        "  a.invoice_id, i.due_date, i.open_balance " + _WAITING + "), "  # noqa: S608
        "new_calls AS (INSERT INTO caring_courtesycall (client_id, policy_id, debtor_id, "
        "  window_date, first_due_date, amount, priority, status, attempts, outcome, note, "
        "  cancel_reason, schedule_reason, destination, created_at, updated_at) "
        "  SELECT w.client_id, w.policy_id, w.debtor_id, %s, MIN(w.due_date), "
        f"  SUM(w.open_balance), {_priority('SUM(w.open_balance)', 'w.debtor_id')}, "
        f"  {_PLANNED}, 0, '', '', '', '', '', %s, %s FROM waiting w "
        "  WHERE NOT EXISTS (SELECT 1 FROM caring_courtesycall c WHERE c.debtor_id = w.debtor_id"
        f"                    AND c.status = {_PLANNED}) "
        "  GROUP BY w.client_id, w.policy_id, w.debtor_id "
        "  ON CONFLICT (debtor_id, window_date) DO NOTHING RETURNING id, debtor_id), "
        "targets AS (SELECT id, debtor_id FROM new_calls UNION ALL "
        f"  SELECT c.id, c.debtor_id FROM caring_courtesycall c WHERE c.status = {_PLANNED} "
        "  AND c.debtor_id IN (SELECT debtor_id FROM waiting)) "
        "INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on) "
        "SELECT w.client_id, t.id, w.invoice_id, %s FROM waiting w "
        "JOIN targets t ON t.debtor_id = w.debtor_id "
        "ON CONFLICT (invoice_id) DO NOTHING "
        "RETURNING call_id, call_id IN (SELECT id FROM new_calls)"
    )
    params = [*_waiting_params(policy, run_date, lo, hi), run_date, now, now, run_date]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    linked_to = [call_id for call_id, _new in rows]
    return sorted({call_id for call_id, new in rows if new}), linked_to


def _returned_ids(sql: str, params: list[SqlValue]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def calls_price(*, call_ids: Iterable[int]) -> int:
    """Amount (open balance of the linked payable invoices), first due date and priority
    (amount x risk probability) of planned calls, from their links: for calls planned on an
    earlier day that gained invoices today (new calls are priced as they are inserted)."""
    ids = sorted(call_ids)
    updated = 0
    # Bounded id lists keep SQLite under its bound-parameter limit; usually one batch, and
    # usually empty (a debtor's new invoice joining a call planned on an earlier day).
    for start in range(0, len(ids), _PRICE_BATCH):
        batch = ids[start:start + _PRICE_BATCH]
        marks = ", ".join(["%s"] * len(batch))
        sql = (
            "UPDATE caring_courtesycall SET amount = s.amount, first_due_date = s.first_due, "  # noqa: S608
            f"priority = {_priority('s.amount', 'caring_courtesycall.debtor_id')} "
            "FROM (SELECT l.call_id, SUM(i.open_balance) AS amount, "
            "      MIN(i.due_date) AS first_due "
            "      FROM caring_courtesycallinvoice l "
            "      JOIN portfolio_invoice i ON i.id = l.invoice_id "
            f"      WHERE l.call_id IN ({marks}) AND i.status IN ({INVOICE_PAYABLE}) "
            "      GROUP BY l.call_id) s "
            f"WHERE caring_courtesycall.id = s.call_id AND caring_courtesycall.status = {_PLANNED}"
        )
        updated += _execute(sql, list(batch))
    return updated


_PRICE_BATCH = 5000


def _chunk_bounds(policy: CaringPolicy, run_date: dt.date) -> list[tuple[int, int]]:
    """Keyset ranges of debtor ids, cut every CARING_PLAN_CHUNK_INVOICES payable invoices
    falling due in the window (every invoice a chunk may assign, call or link is one of them)."""
    end = window_end(run_date, policy.days_before_due, policy.client.country)
    # Invoices per transaction (settings.CARING_PLAN_CHUNK_INVOICES, default 100,000): a
    # 1,000,000-invoice client's five-business-day window (about 57,000 invoices) is one
    # chunk, measured at about 1 s in the steady state and 4 s on the first day; a worker
    # killed mid-run loses at most one chunk, and the next run does it again.
    size = settings.CARING_PLAN_CHUNK_INVOICES
    params: list[SqlValue] = [policy.client_id, run_date, end]
    with connection.cursor() as cursor:
        # Usually the whole window fits in one chunk. Counting it with the predicate of the
        # partial index portfolio_invoice_open_due (disputed included: an upper bound is enough
        # to size chunks) reads the index alone, not the window's scattered invoice pages.
        cursor.execute(
            "SELECT count(*) FROM portfolio_invoice WHERE client_id = %s AND due_date > %s "  # noqa: S608 (choice values)
            f"AND due_date <= %s AND status IN ({INVOICE_UNSETTLED})", params)
        if cursor.fetchone()[0] <= size:
            return [(0, _DEBTOR_ID_BOUND)]
        cursor.execute(
            "SELECT debtor_id, last_id FROM ("  # noqa: S608 (choice values)
            " SELECT debtor_id, ROW_NUMBER() OVER (ORDER BY debtor_id) AS position,"
            "        MAX(debtor_id) OVER () AS last_id"
            " FROM portfolio_invoice WHERE client_id = %s AND due_date > %s AND due_date <= %s"
            f" AND status IN ({INVOICE_PAYABLE})) w "
            "WHERE (position - 1) %% %s = 0 ORDER BY debtor_id", [*params, size])
        cuts = cursor.fetchall()
    if not cuts:
        return []
    starts = [debtor_id for debtor_id, _last in cuts]
    stops = [*starts[1:], cuts[0][1] + 1]
    return [(lo, hi) for lo, hi in zip(starts, stops, strict=True) if lo < hi]


# Above every debtor id (bigint primary keys): the one chunk of a window that fits in one.
_DEBTOR_ID_BOUND = 2**63 - 1


def _statistics_refresh(table: str, inserted: int) -> None:
    """ANALYZE a caring table after an insert that changed it by more than a fifth (always on
    the first run, whose tables have never been analysed): PostgreSQL otherwise plans the next
    step from an empty table's guesses and picks nested loops that are quadratic in the day's
    calls (29 s instead of 0.5 s for the first links of a 1,000,000-invoice client). Autovacuum
    would get there too, but only after the run."""
    if connection.vendor != "postgresql" or inserted < _ANALYZE_MIN_ROWS:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
        if row is None or row[0] < 0 or inserted > row[0] * 0.2:
            cursor.execute(f"ANALYZE {table}")


_ANALYZE_MIN_ROWS = 1000


def policy_plan_chunk(*, policy: CaringPolicy, run_date: dt.date, lo: int, hi: int,
                      result: PlanResult | None = None) -> PlanResult:
    """Plan debtors with ids in [lo, hi) for one policy: one transaction, safe to repeat."""
    result = result or PlanResult()
    now = timezone.now()
    with transaction.atomic():
        assigned = _assign(policy, run_date, lo, hi, now)
        _statistics_refresh("caring_caringassignment", assigned)
        if connection.vendor == "postgresql":
            new_calls, linked_to = _calls_and_links(policy, run_date, lo, hi, now)
        else:
            new_calls = _calls(policy, run_date, lo, hi, now)
            linked_to = _link(policy, run_date, lo, hi)
        _statistics_refresh("caring_courtesycall", len(new_calls))
        _statistics_refresh("caring_courtesycallinvoice", len(linked_to))
        calls_price(call_ids=set(linked_to) - set(new_calls))
    result.assigned += assigned
    result.calls += len(new_calls)
    result.linked += len(linked_to)
    result.chunks += 1
    return result


_CANCEL_REASON = "Paid, disputed or no longer callable before the call."


def _calls_cancel_paid(*, client_id: int | None, now: dt.datetime) -> int:
    """Cancel planned calls none of whose invoices is still payable."""
    # A correlated probe per planned call (caring_callinvoice_call, then the invoice's key)
    # costs what the planned calls cost: 0.25 s for 19,500 of them on a 1,000,000-invoice
    # client. Left to itself PostgreSQL turns NOT EXISTS into an anti-join that hashes the
    # client's whole invoice table (0.8 s there, and growing with the ledger); OFFSET 0 keeps
    # the subquery a probe. SQLite, which has no such rewrite, does not accept a bare OFFSET.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    client_filter = "" if client_id is None else " AND client_id = %s"
    sql = (
        f"UPDATE caring_courtesycall SET status = {_CANCELLED}, updated_at = %s, "  # noqa: S608
        f"cancel_reason = %s WHERE status = {_PLANNED}" + client_filter +
        " AND NOT EXISTS (SELECT 1 FROM caring_courtesycallinvoice l "  # noqa: S608 (choice values)
        "JOIN portfolio_invoice i ON i.id = l.invoice_id WHERE l.call_id = caring_courtesycall.id "
        f"AND i.status IN ({INVOICE_PAYABLE})" + fence + ")"
    )
    params: list[SqlValue] = [now, _CANCEL_REASON]
    if client_id is not None:
        params.append(client_id)
    return _execute(sql, params)


def calls_cancel_settled(*, client_id: int | None = None) -> int:
    """Cancel planned calls with nothing left to talk about: every invoice paid, disputed or
    written off, or the debtor now do-not-call, deceased, restricted (GDPR Art. 18) or under an
    account hold. The sweep task runs it every quarter of an hour.

    One UPDATE per reason rather than one over an OR of them: an EXISTS under OR cannot become
    a join or a probe, and PostgreSQL hashed every link and invoice of the client instead."""
    now = timezone.now()
    cancelled = _calls_cancel_paid(client_id=client_id, now=now)
    planned = CourtesyCall.objects.filter(status=CourtesyCall.Status.PLANNED)
    if client_id is not None:
        planned = planned.filter(client_id=client_id)
    for moot in (planned.filter(Q(debtor__do_not_call=True) | Q(debtor__deceased=True)
                                | Q(debtor__processing_restricted=True)),
                 planned.filter(contact.account_held(now))):
        cancelled += moot.update(status=CourtesyCall.Status.CANCELLED, updated_at=now,
                                 cancel_reason=_CANCEL_REASON)
    return cancelled


def _agent_count(client_id: int) -> int:
    return max(1, client_staff(client_id, roles=[Role.AGENT]).count())


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
    # The engine's evidence is kept once per debtor for this policy's plan of this day.
    run_key = f"caring plan {policy.pk} {run_date.isoformat()}"
    never = {call.pk for call in contact.slots_adjust(calls, run_key=run_key)}
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
             client_id: int | None = None,
             progress: Callable[[PlanResult, int], None] | None = None) -> PlanResult:
    """Plan every active policy for run_date. Idempotent; safe to kill and run again.

    `progress`, when given, is told the result so far and the number of policies after each
    policy (the plan page's progress bar reads what it records)."""
    now = now or timezone.now()
    result = PlanResult()
    active = CaringPolicy.objects.filter(active=True).select_related("client").order_by("id")
    if client_id is not None:
        active = active.filter(client_id=client_id)
    policies = list(active)
    for policy in policies:
        result.policies.append(policy.pk)
        for lo, hi in _chunk_bounds(policy, run_date):
            policy_plan_chunk(policy=policy, run_date=run_date, lo=lo, hi=hi, result=result)
        result.scheduled += calls_schedule(policy=policy, run_date=run_date, now=now)
        if progress is not None:
            progress(result, len(policies))
    logger.info("caring plan %s: %s", run_date, result)
    return result

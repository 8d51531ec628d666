"""Payment plans (piani di rientro): creation with equal or custom instalments and an optional
down payment, team-leader approval above the client's threshold, renegotiation that keeps
history, cancellation, and the judgement of instalments like promises (SPEC §3) with the
client's breach rule.

Every function takes keyword-only typed arguments, runs in one transaction and refuses bad
input with `DomainError` naming the problem, leaving the data as it was.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_noop

from access.errors import DomainError
from access.scoping import scope_to_user
from portfolio.models import Payment
from recovery.models import CollectionCase, CollectionContact, Instalment, PaymentPlan
from recovery.plan_models import PlanPolicy, plan_policy_for
from recovery.priority import cases_prioritise

logger = logging.getLogger(__name__)

__all__ = [
    "PLAN_BREACHED_POINTS", "PlanTerms", "instalments_evaluate", "instalments_schedule",
    "payment_plan_approve", "payment_plan_cancel", "payment_plan_create",
    "payment_plan_reject", "payment_plan_renegotiate",
]

CENT = Decimal("0.01")
MAX_INSTALMENTS = 120
# A breached plan puts its case above any expected loss, like a broken promise.
PLAN_BREACHED_POINTS = Decimal("1000000000")
PLAN_BREACHED_REASON = gettext_noop("Payment plan breached")
INSTALMENT_DUE_REASON = gettext_noop("Payment plan instalment falling due")
# Plans judged per batch: one read of their instalments, one of their debtors' payments.
EVALUATE_BATCH = 500

Status = PaymentPlan.Status
# Plans that still bind the debtor: a case has at most one of them.
LIVE = (Status.PROPOSED, Status.PENDING_APPROVAL, Status.ACTIVE)


@dataclass(frozen=True)
class PlanTerms:
    """What the debtor agreed: the total, the down payment (due on the start date), and either
    a number of equal instalments or the custom amounts, due monthly after it."""

    total: Decimal
    start_date: dt.date
    instalment_count: int | None = None
    amounts: Sequence[Decimal] | None = None
    down_payment: Decimal = Decimal("0")
    note: str = ""


def _money(value: object, name: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(f"{name} is not an amount.", code="bad_amount", field=name) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise DomainError(f"{name} has more than two decimals.", code="bad_amount", field=name)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError(f"{name} must be above zero.", code="bad_amount", field=name)
    return amount


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan → 28
    Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def instalments_schedule(terms: PlanTerms) -> list[tuple[int, dt.date, Decimal]]:
    """(number, due date, amount) of every instalment; number 0 is the down payment. Pure.

    Equal instalments split the rest after the down payment into cents: each gets the rest
    divided by the count rounded down to the cent, and the first instalments one cent more
    each until the sum is exact (100.00 in 3 → 33.34, 33.33, 33.33)."""
    total = _money(terms.total, "total")
    down = _money(terms.down_payment, "down_payment", allow_zero=True)
    if down >= total:
        raise DomainError("The down payment must be below the total.", code="bad_amount",
                          field="down_payment")
    rest = total - down
    if terms.amounts is not None:
        amounts = [_money(a, "amounts") for a in terms.amounts]
        if not amounts:
            raise DomainError("A custom plan needs at least one instalment.",
                              code="bad_instalments", field="amounts")
        if sum(amounts, Decimal("0")) != rest:
            raise DomainError(
                f"The instalments add up to {sum(amounts, Decimal('0'))}, not {rest} (the total "
                "less the down payment).", code="bad_instalments", field="amounts")
    else:
        count = terms.instalment_count
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise DomainError("Say how many instalments (at least one).",
                              code="bad_instalments", field="instalment_count")
        if count > MAX_INSTALMENTS:
            raise DomainError(f"At most {MAX_INSTALMENTS} instalments.",
                              code="bad_instalments", field="instalment_count")
        base = (rest / count).quantize(CENT, rounding=ROUND_DOWN)
        if base <= 0:
            raise DomainError("Too many instalments for this amount.", code="bad_instalments",
                              field="instalment_count")
        extra = int((rest - base * count) / CENT)
        amounts = [base + CENT if n < extra else base for n in range(count)]
    if len(amounts) > MAX_INSTALMENTS:
        raise DomainError(f"At most {MAX_INSTALMENTS} instalments.", code="bad_instalments",
                          field="amounts")
    schedule: list[tuple[int, dt.date, Decimal]] = []
    first = 0
    if down:
        schedule.append((0, terms.start_date, down))
        first = 1  # instalments start a month after the down payment
    schedule += [(n + 1, _add_months(terms.start_date, first + n), amount)
                 for n, amount in enumerate(amounts)]
    return schedule


def _in_scope(obj: Any, by: Any, perm: str, message: str) -> None:
    if not by.is_authenticated or not by.has_perm(perm):
        raise DomainError(message, code="forbidden")
    model = type(obj)
    if not scope_to_user(model.objects.filter(pk=obj.pk), by).exists():
        raise DomainError("This is not one of your clients'.", code="forbidden")


def _plan_write(*, case: CollectionCase, terms: PlanTerms, by: Any, now: dt.datetime,
                contact: CollectionContact | None, supersedes: PaymentPlan | None,
                policy: PlanPolicy) -> PaymentPlan:
    schedule = instalments_schedule(terms)
    total = _money(terms.total, "total")
    note = terms.note.strip()
    if len(note) > 500:
        raise DomainError("The note is too long (500 characters at most).", code="bad_note",
                          field="note")
    # The debtor does not agree to pay more than is overdue without a recorded reason
    # (interest, costs, invoices falling due inside the plan).
    if total > case.overdue_amount and not note:
        raise DomainError(
            f"The total {total} is above the overdue balance {case.overdue_amount}: say why "
            "in the note.", code="reason_required", field="note")
    if contact is not None and contact.case_id != case.pk:
        raise DomainError("The contact is not about this case.", code="bad_contact",
                          field="contact")
    needs_approval = total > policy.approval_threshold
    plan = PaymentPlan(
        client_id=case.client_id, debtor_id=case.debtor_id, case=case, total=total,
        down_payment=schedule[0][2] if schedule[0][0] == 0 else Decimal("0"),
        currency=case.currency, note=note, created_by=by, contact=contact,
        supersedes=supersedes,
        instalment_kind=(PaymentPlan.InstalmentKind.CUSTOM if terms.amounts is not None
                         else PaymentPlan.InstalmentKind.EQUAL),
        status=Status.PENDING_APPROVAL if needs_approval else Status.ACTIVE)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise DomainError("This case already has an active payment plan.",
                          code="plan_exists") from None
    Instalment.objects.bulk_create([
        Instalment(client_id=case.client_id, plan=plan, number=number, due_date=due,
                   amount=amount) for number, due, amount in schedule])
    if plan.status == Status.ACTIVE:
        _case_waits_for(plan, schedule[0][1], policy, now)
    return plan


def _case_waits_for(plan: PaymentPlan, due: dt.date, policy: PlanPolicy,
                    now: dt.datetime) -> None:
    """An active plan keeps the case out of the queue until its first instalment is judged
    (the evaluator then ends the wait, or puts the case back at the top on a breach)."""
    until = dt.datetime.combine(due + dt.timedelta(days=policy.grace_days + 1), dt.time(9),
                                tzinfo=timezone.get_current_timezone())
    CollectionCase.objects.filter(pk=plan.case_id, status=CollectionCase.Status.OPEN,
                                  assigned_agent__isnull=True).update(
        next_action_at=until, next_action_reason=INSTALMENT_DUE_REASON,
        updated_at=now)


def _case_locked(case: CollectionCase) -> CollectionCase:
    return CollectionCase.objects.select_for_update(of=("self",)).get(pk=case.pk)


@transaction.atomic
def payment_plan_create(*, case: CollectionCase, by: Any, terms: PlanTerms,
                        contact: CollectionContact | None = None,
                        now: dt.datetime | None = None) -> PaymentPlan:
    """Agree a plan on an open case. At or below the client's approval threshold it is active
    at once; above it, it waits for a team leader (`payment_plan_approve`)."""
    now = now or timezone.now()
    _in_scope(case, by, "recovery.add_paymentplan", "Your role does not agree payment plans.")
    case = _case_locked(case)
    if not case.is_open:
        raise DomainError("This case is closed.", code="case_closed")
    if PaymentPlan.objects.filter(case=case, status__in=LIVE).exists():
        raise DomainError("This case already has a plan: renegotiate or cancel it first.",
                          code="plan_exists")
    return _plan_write(case=case, terms=terms, by=by, now=now, contact=contact,
                       supersedes=None, policy=plan_policy_for(case.client_id))


def _plan_locked(plan: PaymentPlan) -> PaymentPlan:
    return (PaymentPlan.objects.select_for_update(of=("self",)).select_related("case")
            .get(pk=plan.pk))


@transaction.atomic
def payment_plan_approve(*, plan: PaymentPlan, by: Any,
                         now: dt.datetime | None = None) -> PaymentPlan:
    """A team leader approves a plan above the threshold: it becomes active. Whoever agreed
    the plan does not approve it."""
    now = now or timezone.now()
    _in_scope(plan, by, "recovery.approve_paymentplan",
              "Only a team leader or credit manager approves payment plans.")
    plan = _plan_locked(plan)
    if plan.status != Status.PENDING_APPROVAL:
        raise DomainError("This plan is not waiting for approval.", code="illegal_transition")
    if plan.created_by_id == by.pk:
        raise DomainError("A plan is approved by someone other than who agreed it.",
                          code="four_eyes")
    plan.status, plan.approved_by, plan.approved_at = Status.ACTIVE, by, now
    try:
        with transaction.atomic():
            plan.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    except IntegrityError:
        raise DomainError("This case already has an active payment plan.",
                          code="plan_exists") from None
    first = plan.instalments.order_by("number").first()
    if first is not None:
        _case_waits_for(plan, first.due_date, plan_policy_for(plan.client_id), now)
    return plan


def _close(plan: PaymentPlan, status: str, now: dt.datetime, note: str = "") -> None:
    plan.status, plan.closed_at = status, now
    fields = ["status", "closed_at", "updated_at"]
    if note:
        plan.note = (f"{plan.note}\n{note}" if plan.note else note)[:500]
        fields.append("note")
    plan.save(update_fields=fields)


@transaction.atomic
def payment_plan_reject(*, plan: PaymentPlan, by: Any, reason: str,
                        now: dt.datetime | None = None) -> PaymentPlan:
    """A team leader refuses a plan waiting for approval, saying why (SPEC §6: a human
    refuses a plan). The plan is cancelled and the case goes back to the queue."""
    now = now or timezone.now()
    _in_scope(plan, by, "recovery.approve_paymentplan",
              "Only a team leader or credit manager refuses payment plans.")
    plan = _plan_locked(plan)
    if plan.status != Status.PENDING_APPROVAL:
        raise DomainError("This plan is not waiting for approval.", code="illegal_transition")
    if not reason.strip():
        raise DomainError("Say why the plan is refused.", code="reason_required",
                          field="reason")
    _close(plan, Status.CANCELLED, now, f"Refused: {reason.strip()}")
    return plan


@transaction.atomic
def payment_plan_cancel(*, plan: PaymentPlan, by: Any, reason: str,
                        now: dt.datetime | None = None) -> PaymentPlan:
    """Cancel a plan that still binds (proposed, waiting or active), saying why; the case
    goes back to the queue now."""
    now = now or timezone.now()
    _in_scope(plan, by, "recovery.add_paymentplan", "Your role does not cancel payment plans.")
    plan = _plan_locked(plan)
    if plan.status not in LIVE:
        raise DomainError(f"A {plan.get_status_display().lower()} plan cannot be cancelled.",
                          code="illegal_transition")
    if not reason.strip():
        raise DomainError("Say why the plan is cancelled.", code="reason_required",
                          field="reason")
    _close(plan, Status.CANCELLED, now, f"Cancelled: {reason.strip()}")
    CollectionCase.objects.filter(pk=plan.case_id, assigned_agent__isnull=True).update(
        next_action_at=None, next_action_reason="", updated_at=now)
    return plan


@transaction.atomic
def payment_plan_renegotiate(*, plan: PaymentPlan, by: Any, terms: PlanTerms,
                             contact: CollectionContact | None = None,
                             now: dt.datetime | None = None) -> PaymentPlan:
    """Replace a plan by a new one: the old plan stays, status renegotiated, with its
    instalments as they were judged; the new one `supersedes` it and follows the same
    approval rule."""
    now = now or timezone.now()
    _in_scope(plan, by, "recovery.add_paymentplan", "Your role does not agree payment plans.")
    plan = _plan_locked(plan)
    renegotiable = (*LIVE, Status.BREACHED)
    if plan.status not in renegotiable:
        raise DomainError(f"A {plan.get_status_display().lower()} plan cannot be renegotiated.",
                          code="illegal_transition")
    case = _case_locked(plan.case)
    if not case.is_open:
        raise DomainError("This case is closed.", code="case_closed")
    _close(plan, Status.RENEGOTIATED, now)
    try:
        with transaction.atomic():
            return _plan_write(case=case, terms=terms, by=by, now=now, contact=contact,
                               supersedes=plan, policy=plan_policy_for(case.client_id))
    except IntegrityError:
        raise DomainError("This plan was renegotiated already.", code="already_renegotiated"
                          ) from None


# --- Judging instalments ---------------------------------------------------------------------


def _verdict(amount: Decimal, covered: Decimal) -> str:
    """SPEC §3 for promises, applied to an instalment: kept when covered in full, partially
    kept above 0, broken at 0."""
    if covered >= amount:
        return Instalment.Status.KEPT
    if covered > 0:
        return Instalment.Status.PARTIALLY_KEPT
    return Instalment.Status.BROKEN


def _covered(paid: Decimal, before: Decimal, amount: Decimal) -> Decimal:
    """What of an instalment payments cover when they pay instalments in order."""
    return max(Decimal("0"), min(amount, paid - before))


def instalments_evaluate(*, as_of: dt.date | None = None, client_id: int | None = None,
                         now: dt.datetime | None = None) -> dict[str, int]:
    """Judge the instalments of active plans whose grace days ended before `as_of`, apply the
    client's breach rule and complete plans whose instalments were all kept.

    Payments count from the day the plan was made, in the plan's currency, and pay its
    instalments in order (a payment above one instalment goes to the next). An instalment is
    judged on what was paid by its date + grace days. The plan is breached when
    `breach_missed_instalments` instalments were missed (broken or partially kept), or when
    one is still not covered `breach_days_late` days after its date; its case goes back to the
    top of the queue with the reason. Idempotent: a judged instalment is no longer pending and
    a breached or completed plan is no longer active. Keyset batches of EVALUATE_BATCH plans."""
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    counts: dict[str, int] = defaultdict(int)
    # Plans with something to look at: an instalment not kept whose date has passed (its
    # grace days, per client, are checked per instalment), pending or missed and maybe late.
    horizon = as_of - dt.timedelta(days=1)
    candidates = PaymentPlan.objects.filter(status=Status.ACTIVE).filter(
        Exists(Instalment.objects.filter(plan=OuterRef("pk"), due_date__lt=horizon)
               .exclude(status=Instalment.Status.KEPT))).order_by("pk")
    if client_id is not None:
        candidates = candidates.filter(client_id=client_id)
    last = 0
    while True:
        plans = list(candidates.filter(pk__gt=last)[:EVALUATE_BATCH])
        if not plans:
            break
        last = plans[-1].pk
        _evaluate_batch(plans, as_of, now, counts)
    return dict(counts)


def _evaluate_batch(plans: list[PaymentPlan], as_of: dt.date, now: dt.datetime,
                    counts: dict[str, int]) -> None:
    instalments: dict[int, list[Instalment]] = defaultdict(list)
    for each in Instalment.objects.filter(plan__in=plans).order_by("plan_id", "number"):
        instalments[each.plan_id].append(each)
    policies = {p.client_id: p for p in PlanPolicy.objects.filter(
        client_id__in={plan.client_id for plan in plans})}
    start = min(timezone.localdate(plan.created_at) for plan in plans)
    payments: dict[int, list[tuple[dt.date, str, Decimal]]] = defaultdict(list)
    for debtor_id, value_date, currency, amount in Payment.objects.filter(
            debtor_id__in={plan.debtor_id for plan in plans}, value_date__gte=start,
            value_date__lte=as_of).values_list("debtor_id", "value_date", "currency", "amount"):
        payments[debtor_id].append((value_date, currency, amount))
    judged: list[Instalment] = []
    breached: list[PaymentPlan] = []
    completed: list[PaymentPlan] = []
    waiting: dict[int, dt.date] = {}
    for plan in plans:
        policy = policies.get(plan.client_id) or PlanPolicy(client_id=plan.client_id)
        grace = dt.timedelta(days=policy.grace_days)
        made = timezone.localdate(plan.created_at)
        mine = [(day, amount) for day, currency, amount in payments[plan.debtor_id]
                if day >= made and currency == plan.currency]

        def paid_by(until: dt.date, mine: list[tuple[dt.date, Decimal]] = mine) -> Decimal:
            return sum((amount for day, amount in mine if day <= until), Decimal("0"))

        before = Decimal("0")
        late = False
        for each in instalments[plan.pk]:
            if each.status == Instalment.Status.PENDING and each.due_date + grace < as_of:
                covered = _covered(paid_by(each.due_date + grace), before, each.amount)
                each.status = _verdict(each.amount, covered)
                each.paid_amount = covered
                each.evaluated_at = now
                judged.append(each)
                counts[f"instalment_{each.status}"] += 1
            if (each.status != Instalment.Status.KEPT and each.status != Instalment.Status.PENDING
                    and (as_of - each.due_date).days > policy.breach_days_late
                    and _covered(paid_by(as_of), before, each.amount) < each.amount):
                late = True
            before += each.amount
        rows = instalments[plan.pk]
        missed = sum(1 for each in rows if each.status in (Instalment.Status.BROKEN,
                                                           Instalment.Status.PARTIALLY_KEPT))
        if missed >= policy.breach_missed_instalments or late:
            breached.append(plan)
        elif rows and all(each.status == Instalment.Status.KEPT for each in rows):
            completed.append(plan)
        else:
            upcoming = [each.due_date for each in rows if each.status == Instalment.Status.PENDING]
            if upcoming:
                waiting[plan.case_id] = min(upcoming) + grace + dt.timedelta(days=1)
    with transaction.atomic():
        Instalment.objects.bulk_update(judged, ["status", "paid_amount", "evaluated_at"],
                                       batch_size=1000)
        # Conditional on still being active: a plan cancelled or renegotiated meanwhile keeps
        # the status its user gave it.
        PaymentPlan.objects.filter(pk__in=[p.pk for p in breached], status=Status.ACTIVE).update(
            status=Status.BREACHED, closed_at=now, updated_at=now)
        PaymentPlan.objects.filter(pk__in=[p.pk for p in completed],
                                   status=Status.ACTIVE).update(
            status=Status.COMPLETED, closed_at=now, updated_at=now)
        counts["breached"] += len(breached)
        counts["completed"] += len(completed)
        tz = timezone.get_current_timezone()
        for case_id, day in waiting.items():
            CollectionCase.objects.filter(pk=case_id, status=CollectionCase.Status.OPEN,
                                          assigned_agent__isnull=True).update(
                next_action_at=dt.datetime.combine(day, dt.time(9), tzinfo=tz),
                next_action_reason=INSTALMENT_DUE_REASON, updated_at=now)
        if breached:
            _cases_to_the_top([p.case_id for p in breached], now)


def _cases_to_the_top(case_ids: list[int], now: dt.datetime) -> None:
    """A breached plan sends its case back to the queue now, above every case without one,
    with the reason in its explained priority."""
    cases = CollectionCase.objects.filter(pk__in=case_ids, status=CollectionCase.Status.OPEN)
    cases.filter(assigned_agent__isnull=True).update(
        next_action_at=None, next_action_reason=PLAN_BREACHED_REASON, updated_at=now)
    rows = list(cases)
    cases_prioritise(cases=rows, now=now)
    for case in rows:
        case.refresh_from_db(fields=["priority", "priority_reasons"])
        if any(r.get("code") == "plan_breached" for r in case.priority_reasons):
            continue
        case.priority += PLAN_BREACHED_POINTS
        case.priority_reasons = [*case.priority_reasons, {
            "code": "plan_breached", "label": PLAN_BREACHED_REASON,
            "value": str(PLAN_BREACHED_POINTS.quantize(Decimal("0.0001")))}]
    CollectionCase.objects.bulk_update(rows, ["priority", "priority_reasons"], batch_size=1000)

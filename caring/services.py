"""Write use cases of caring: policies, claiming a courtesy call, recording its outcome and
closing the follow-up tasks it opened."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from access.errors import DomainError
from caring import contact, planning
from caring.models import BANDS, CaringPolicy, CaringTask, CourtesyCall, PlanRun
from portfolio import services as portfolio_services
from portfolio.models import Client, Invoice

logger = logging.getLogger(__name__)

# A claim not finished within this time is considered abandoned (browser closed, agent gone)
# and another agent may take the call over.
CLAIM_TIMEOUT = dt.timedelta(minutes=30)
PAYABLE = (Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID)


@dataclass
class PolicyData:
    segment: str = CaringPolicy.Segment.ALL
    days_before_due: int = 5
    min_amount: Decimal = Decimal("0")
    bands: str = "ABCDE"
    max_attempts: int = 3
    control_share: Decimal = Decimal("0.100")
    calls_per_agent_hour: int = 10
    active: bool = True


def _policy_data_clean(data: PolicyData) -> PolicyData:
    bands = "".join(sorted({band.upper() for band in data.bands if band.strip()}))
    if not bands or any(band not in BANDS for band in bands):
        raise DomainError("Risk bands must be letters among A, B, C, D and E (at least one).",
                          code="bad_bands", field="bands")
    if data.segment not in CaringPolicy.Segment.values:
        raise DomainError(f"Unknown segment {data.segment!r}.", code="bad_segment",
                          field="segment")
    if not 1 <= int(data.days_before_due) <= 30:
        raise DomainError("Business days before the due date must be between 1 and 30.",
                          code="bad_days", field="days_before_due")
    if not 1 <= int(data.max_attempts) <= 10:
        raise DomainError("Maximum attempts must be between 1 and 10.", code="bad_attempts",
                          field="max_attempts")
    share = Decimal(data.control_share)
    if not Decimal("0") <= share <= Decimal("0.5"):
        raise DomainError("The control group share must be between 0 and 0.5 (50%).",
                          code="bad_control_share", field="control_share")
    if not 1 <= int(data.calls_per_agent_hour) <= 60:
        raise DomainError("Calls per agent per hour must be between 1 and 60.",
                          code="bad_capacity", field="calls_per_agent_hour")
    amount = portfolio_services.money_parse(data.min_amount, field_name="min_amount")
    return PolicyData(segment=data.segment, days_before_due=int(data.days_before_due),
                      min_amount=amount, bands=bands, max_attempts=int(data.max_attempts),
                      control_share=share.quantize(Decimal("0.001")),
                      calls_per_agent_hour=int(data.calls_per_agent_hour),
                      active=bool(data.active))


def policy_create(*, client: Client, data: PolicyData) -> CaringPolicy:
    clean = _policy_data_clean(data)
    try:
        with transaction.atomic():
            return CaringPolicy.objects.create(client=client, **clean.__dict__)
    except IntegrityError:
        raise DomainError(f"{client} already has a caring policy for this segment; edit it.",
                          code="duplicate_policy", field="segment") from None


def policy_update(*, policy: CaringPolicy, data: PolicyData) -> CaringPolicy:
    clean = _policy_data_clean(data)
    for name, value in clean.__dict__.items():
        setattr(policy, name, value)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise DomainError("Another policy of this client already covers this segment.",
                          code="duplicate_policy", field="segment") from None
    return policy


def call_claim(*, call: CourtesyCall, user: User,
               now: dt.datetime | None = None) -> CourtesyCall:
    """Claim the call for `user` with one conditional UPDATE: exactly one agent wins.

    Free calls (planned, not kept for another agent) and claims abandoned for CLAIM_TIMEOUT can
    be taken; re-opening one's own claim is allowed.
    """
    now = now or timezone.now()
    claimable = (
        Q(status=CourtesyCall.Status.PLANNED)
        & (Q(assigned_to__isnull=True) | Q(assigned_to=user))
    ) | Q(status=CourtesyCall.Status.IN_PROGRESS, claimed_by=user) | Q(
        status=CourtesyCall.Status.IN_PROGRESS, claimed_at__lt=now - CLAIM_TIMEOUT)
    won = CourtesyCall.objects.filter(claimable, pk=call.pk).update(
        status=CourtesyCall.Status.IN_PROGRESS, claimed_by=user, claimed_at=now, updated_at=now)
    if won != 1:
        raise DomainError("Another agent is working this call, or it is closed.",
                          code="already_claimed", field=None)
    call.refresh_from_db()
    return call


def _payable_invoices(call: CourtesyCall) -> list[Invoice]:
    return list(call.invoices.filter(status__in=PAYABLE).order_by("due_date", "id"))


def _tasks_open(call: CourtesyCall, kind: str, user: User, note: str) -> None:
    CaringTask.objects.bulk_create(
        [CaringTask(client_id=call.client_id, call=call, invoice=invoice, kind=kind, note=note,
                    created_by=user) for invoice in call.invoices.all()],
        ignore_conflicts=True,
    )


@transaction.atomic
def call_outcome_record(*, call: CourtesyCall, user: User, outcome: str,
                        payment_date: dt.date | None = None,
                        callback_at: dt.datetime | None = None, note: str = "",
                        now: dt.datetime | None = None) -> CourtesyCall:
    """Record what the call found and apply its side effect. Only the claiming agent may."""
    now = now or timezone.now()
    call = CourtesyCall.objects.select_for_update().select_related("policy", "debtor").get(
        pk=call.pk)
    if call.status != CourtesyCall.Status.IN_PROGRESS or call.claimed_by_id != user.pk:
        raise DomainError("Open the call first: only the agent working it records its outcome.",
                          code="not_claimed", field=None)
    if outcome not in CourtesyCall.Outcome.values:
        raise DomainError(f"Unknown outcome {outcome!r}.", code="bad_outcome", field="outcome")
    Outcome = CourtesyCall.Outcome
    if outcome == Outcome.PAYMENT_DATE and payment_date is None:
        raise DomainError("Say on which date the debtor will pay.", code="payment_date_missing",
                          field="payment_date")
    if outcome == Outcome.CALLBACK and (callback_at is None or callback_at <= now):
        raise DomainError("A callback needs a time in the future.", code="callback_time",
                          field="callback_at")

    call.attempts += 1
    call.outcome = outcome
    call.note = note
    call.claimed_by = None
    call.claimed_at = None
    call.status = CourtesyCall.Status.DONE
    call.completed_at = now
    contact.attempt_record(call=call, user=user, outcome=outcome, at=now)

    if outcome == Outcome.NOT_RECEIVED:
        _tasks_open(call, CaringTask.Kind.RESEND, user, note)
    elif outcome == Outcome.DATA_WRONG:
        _tasks_open(call, CaringTask.Kind.CORRECT, user, note)
    elif outcome == Outcome.DISPUTE:
        for invoice in _payable_invoices(call):
            portfolio_services.invoice_dispute_open(invoice=invoice)
    elif outcome == Outcome.PAYMENT_DATE:
        call.payment_date = payment_date
    elif outcome == Outcome.CALLBACK:
        # SPEC §2: a callback with consent is scheduled for the same agent.
        call.status = CourtesyCall.Status.PLANNED
        call.completed_at = None
        call.callback_at = callback_at
        call.scheduled_at = callback_at
        call.assigned_to = user
    elif outcome == Outcome.UNREACHABLE:
        if call.attempts >= call.policy.max_attempts:
            call.status = CourtesyCall.Status.FAILED
        else:
            _retry(call, now)
    elif outcome == Outcome.WRONG_NUMBER:
        # The number is flagged on the debtor's record; another number of theirs is tried
        # within the attempts the policy allows, else the call ends here.
        has_other = contact.wrong_number_report(call=call, user=user, at=now)
        if has_other and call.attempts < call.policy.max_attempts:
            _retry(call, now)
    call.save()
    return call


def _retry(call: CourtesyCall, now: dt.datetime) -> None:
    """Back to the queue at the engine's next permitted time for the debtor's number."""
    call.status = CourtesyCall.Status.PLANNED
    call.completed_at = None
    retry_at, reason = contact.next_attempt_at(call=call, after=now)
    call.scheduled_at = retry_at
    call.schedule_reason = reason
    call.destination = contact.call_destination(call)


def task_complete(*, task: CaringTask, user: User, note: str = "") -> CaringTask:
    """Mark a follow-up task (resend, correct) done, with who and when. One conditional UPDATE:
    two people closing the same task at once close it once, and the second is told."""
    note = note.strip()
    if len(note) > 2000:
        raise DomainError("The note is too long (2,000 characters at most).", field="note")
    now = timezone.now()
    changes: dict[str, object] = {"status": CaringTask.Status.DONE, "done_by": user,
                                  "done_at": now}
    if note:
        changes["note"] = f"{task.note}\n{note}".strip() if task.note else note
    closed = CaringTask.objects.filter(pk=task.pk, status=CaringTask.Status.OPEN).update(
        **changes)
    if not closed:
        raise DomainError("This task was already marked done.", code="task_done")
    task.refresh_from_db()
    return task


# --- Planning runs ("Plan now") ----------------------------------------------------------------

# A run still queued or running after this long lost its worker (the planner task's hard time
# limit is 30 minutes): a new request replaces it instead of waiting for it for ever.
PLAN_RUN_STALE = dt.timedelta(minutes=35)


def plan_runs_request(*, clients: Iterable[Client], user: User | None,
                      run_date: dt.date | None = None,
                      enqueue: bool = True) -> list[PlanRun]:
    """Ask for a planner run for each client, or return the run already waiting or running
    for it (a second click plans nothing twice). With `enqueue`, each new run is handed to a
    worker once the transaction commits; without, the caller runs them (plan_run_execute)."""
    now = timezone.now()
    run_date = run_date or timezone.localdate()
    client_ids = sorted({client.pk for client in clients})
    with transaction.atomic():
        PlanRun.objects.filter(client_id__in=client_ids, status__in=PlanRun.OPEN_STATUSES,
                               created_at__lt=now - PLAN_RUN_STALE).update(
            status=PlanRun.Status.FAILED, finished_at=now,
            message="No worker finished this run; a new one replaced it.")
        existing = set(PlanRun.objects.filter(client_id__in=client_ids,
                                              status__in=PlanRun.OPEN_STATUSES)
                       .values_list("id", flat=True))
        # ON CONFLICT DO NOTHING on caring_planrun_open_once: two simultaneous clicks make
        # one run per client.
        PlanRun.objects.bulk_create(
            [PlanRun(client_id=client_id, run_date=run_date, requested_by=user)
             for client_id in client_ids], ignore_conflicts=True)
        runs = list(PlanRun.objects.filter(client_id__in=client_ids,
                                           status__in=PlanRun.OPEN_STATUSES)
                    .select_related("client").order_by("client_id"))
        new_ids = [run.pk for run in runs if run.pk not in existing]
        if enqueue:
            from caring.tasks import plan_run_task

            for run_id in new_ids:
                transaction.on_commit(partial(plan_run_task.delay, run_id))
    return runs


def plan_run_execute(*, run_id: int, resume: bool = False) -> PlanRun | None:
    """Run the planner for a queued run, recording its progress where the plan page reads it.
    Returns None when another worker has the run or it is over.

    `resume`: the broker redelivered the task because its worker died mid-run; the run is
    still marked running, and is taken over (the planner does only what is left)."""
    now = timezone.now()
    claimable = Q(status=PlanRun.Status.QUEUED)
    if resume:
        claimable |= Q(status=PlanRun.Status.RUNNING)
    claimed = PlanRun.objects.filter(claimable, pk=run_id).update(
        status=PlanRun.Status.RUNNING, started_at=now)
    if not claimed:
        return None
    run = PlanRun.objects.get(pk=run_id)

    def progress(result: planning.PlanResult, total: int) -> None:
        PlanRun.objects.filter(pk=run_id).update(
            policies_total=total, policies_done=len(result.policies),
            assigned=result.assigned, calls=result.calls, scheduled=result.scheduled)

    try:
        result = planning.plan_run(run_date=run.run_date, client_id=run.client_id,
                                   progress=progress)
    except Exception as error:
        logger.exception("planning run %s failed", run_id)
        PlanRun.objects.filter(pk=run_id).update(
            status=PlanRun.Status.FAILED, finished_at=timezone.now(),
            message=f"{type(error).__name__}: {error}"[:500])
        raise
    PlanRun.objects.filter(pk=run_id).update(
        status=PlanRun.Status.DONE, finished_at=timezone.now(),
        policies_total=len(result.policies), policies_done=len(result.policies),
        assigned=result.assigned, calls=result.calls, scheduled=result.scheduled)
    run.refresh_from_db()
    return run

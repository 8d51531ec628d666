"""Write use cases of the collections desk: opening and refreshing cases, prioritising them,
claiming the next case, recording a contact's outcome with its side effects, judging promises
and moving a case between stages.

Every function takes keyword-only typed arguments, runs in its own transaction when it touches
several rows, and refuses bad input with one `DomainError` naming the problem.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_noop

from access.errors import DomainError
from access.roles import Role
from access.scoping import access_for, access_prefetch, scope_to_user
from compliance import services as compliance_services
from compliance.engine import Decision, can_contact_many
from compliance.models import ContactDecision, ContactHold, ContactRestriction
from compliance.rules import WEEKDAYS
from portfolio import services as portfolio_services
from portfolio.models import Client, Invoice, Payment
from recovery import opening
from recovery.models import (
    NOTES_MAX,
    AgentSkills,
    Callback,
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    DisputedInvoice,
    PromiseToPay,
)
from recovery.priority import cases_prioritise

logger = logging.getLogger(__name__)

__all__ = [
    "CLAIM_LEASE", "ContactData", "Skills", "agent_skills", "amicable_attempts", "case_claim",
    "case_claim_extend", "case_claim_next", "case_escalate", "case_release", "cases_open",
    "cases_prioritise", "client_cases_run", "contact_outcome_record", "dispute_log",
    "promises_evaluate", "queue_candidates",
]

# A claim is a lease: an agent who closes the browser or goes home gives the case back to the
# queue when the lease lapses. The workspace extends it while the agent works the case.
CLAIM_LEASE = dt.timedelta(minutes=20)
# A callback waits for the agent who agreed it this long after its time; then any agent of the
# team may make it rather than let the debtor wait (the agent may be off sick).
CALLBACK_KEPT_FOR = dt.timedelta(minutes=30)
# case_claim_next reads candidates in rounds, each one short transaction: the best case alone
# first (the usual claim: one locked read, one facts load, two writes), then twice as many each
# time a round held only cases the contact engine denies now (they are postponed and leave the
# queue). At most CLAIM_ROUNDS rounds (1 + 2 + ... + 64 = 127 cases) per request: when the call
# window has just closed, the queue is postponed in bounded steps, never in one long request.
CLAIM_FIRST_BATCH = 1
CLAIM_ROUNDS = 7
# When the engine denies a contact and names no next time (a hold without an end, an opt-out)
# the case is looked at again after this long, in case something changed.
RECHECK_AFTER = dt.timedelta(days=1)
# After an attempt that reached nobody, and after a conversation with nothing agreed.
RETRY_AFTER_NO_CONTACT = dt.timedelta(hours=2)
RETRY_AFTER_CONVERSATION = dt.timedelta(days=1)
# Legal is the last resort: at least this many recorded contacts with the debtor first.
LEGAL_MIN_AMICABLE_ATTEMPTS = 3
CHANNEL_CALL = "call"
QUEUE_PURPOSE = "collections queue"


# --- Cases -----------------------------------------------------------------------------------


def cases_open(*, client_id: int, as_of: dt.date | None = None,
               chunk_debtors: int = opening.CHUNK_DEBTORS) -> opening.OpenResult:
    """Open a case for every debtor of the client with overdue payable invoices and no open
    case; refresh, hold and close the open ones (recovery/opening.py). Idempotent: a second run
    opens nothing; a run after an outage catches up. One transaction per chunk of debtors."""
    client = Client.objects.get(pk=client_id)
    as_of = as_of or timezone.localdate()
    result = opening.OpenResult()
    for lo, hi in opening.chunk_bounds(client_id, chunk_debtors):
        opening.cases_open_chunk(client=client, as_of=as_of, lo=lo, hi=hi, result=result)
    return result


def client_cases_run(*, client_id: int, as_of: dt.date | None = None,
                     now: dt.datetime | None = None) -> dict[str, int]:
    """The beat task's work for one client: open/refresh/close cases, then re-prioritise the
    open ones, chunk by chunk."""
    client = Client.objects.get(pk=client_id)
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    result = opening.OpenResult()
    prioritised = 0
    for lo, hi in opening.chunk_bounds(client_id):
        opening.cases_open_chunk(client=client, as_of=as_of, lo=lo, hi=hi, result=result)
        prioritised += cases_prioritise(client_id=client_id, lo=lo, hi=hi, now=now)
    counts = {"opened": result.opened, "refreshed": result.refreshed, "held": result.held,
              "released": result.released, "closed": result.closed, "prioritised": prioritised}
    logger.info("collections cases for client %s: %s", client_id, counts)
    return counts


def _case_refresh(case: CollectionCase, as_of: dt.date) -> None:
    """The opener's refresh, hold and close steps for one case (after a dispute)."""
    client = case.client
    opening.cases_open_chunk(client=client, as_of=as_of, lo=case.debtor_id,
                             hi=case.debtor_id + 1)


# --- The queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skills:
    """What an agent may work. Routing rule (documented in docs/collections.md):

    - clients: the agent's memberships (access.scoping), as for every other screen;
    - stage: first-level cases for every agent; second-level and complaint cases only for team
      leaders and agents marked for second level (AgentSkills.second_level, or the
      recovery.work_second_level permission); legal cases never come through the queue;
    - language and segment: the agent's AgentSkills lists; an empty list (or no row) means
      any language / both consumer and business.
    """

    stages: tuple[str, ...]
    languages: tuple[str, ...]
    segments: tuple[str, ...]

    def conditions(self) -> list[Q]:
        conditions = [Q(stage__in=self.stages)]
        if self.languages:
            conditions.append(Q(language__in=self.languages))
        if self.segments:
            conditions.append(Q(segment__in=self.segments))
        return conditions

    def filter(self, cases: QuerySet[CollectionCase]) -> QuerySet[CollectionCase]:
        return cases.filter(*self.conditions())


def agent_skills(agent: Any) -> Skills:
    # Three columns, not a model instance: every claim reads them.
    row = AgentSkills.objects.filter(user_id=agent.pk).values_list(
        "languages", "segments", "second_level").first()
    languages, segments, second_level = row if row is not None else ((), (), False)
    second = (access_for(agent).has_role(Role.TEAM_LEADER, Role.ADMINISTRATOR)
              or agent.has_perm("recovery.work_second_level") or second_level)
    Stage = CollectionCase.Stage
    stages = ((Stage.FIRST_LEVEL, Stage.SECOND_LEVEL, Stage.COMPLAINT) if second
              else (Stage.FIRST_LEVEL,))
    return Skills(stages=stages, languages=tuple(languages), segments=tuple(segments))


def _may_work(agent: Any) -> None:
    # The desk checks the agent's permissions, roles and clients on every request: one read.
    access_prefetch(agent)
    if not agent.is_authenticated or not agent.has_perm("recovery.work_case"):
        raise DomainError("Your role does not work collection cases.", code="forbidden")


def _claimable(agent: Any, now: dt.datetime) -> Q:
    """Free, lapsed, or already the agent's own claim."""
    return (Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now)
            | Q(claimed_by_id=agent.pk))


def queue_candidates(*, agent: Any, now: dt.datetime) -> QuerySet[CollectionCase]:
    """The open cases `agent` may take now, in no order (case_claim_next reads them best
    first: the agent's due callbacks in due order, then priority)."""
    cases = scope_to_user(CollectionCase.objects.all(), agent).filter(
        status=CollectionCase.Status.OPEN, on_hold=False)
    cases = agent_skills(agent).filter(cases)
    return cases.filter(_claimable(agent, now), _due(agent, now))


def _due(agent: Any, now: dt.datetime) -> Q:
    """Due now for `agent`: nothing to wait for, and not kept for another agent (a case kept
    for another agent waits for them until CALLBACK_KEPT_FOR has passed)."""
    return ((Q(next_action_at__isnull=True) | Q(next_action_at__lte=now))
            & (Q(assigned_agent__isnull=True) | Q(assigned_agent_id=agent.pk)
               | Q(next_action_at__lte=now - CALLBACK_KEPT_FOR)))


def _claim_and_kept(agent: Any, now: dt.datetime) -> tuple[int | None, bool]:
    """The agent's live claim, if any (the oldest), and whether any open case is kept for
    them: one narrow read of the two partial indexes (recovery_case_claimed,
    recovery_case_kept_for_agent). Usually there is neither: no case is loaded, and
    case_claim_next skips the locked read of the agent's kept cases. A case is kept for an
    agent by a contact that agent logs (contact_outcome_record), so one kept after this read
    is seen by the agent's next request, as it would be had it been kept a moment later."""
    own: tuple[dt.datetime, int] | None = None
    kept = False
    for pk, claimed_by, expires_at, claimed_at, assigned in CollectionCase.objects.filter(
            Q(claimed_by_id=agent.pk, claim_expires_at__gt=now) | Q(assigned_agent_id=agent.pk),
            status=CollectionCase.Status.OPEN).values_list(
                "pk", "claimed_by_id", "claim_expires_at", "claimed_at", "assigned_agent_id"):
        kept = kept or assigned == agent.pk
        if claimed_by != agent.pk or expires_at is None or expires_at <= now or (
                claimed_at is None):
            continue  # a case kept for the agent, not claimed by them
        if own is None or (claimed_at, pk) < own:
            own = (claimed_at, pk)
    return (own[1] if own is not None else None), kept


def _own_claim(pk: int) -> CollectionCase | None:
    return CollectionCase.objects.select_related("debtor", "client").filter(pk=pk).first()


def _lease(agent: Any, now: dt.datetime, decision_id: int | None) -> dict[str, object]:
    return {"claimed_by": agent, "claimed_at": now, "claim_expires_at": now + CLAIM_LEASE,
            "claim_decision_id": decision_id, "updated_at": now}


def _decisions(cases: list[CollectionCase], now: dt.datetime) -> dict[int, Decision]:
    return can_contact_many([case.debtor for case in cases], CHANNEL_CALL, now, record=False,
                            purpose=QUEUE_PURPOSE)


def _postpone(cases: list[tuple[CollectionCase, Decision]], agent: Any,
              now: dt.datetime) -> None:
    """Denied cases come back at the engine's next permitted time (or are looked at again
    after RECHECK_AFTER when it names none); their decisions are kept as evidence. One insert
    and one update, whatever the number of cases."""
    if not cases:
        return
    compliance_services.contact_decisions_record(
        decisions=[decision for _case, decision in cases], actor=agent, purpose=QUEUE_PURPOSE)
    when = [When(pk=case.pk, then=Value(decision.next_permitted_at or now + RECHECK_AFTER))
            for case, decision in cases]
    why = [When(pk=case.pk, then=Value(f"{','.join(decision.rule_ids)}: "
                                       f"{decision.reason}"[:300]))
           for case, decision in cases]
    CollectionCase.objects.filter(_claimable(agent, now), pk__in=[c.pk for c, _d in cases]).update(
        next_action_at=Case(*when, output_field=DateTimeField()),
        next_action_reason=Case(*why, output_field=CharField()), updated_at=now)


def _open_unheld() -> QuerySet[CollectionCase]:
    return CollectionCase.objects.filter(status=CollectionCase.Status.OPEN, on_hold=False)


def _candidates(agent: Any, skills: Skills, now: dt.datetime, size: int,
                skip: set[int], *, kept: bool = True) -> list[CollectionCase]:
    """Up to `size` cases `agent` may take now, best first, locked for this transaction on
    PostgreSQL (SKIP LOCKED: rows another agent is taking are passed over, never waited for).

    The agent's own due callbacks come first (recovery_case_kept_for_agent; not read when
    `kept` says no open case is kept for the agent), then each client's queue in priority
    order (recovery_case_queue, read only as deep as needed): never a sort of every open
    case."""
    # Every claim builds these reads, and each filter() copies the query built so far: the
    # conditions go in at once, and the kept cases' read is built only when it runs.
    free = [Q(status=CollectionCase.Status.OPEN, on_hold=False), *skills.conditions(),
            _claimable(agent, now), _due(agent, now)]
    if skip:
        free.append(~Q(pk__in=skip))
    client_ids = access_for(agent).client_ids

    def locked(*where: Q, order: tuple[str, ...], limit: int) -> list[CollectionCase]:
        return list(CollectionCase.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("debtor").filter(*free, *where).order_by(*order)[:limit])

    batch: list[CollectionCase] = []
    if kept:
        # In due order, the order of recovery_case_kept_for_agent: ordered by priority,
        # PostgreSQL would walk the whole queue index looking for the agent's few kept cases.
        mine = [Q(assigned_agent_id=agent.pk)]
        if client_ids is not None:
            mine.append(Q(client_id__in=list(client_ids)))
        batch = locked(*mine, order=("next_action_at", "id"), limit=size)
    if len(batch) == size:
        return batch
    others = [~Q(pk__in=[case.pk for case in batch])] if batch else []
    queue_order = ("-priority", "id")
    if client_ids is None:
        queued = locked(*others, order=queue_order, limit=size - len(batch))
    else:
        # One read per client, each an ordered scan of that client's queue index.
        queued = [case for client_id in sorted(client_ids)
                  for case in locked(*others, Q(client_id=client_id), order=queue_order,
                                     limit=size - len(batch))]
        queued.sort(key=lambda case: (-case.priority, case.pk))
    return batch + queued[:size - len(batch)]


def case_claim_next(*, agent: Any, now: dt.datetime | None = None) -> CollectionCase | None:
    """Give `agent` the best case they may work now, claimed for them, or None.

    An agent who already holds a live claim gets that case back. Otherwise candidates are
    read best first (_candidates) in rounds of growing size, each round one short transaction:
    the candidates are locked (SKIP LOCKED on PostgreSQL: an agent never waits for a row
    another agent is taking; it moves on to the next), the contact engine decides them
    together (one facts load), denied ones are postponed to their next permitted time (so they
    come back rather than drop), and the first allowed one is claimed with a conditional
    UPDATE that must change exactly one row (the guard on every database).
    """
    _may_work(agent)
    now = now or timezone.now()
    held, kept = _claim_and_kept(agent, now)
    own = _own_claim(held) if held is not None else None
    if own is not None:
        return own
    skills = agent_skills(agent)
    skip: set[int] = set()
    size = CLAIM_FIRST_BATCH
    for _round in range(CLAIM_ROUNDS):
        with transaction.atomic():
            batch = _candidates(agent, skills, now, size, skip, kept=kept)
            if not batch:
                return None
            decisions = _decisions(batch, now)
            denied = [(case, decisions[case.debtor_id]) for case in batch
                      if case.debtor_id in decisions and not decisions[case.debtor_id].allowed]
            _postpone(denied, agent, now)
            for case in batch:
                decision = decisions.get(case.debtor_id)
                if decision is not None and decision.allowed and _lease_take(
                        case, decision, agent, now):
                    return case
        skip.update(case.pk for case in batch)
        size *= 2
    return None


def _lease_take(case: CollectionCase, decision: Decision, agent: Any,
                now: dt.datetime) -> bool:
    """Record the decision and claim the case as it was read, inside the caller's transaction.

    The contact decision was taken on the case as it was read: it is claimed only if it is
    still due and nobody has worked it since (another agent may have claimed, called and
    released it meanwhile; calling it again would rest on a stale decision). On PostgreSQL the
    row is locked by the read, so the guard holds; on SQLite (no row locks) it may not, and
    the decision, evidence of no contact, is removed again."""
    stored = compliance_services.contact_decisions_record(
        decisions=[decision], actor=agent, purpose=QUEUE_PURPOSE)[0]
    lease = _lease(agent, now, stored.pk)
    taken = CollectionCase.objects.filter(
        _claimable(agent, now), _due(agent, now), pk=case.pk, status=CollectionCase.Status.OPEN,
        on_hold=False, last_contact_at=case.last_contact_at).update(**lease)
    if taken != 1:
        ContactDecision.objects.filter(pk=stored.pk).delete()
        return False
    for name, value in lease.items():
        setattr(case, name, value)
    return True


def _claim_one(case: CollectionCase, decision: Decision, agent: Any, now: dt.datetime) -> bool:
    """Claim one case read earlier, in its own transaction (locked first on PostgreSQL)."""
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _open_unheld().filter(
                pk=case.pk).select_for_update(skip_locked=True).values_list("pk", flat=True):
            return False
        return _lease_take(case, decision, agent, now)


def case_claim(*, case: CollectionCase, agent: Any,
               now: dt.datetime | None = None) -> CollectionCase:
    """Claim one named case (the workspace's "work this case"): exactly one agent wins.
    The contact rules are checked when the agent dials, not here: an inbound call may be
    worked whatever the outbound rules say."""
    _may_work(agent)
    now = now or timezone.now()
    skills = agent_skills(agent)
    if case.stage not in skills.stages:
        raise DomainError("This case is at a stage your role does not work.",
                          code="wrong_stage", field=None)
    updated = scope_to_user(CollectionCase.objects.all(), agent).filter(
        _claimable(agent, now), pk=case.pk, status=CollectionCase.Status.OPEN,
    ).update(**_lease(agent, now, None))
    if updated != 1:
        raise DomainError("Another agent is working this case, or it is closed.",
                          code="already_claimed")
    case.refresh_from_db()
    return case


def case_claim_extend(*, case: CollectionCase, agent: Any,
                      now: dt.datetime | None = None) -> CollectionCase:
    """Keep the lease alive while the agent works the case (the workspace calls this)."""
    now = now or timezone.now()
    updated = CollectionCase.objects.filter(
        pk=case.pk, claimed_by_id=agent.pk, claim_expires_at__gt=now,
        status=CollectionCase.Status.OPEN,
    ).update(claim_expires_at=now + CLAIM_LEASE, updated_at=now)
    if updated != 1:
        raise DomainError("Your claim on this case has lapsed; claim it again.",
                          code="not_claimed")
    case.refresh_from_db()
    return case


def case_release(*, case: CollectionCase, agent: Any, now: dt.datetime | None = None) -> None:
    """Give a claimed case back to the queue without recording anything."""
    now = now or timezone.now()
    CollectionCase.objects.filter(pk=case.pk, claimed_by_id=agent.pk).update(
        claimed_by=None, claimed_at=None, claim_expires_at=None, claim_decision=None,
        updated_at=now)


# --- Contacts and their outcomes -----------------------------------------------------------


@dataclass
class ContactData:
    """What the agent logs about one contact (SPEC §2), with the details its outcomes need."""

    attempt_result: str
    channel: str = CollectionContact.Channel.CALL
    direction: str = CollectionContact.Direction.OUTBOUND
    destination: str = ""
    party: str = ""
    outcomes: list[str] = field(default_factory=list)
    reason_for_non_payment: str = ""
    mood_start: str = ""
    mood_end: str = ""
    empathy_markers: list[str] = field(default_factory=list)
    next_step: str = CollectionContact.NextStep.NONE
    notes: str = ""
    # When the agent opened the case in the workspace (handle time runs from here); defaults
    # to the claim time.
    opened_at: dt.datetime | None = None
    do_not_survey: bool = False
    do_not_survey_reason: str = ""
    # promise_to_pay
    promise_amount: Decimal | None = None
    promise_date: dt.date | None = None
    # callback_requested
    callback_at: dt.datetime | None = None
    callback_consent: bool = False
    # dispute_logged
    dispute_invoice_ids: list[int] = field(default_factory=list)
    dispute_reason: str = ""
    dispute_detail: str = ""
    # inconvenient_time_set
    inconvenient_weekdays: list[str] = field(default_factory=list)
    inconvenient_from: dt.time | None = None
    inconvenient_to: dt.time | None = None
    # channel_opt_out
    opt_out_channel: str = ""


def _choice(value: str, choices: Any, name: str, *, blank: bool = True) -> str:
    if value == "" and blank:
        return value
    if value not in choices.values:
        raise DomainError(f"{value!r} is not a valid {name.replace('_', ' ')}.",
                          code=f"bad_{name}", field=name)
    return value


def _choices(values: list[str], choices: Any, name: str) -> list[str]:
    if not isinstance(values, list | tuple):
        raise DomainError(f"{name.replace('_', ' ').capitalize()} must be a list.",
                          code=f"bad_{name}", field=name)
    unknown = [v for v in values if v not in choices.values]
    if unknown:
        raise DomainError(f"Unknown {name.replace('_', ' ')}: {', '.join(map(str, unknown))}.",
                          code=f"bad_{name}", field=name)
    return list(dict.fromkeys(values))


def _contact_clean(data: ContactData, case: CollectionCase, now: dt.datetime) -> ContactData:
    Contact = CollectionContact
    Outcome = Contact.Outcome
    _choice(data.channel, Contact.Channel, "channel", blank=False)
    _choice(data.direction, Contact.Direction, "direction", blank=False)
    _choice(data.attempt_result, Contact.AttemptResult, "attempt_result", blank=False)
    _choice(data.party, Contact.Party, "party")
    _choice(data.reason_for_non_payment, Contact.NonPaymentReason, "reason_for_non_payment")
    _choice(data.mood_start, Contact.Mood, "mood_start")
    _choice(data.mood_end, Contact.Mood, "mood_end")
    _choice(data.next_step, Contact.NextStep, "next_step", blank=False)
    outcomes = _choices(data.outcomes, Outcome, "outcomes")
    markers = _choices(data.empathy_markers, Contact.EmpathyMarker, "empathy_markers")
    answered = data.attempt_result in (Contact.AttemptResult.ANSWERED,
                                       Contact.AttemptResult.DROPPED)
    if data.party and not answered:
        raise DomainError("Nobody answered, so no party was reached.", code="bad_party",
                          field="party")
    if outcomes and not answered:
        raise DomainError("An attempt nobody answered has no outcome.", code="bad_outcomes",
                          field="outcomes")
    if answered and not data.party:
        raise DomainError("Say who answered.", code="party_missing", field="party")
    right_party = data.party == Contact.Party.RIGHT_PARTY_VERIFIED
    about_debt = [o for o in outcomes if o in Contact.DEBT_OUTCOMES]
    if about_debt and not right_party:
        raise DomainError("Nothing about the debt is discussed before the right party is "
                          f"verified ({', '.join(about_debt)}).", code="not_right_party",
                          field="outcomes")
    if data.reason_for_non_payment and not right_party:
        raise DomainError("Only the verified debtor gives a reason for not paying.",
                          code="not_right_party", field="reason_for_non_payment")
    notes = data.notes.strip()
    if len(notes) > NOTES_MAX:
        raise DomainError(f"The notes are too long ({NOTES_MAX:,} characters at most).",
                          code="notes_too_long", field="notes")
    reason = data.do_not_survey_reason.strip()
    if data.do_not_survey and not reason:
        raise DomainError("Say why this debtor should not be surveyed.",
                          code="no_survey_reason", field="do_not_survey_reason")
    opened_at = data.opened_at or case.claimed_at or now
    if timezone.is_naive(opened_at):
        raise DomainError("The opening time needs a time zone.", code="naive_time",
                          field="opened_at")
    if opened_at > now:
        raise DomainError("The contact cannot have been opened in the future.",
                          code="bad_opened_at", field="opened_at")
    clean = replace(data, outcomes=outcomes, empathy_markers=markers, notes=notes,
                    do_not_survey_reason=reason if data.do_not_survey else "",
                    opened_at=opened_at)
    _outcome_details_check(clean, case, now)
    return clean


def _outcome_details_check(data: ContactData, case: CollectionCase, now: dt.datetime) -> None:
    Outcome = CollectionContact.Outcome
    if Outcome.PROMISE_TO_PAY in data.outcomes:
        try:
            amount = Decimal(str(data.promise_amount))
        except (InvalidOperation, ValueError):
            raise DomainError("A promise to pay needs an amount.", code="promise_amount",
                              field="promise_amount") from None
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise DomainError("The promised amount must be positive, in cents at most.",
                              code="promise_amount", field="promise_amount")
        if amount >= Decimal("1e12"):
            raise DomainError("The promised amount is impossibly large.",
                              code="promise_amount", field="promise_amount")
        if data.promise_date is None or data.promise_date < timezone.localdate(now):
            raise DomainError("A promise to pay needs a date from today on.",
                              code="promise_date", field="promise_date")
    if Outcome.CALLBACK_REQUESTED in data.outcomes:
        if data.callback_at is None or timezone.is_naive(data.callback_at) or (
                data.callback_at <= now):
            raise DomainError("A callback needs a time in the future.", code="callback_time",
                              field="callback_at")
        if not data.callback_consent:
            raise DomainError("A callback is scheduled only with the debtor's consent.",
                              code="callback_consent", field="callback_consent")
    if Outcome.DISPUTE_LOGGED in data.outcomes:
        _choice(data.dispute_reason, Dispute.Reason, "dispute_reason", blank=False)
        if not data.dispute_invoice_ids:
            raise DomainError("Name the invoices the debtor disputes.",
                              code="dispute_invoices", field="dispute_invoice_ids")
    if Outcome.INCONVENIENT_TIME_SET in data.outcomes:
        days = [day.lower()[:3] for day in data.inconvenient_weekdays]
        if any(day not in WEEKDAYS for day in days):
            raise DomainError("Week days are mon … sun.", code="bad_weekdays",
                              field="inconvenient_weekdays")
        if not days and data.inconvenient_from is None and data.inconvenient_to is None:
            raise DomainError("Say which days or hours are inconvenient.",
                              code="inconvenient_time", field="inconvenient_from")
    if Outcome.CHANNEL_OPT_OUT in data.outcomes:
        _choice(data.opt_out_channel, CollectionContact.Channel, "opt_out_channel",
                blank=False)


def _case_locked(case: CollectionCase) -> CollectionCase:
    return (CollectionCase.objects.select_for_update(of=("self",))
            .select_related("debtor", "client").get(pk=case.pk))


def _disputed_invoices(case: CollectionCase, ids: list[int]) -> list[Invoice]:
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise DomainError("Invoices are named by their ids.", code="dispute_invoices",
                          field="dispute_invoice_ids") from None
    invoices = list(Invoice.objects.select_for_update().filter(
        pk__in=wanted, debtor_id=case.debtor_id, client_id=case.client_id).order_by("pk"))
    if len(invoices) != len(wanted):
        raise DomainError("A disputed invoice is not this debtor's.", code="dispute_invoices",
                          field="dispute_invoice_ids")
    payable = {Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID}
    closed = [i.number for i in invoices if i.status not in payable or i.open_balance <= 0]
    if closed:
        raise DomainError(f"Only unpaid invoices can be disputed: {', '.join(closed)}.",
                          code="dispute_invoices", field="dispute_invoice_ids")
    return invoices


def dispute_log(*, case: CollectionCase, invoices: list[Invoice], reason: str, detail: str,
                by: Any, now: dt.datetime, contact: CollectionContact | None = None) -> Dispute:
    """Open a dispute on invoices of the case's debtor: each goes to status disputed, the
    contact engine gets a dispute hold naming them (no collection contact about them), and the
    case is refreshed (held when nothing else is overdue). Resolution: recovery/disputes.py."""
    hold = compliance_services.hold_place(
        debtor=case.debtor, kind=ContactHold.Kind.DISPUTE, reason=detail[:300] or reason,
        starts_at=now, invoice_ids=[i.pk for i in invoices], actor=by)
    dispute = Dispute.objects.create(
        client_id=case.client_id, debtor_id=case.debtor_id, case=case, reason=reason,
        detail=detail[:NOTES_MAX], opened_by=by, opened_at=now, contact=contact, hold=hold)
    try:
        with transaction.atomic():
            DisputedInvoice.objects.bulk_create([
                DisputedInvoice(client_id=case.client_id, dispute=dispute, invoice=invoice,
                                amount=invoice.open_balance) for invoice in invoices])
    except IntegrityError:
        raise DomainError("One of these invoices is already in an open dispute.",
                          code="already_disputed", field="dispute_invoice_ids") from None
    for invoice in invoices:
        portfolio_services.invoice_dispute_open(invoice=invoice)
    return dispute


def _apply_outcomes(case: CollectionCase, contact: CollectionContact, data: ContactData,
                    agent: Any, now: dt.datetime) -> PromiseToPay | None:
    """The side effects of the contact's outcomes; returns the promise it made, if any."""
    Outcome = CollectionContact.Outcome
    debtor = case.debtor
    outcomes = set(data.outcomes)
    promise = None
    if Outcome.PROMISE_TO_PAY in outcomes:
        # A new promise replaces the one still pending (kept as superseded, for the KPI).
        PromiseToPay.objects.filter(case=case, status=PromiseToPay.Status.PENDING).update(
            status=PromiseToPay.Status.SUPERSEDED)
        promise = PromiseToPay.objects.create(
            client_id=case.client_id, debtor_id=case.debtor_id, case=case,
            amount=Decimal(str(data.promise_amount)), currency=case.currency,
            promised_date=_promise_date(data), created_by=agent, contact=contact,
            created_at=now)
    if Outcome.DISPUTE_LOGGED in outcomes:
        invoices = _disputed_invoices(case, data.dispute_invoice_ids)
        dispute_log(case=case, invoices=invoices, reason=data.dispute_reason,
                    detail=data.dispute_detail.strip(), by=agent, now=now, contact=contact)
    if Outcome.VULNERABILITY_DISCLOSED in outcomes and not debtor.vulnerable:
        # The flag is the engine's vulnerability hold: no collection contact until a team
        # leader reviews it and clears it (SPEC §2: the vulnerability workflow starts).
        portfolio_services.debtor_flag_set(debtor=debtor, flag="vulnerable", value=True,
                                           by=agent)
    if Outcome.DECEASED_REPORTED in outcomes and not debtor.deceased:
        portfolio_services.debtor_flag_set(debtor=debtor, flag="deceased", value=True, by=agent)
    for outcome, kind in ((Outcome.CEASE_REQUESTED, ContactHold.Kind.CEASE_COMMUNICATION),
                          (Outcome.LAWYER_REPORTED, ContactHold.Kind.LAWYER),
                          (Outcome.INSOLVENCY_REPORTED, ContactHold.Kind.INSOLVENCY)):
        if outcome in outcomes:
            compliance_services.hold_place(debtor=debtor, kind=kind, starts_at=now,
                                           reason=f"Told to an agent on {now:%Y-%m-%d}.",
                                           actor=agent)
    if Outcome.CHANNEL_OPT_OUT in outcomes:
        compliance_services.restriction_add(
            debtor=debtor, kind=ContactRestriction.Kind.CHANNEL_OPT_OUT,
            channel=data.opt_out_channel, at=now, actor=agent, note=data.notes[:300])
    if Outcome.INCONVENIENT_TIME_SET in outcomes:
        compliance_services.restriction_add(
            debtor=debtor, kind=ContactRestriction.Kind.INCONVENIENT_TIME,
            weekdays=data.inconvenient_weekdays, not_before=data.inconvenient_from,
            not_after=data.inconvenient_to, at=now, actor=agent, note=data.notes[:300])
    if Outcome.COMPLAINT_LOGGED in outcomes and case.stage != CollectionCase.Stage.COMPLAINT:
        _stage_move(case=case, to_stage=CollectionCase.Stage.COMPLAINT, by=agent,
                    reason="Complaint logged during a contact.", now=now)
    return promise


def _attempt_record(case: CollectionCase, data: ContactData, agent: Any,
                    now: dt.datetime) -> Any:
    """Outbound contacts go into the engine's attempt record (its pacing counts them)."""
    if data.direction != CollectionContact.Direction.OUTBOUND:
        return None
    callback = CollectionContact.Outcome.CALLBACK_REQUESTED in data.outcomes
    return compliance_services.contact_attempt_record(
        debtor=case.debtor, channel=data.channel, destination=data.destination,
        started_at=data.opened_at or now, result=data.attempt_result, party=data.party,
        debt_ref=f"case-{case.pk}", consent_given_at=now if callback else None,
        follow_up_at=data.callback_at if callback else None, agent=agent)


def _next_action(case: CollectionCase, data: ContactData, promise: PromiseToPay | None,
                 now: dt.datetime) -> tuple[dt.datetime | None, str]:
    """When the case comes back to the queue, and why."""
    if CollectionContact.Outcome.CALLBACK_REQUESTED in data.outcomes:
        return data.callback_at, gettext_noop("Callback agreed with the debtor.")
    if promise is not None:
        # Not chased while the promise runs: back the morning after its grace days, when it
        # is judged (a broken promise puts it at the top then).
        day = promise.promised_date + dt.timedelta(days=promise.grace_days + 1)
        tz = zoneinfo.ZoneInfo(case.client.reporting_timezone)
        return (dt.datetime.combine(day, dt.time(9, 0), tzinfo=tz),
                gettext_noop("Waiting for the promised payment."))
    if data.party == CollectionContact.Party.RIGHT_PARTY_VERIFIED:
        return now + RETRY_AFTER_CONVERSATION, gettext_noop("Spoke with the debtor.")
    return now + RETRY_AFTER_NO_CONTACT, gettext_noop("Nobody reached; try again later.")


def _promise_date(data: ContactData) -> dt.date:
    # Checked when the outcome was validated; a promise without a date is never stored.
    if data.promise_date is None:
        raise DomainError("A promise to pay needs a date from today on.",
                          code="promise_date", field="promise_date")
    return data.promise_date


@transaction.atomic
def contact_outcome_record(*, case: CollectionCase, agent: Any, data: ContactData,
                           now: dt.datetime | None = None) -> CollectionContact:
    """Record one contact on a case and apply its outcomes' side effects (SPEC §2), in one
    transaction: a promise creates a PromiseToPay; a callback with consent is scheduled for the
    same agent; a dispute opens a Dispute and holds its invoices; a vulnerability disclosure
    sets the debtor's vulnerability hold; cease, lawyer and insolvency become account holds;
    a channel opt-out or an inconvenient time becomes a debtor restriction; a complaint moves
    the case to the complaint stage. The claim is released and the case re-prioritised.

    An outbound contact needs the agent's live claim on the case; an inbound one (the debtor
    called) may be logged by any agent of the client.
    """
    _may_work(agent)
    now = now or timezone.now()
    case = _case_locked(case)
    if not case.is_open:
        raise DomainError("This case is closed.", code="case_closed")
    if not access_for(agent).sees_client(case.client_id):
        raise DomainError("This case is not one of your clients'.", code="forbidden")
    outbound = data.direction == CollectionContact.Direction.OUTBOUND
    if outbound and (case.claimed_by_id != agent.pk or case.claim_expires_at is None
                     or case.claim_expires_at <= now):
        raise DomainError("Claim the case first: only the agent working it logs a call.",
                          code="not_claimed")
    data = _contact_clean(data, case, now)
    if not data.destination and data.channel == CollectionContact.Channel.CALL:
        phone = case.debtor.contact_points.filter(
            channel="phone", wrong_number_at__isnull=True).values_list("value", flat=True).first()
        data.destination = phone or ""
    attempt = _attempt_record(case, data, agent, now)
    opened_at = data.opened_at or now
    contact = CollectionContact.objects.create(
        client_id=case.client_id, debtor_id=case.debtor_id, case=case, channel=data.channel,
        direction=data.direction, destination=data.destination,
        attempt_result=data.attempt_result, party=data.party, outcomes=data.outcomes,
        reason_for_non_payment=data.reason_for_non_payment, mood_start=data.mood_start,
        mood_end=data.mood_end, empathy_markers=data.empathy_markers,
        next_step=data.next_step, notes=data.notes, agent=agent, opened_at=opened_at,
        saved_at=now, handle_seconds=int((now - opened_at).total_seconds()),
        do_not_survey=data.do_not_survey, do_not_survey_reason=data.do_not_survey_reason,
        decision_id=case.claim_decision_id if outbound else None, attempt=attempt)
    if data.party == CollectionContact.Party.WRONG_PARTY and data.destination:
        point = case.debtor.contact_points.filter(value=data.destination).first()
        if point is not None:
            portfolio_services.contact_point_wrong_number_report(point=point, by=agent, at=now)
    # A pending callback is done once anyone has spoken to the debtor on the case.
    if data.party == CollectionContact.Party.RIGHT_PARTY_VERIFIED or (
            CollectionContact.Outcome.CALLBACK_REQUESTED in data.outcomes):
        Callback.objects.filter(case=case, status=Callback.Status.PENDING).update(
            status=Callback.Status.DONE, done_at=now, contact=contact)
    promise = _apply_outcomes(case, contact, data, agent, now)
    next_at, why = _next_action(case, data, promise, now)
    keep_for = None
    if CollectionContact.Outcome.CALLBACK_REQUESTED in data.outcomes and data.callback_at:
        Callback.objects.create(client_id=case.client_id, case=case, agent=agent,
                                due_at=data.callback_at, consent_given_at=now,
                                contact=contact)
        keep_for = agent
    changes: dict[str, object] = {
        "assigned_agent": keep_for, "next_action_at": next_at, "next_action_reason": why,
        "last_contact_at": now, "updated_at": now}
    if case.claimed_by_id in (None, agent.pk):
        # The agent's own claim ends with the contact; an inbound call logged while another
        # agent holds the case leaves their claim alone.
        changes.update(claimed_by=None, claimed_at=None, claim_expires_at=None,
                       claim_decision=None)
    CollectionCase.objects.filter(pk=case.pk).update(**changes)
    if CollectionContact.Outcome.DISPUTE_LOGGED in data.outcomes:
        _case_refresh(case, timezone.localdate(now))
    if _CASE_REWRITTEN.intersection(data.outcomes):
        case.refresh_from_db()
    else:
        for name, value in changes.items():
            setattr(case, name, value)
    cases_prioritise(cases=[case], now=now)
    return contact


# Outcomes whose side effects rewrite the case row beyond the contact's own update (the
# dispute's refresh may hold or close it; a complaint moves its stage): the case is read again.
_CASE_REWRITTEN = frozenset({CollectionContact.Outcome.DISPUTE_LOGGED,
                             CollectionContact.Outcome.COMPLAINT_LOGGED})


# --- Promises --------------------------------------------------------------------------------


def _promise_verdict(promise: PromiseToPay, paid: Decimal) -> str:
    """SPEC §3: kept when payments reach amount x threshold; partially kept above 0; broken
    at 0."""
    if paid >= promise.amount * promise.threshold:
        return PromiseToPay.Status.KEPT
    if paid > 0:
        return PromiseToPay.Status.PARTIALLY_KEPT
    return PromiseToPay.Status.BROKEN


# Promises judged per batch: one read of the batch, one read of its debtors' payments in the
# window, one bulk update.
EVALUATE_BATCH = 2000


def promises_evaluate(*, as_of: dt.date | None = None, client_id: int | None = None,
                      now: dt.datetime | None = None) -> dict[str, int]:
    """Judge every pending promise whose grace days ended before `as_of` (SPEC §3): payments of
    the debtor, in the promise's currency, with value dates from the day it was made to its
    date + grace days. A broken promise puts its case back at the top of the queue; any judged
    promise ends the wait the promise had put on its case. Idempotent: judged promises are no
    longer pending."""
    now = now or timezone.now()
    as_of = as_of or timezone.localdate(now)
    counts: dict[str, int] = defaultdict(int)
    # The longest grace the constraint allows bounds the candidates from the index on
    # promised_date; the exact end (date + own grace) is checked per promise.
    pending = PromiseToPay.objects.filter(status=PromiseToPay.Status.PENDING,
                                          promised_date__lt=as_of).order_by("pk")
    if client_id is not None:
        pending = pending.filter(client_id=client_id)
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:EVALUATE_BATCH])
        if not batch:
            break
        last = batch[-1].pk
        due = [p for p in batch
               if p.promised_date + dt.timedelta(days=p.grace_days) < as_of]
        if not due:
            continue
        start = min(timezone.localdate(p.created_at) for p in due)
        end = max(p.promised_date + dt.timedelta(days=p.grace_days) for p in due)
        payments: dict[int, list[tuple[dt.date, str, Decimal]]] = defaultdict(list)
        for debtor_id, value_date, currency, amount in Payment.objects.filter(
                debtor_id__in={p.debtor_id for p in due}, value_date__gte=start,
                value_date__lte=end).values_list("debtor_id", "value_date", "currency",
                                                 "amount"):
            payments[debtor_id].append((value_date, currency, amount))
        for promise in due:
            first = timezone.localdate(promise.created_at)
            until = promise.promised_date + dt.timedelta(days=promise.grace_days)
            paid = sum((amount for day, currency, amount in payments[promise.debtor_id]
                        if first <= day <= until and currency == promise.currency),
                       Decimal("0"))
            promise.status = _promise_verdict(promise, paid)
            promise.paid_amount = paid if promise.status != PromiseToPay.Status.BROKEN else 0
            promise.evaluated_at = now
            counts[promise.status] += 1
        with transaction.atomic():
            PromiseToPay.objects.bulk_update(due, ["status", "paid_amount", "evaluated_at"],
                                             batch_size=1000)
            case_ids = {p.case_id for p in due}
            # The wait the promise put on the case ends; a case kept for a callback keeps it.
            CollectionCase.objects.filter(pk__in=case_ids, status=CollectionCase.Status.OPEN,
                                          assigned_agent__isnull=True).update(
                next_action_at=None, next_action_reason="", updated_at=now)
            cases_prioritise(cases=CollectionCase.objects.filter(pk__in=case_ids), now=now)
    return dict(counts)


# --- Escalation ------------------------------------------------------------------------------

Stage = CollectionCase.Stage
# Moves allowed by hand, besides legal (which has its own guard). Complaints go back to the
# level they came from once handled.
_MOVES = {
    Stage.FIRST_LEVEL: {Stage.SECOND_LEVEL, Stage.COMPLAINT},
    Stage.SECOND_LEVEL: {Stage.FIRST_LEVEL, Stage.COMPLAINT},
    Stage.COMPLAINT: {Stage.FIRST_LEVEL, Stage.SECOND_LEVEL},
    Stage.LEGAL: set(),
}


def amicable_attempts(*, case: CollectionCase) -> int:
    """Recorded contacts with the debtor on this client's cases (this one and earlier ones)."""
    return CollectionContact.objects.filter(client_id=case.client_id,
                                            debtor_id=case.debtor_id).count()


def _stage_move(*, case: CollectionCase, to_stage: str, by: Any, reason: str,
                now: dt.datetime, approved_by: Any = None,
                attempts: int = 0) -> CaseStageChange:
    change = CaseStageChange.objects.create(
        client_id=case.client_id, case=case, from_stage=case.stage, to_stage=to_stage,
        changed_by=by, reason=reason, approved_by=approved_by,
        approved_at=now if approved_by is not None else None, amicable_attempts=attempts)
    # Someone else works the case at its new level: the claim and a callback kept for the
    # agent end here (the callback itself stays, for whoever takes the case).
    CollectionCase.objects.filter(pk=case.pk).update(
        stage=to_stage, claimed_by=None, claimed_at=None, claim_expires_at=None,
        claim_decision=None, assigned_agent=None, updated_at=now)
    case.stage = to_stage
    return change


@transaction.atomic
def case_escalate(*, case: CollectionCase, to_stage: str, by: Any, reason: str = "",
                  approved_by: Any = None, now: dt.datetime | None = None) -> CaseStageChange:
    """Move a case to another stage. Legal is the last resort (DOMAIN step 3): it needs at
    least LEGAL_MIN_AMICABLE_ATTEMPTS recorded contacts and the approval of a credit manager
    (recovery.approve_legal) with a reason; a legal case does not come back."""
    now = now or timezone.now()
    case = _case_locked(case)
    if not case.is_open:
        raise DomainError("This case is closed.", code="case_closed")
    if not by.is_authenticated or not by.has_perm("recovery.escalate_case"):
        raise DomainError("Your role does not move cases between stages.", code="forbidden")
    if not scope_to_user(CollectionCase.objects.filter(pk=case.pk), by).exists():
        raise DomainError("This case is not one of your clients'.", code="forbidden")
    _choice(to_stage, CollectionCase.Stage, "to_stage", blank=False)
    reason = reason.strip()
    if len(reason) > 500:
        raise DomainError("The reason is too long (500 characters at most).", code="bad_reason",
                          field="reason")
    if to_stage == case.stage:
        raise DomainError("The case is already at this stage.", code="same_stage",
                          field="to_stage")
    if case.stage != Stage.FIRST_LEVEL and to_stage != Stage.LEGAL and not (
            Stage.SECOND_LEVEL in agent_skills(by).stages
            or by.has_perm("recovery.approve_legal")):
        raise DomainError("Only second-level staff move a case back from this stage.",
                          code="forbidden")
    if to_stage == Stage.LEGAL:
        if case.stage == Stage.LEGAL:
            raise DomainError("The case is already in legal.", code="same_stage")
        if not reason:
            raise DomainError("Legal action needs a reason.", code="reason_required",
                              field="reason")
        if approved_by is None or not approved_by.has_perm("recovery.approve_legal"):
            raise DomainError("Legal action needs the approval of a credit manager.",
                              code="approval_required", field="approved_by")
        if not scope_to_user(CollectionCase.objects.filter(pk=case.pk), approved_by).exists():
            raise DomainError("The approver does not work on this client.",
                              code="approval_required", field="approved_by")
        attempts = amicable_attempts(case=case)
        if attempts < LEGAL_MIN_AMICABLE_ATTEMPTS:
            raise DomainError(
                f"Legal is the last resort: {LEGAL_MIN_AMICABLE_ATTEMPTS} recorded amicable "
                f"attempts are needed first ({attempts} so far).", code="amicable_first")
        change = _stage_move(case=case, to_stage=to_stage, by=by, reason=reason, now=now,
                             approved_by=approved_by, attempts=attempts)
    else:
        if to_stage not in _MOVES[Stage(case.stage)]:
            raise DomainError("A legal case does not go back to collection.",
                              code="illegal_transition", field="to_stage")
        change = _stage_move(case=case, to_stage=to_stage, by=by, reason=reason, now=now)
    cases_prioritise(cases=[case], now=now)
    return change


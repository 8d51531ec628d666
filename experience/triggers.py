"""Transactional surveys scheduled after the events of SPEC §5 (the trigger run).

Events, for clients with an active transactional programme whose flag for the event is on:
- a collection contact answered by the right party (verified) with at least one outcome:
  never after a wrong party, a dropped or unanswered call or a voicemail;
- a courtesy call done with an outcome told by the right party (a callback is not the end of
  the call, and an unreachable debtor or a wrong number were not spoken to);
- a payment plan agreed (active at once, or approved; the event time is its approval);
- a case closed because nothing is overdue any more.

The run is set-based and safe to repeat: it reads the events of a look-back window
(EXPERIENCE_TRIGGER_LOOKBACK_HOURS, so a run after an outage catches up), skips events that
already have a survey, and inserts with ON CONFLICT DO NOTHING on the one-survey-per-event
constraints, so two runs at once never schedule an event twice either.

Sampling (`Programme.sample_share`) is a random draw that nobody chooses: a keyed hash of the
event (HMAC with the SECRET_KEY), uniform in [0, 1). It is the same draw on every run, so a
re-run neither adds the events it left out nor gives them a second chance.

Each survey is decided by `experience.suppression` as it is created: a suppressed one is kept
with status SUPPRESSED and the reason, which keeps the event from being looked at again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from caring.models import CourtesyCall
from compliance.models import ContactAttempt
from experience import suppression
from experience.models import Kind, Programme, Survey, Trigger
from recovery.models import CollectionCase, CollectionContact, PaymentPlan

# Events written into one transaction (facts read, surveys inserted). A batch costs about
# six queries whatever its size; 2,000 keeps each IN list and transaction short.
BATCH = 2000

# Courtesy-call outcomes told by the right party that end the call (caring/contact.py maps
# each outcome to its attempt result and party; a callback continues later).
COURTESY_OUTCOMES = (
    CourtesyCall.Outcome.RECEIVED_OK, CourtesyCall.Outcome.NOT_RECEIVED,
    CourtesyCall.Outcome.DATA_WRONG, CourtesyCall.Outcome.DISPUTE,
    CourtesyCall.Outcome.PAYMENT_DATE,
)
# A plan in one of these states was agreed at some point (proposed and waiting plans were not
# yet; a cancelled or rejected one never stood).
AGREED_PLAN = (
    PaymentPlan.Status.ACTIVE, PaymentPlan.Status.COMPLETED, PaymentPlan.Status.BREACHED,
    PaymentPlan.Status.RENEGOTIATED,
)

_RANK: dict[str, int] = {Trigger.COLLECTION_CONTACT: 0, Trigger.COURTESY_CALL: 1,
                         Trigger.PLAN_AGREED: 2, Trigger.CASE_CLOSED: 3}


@dataclass(frozen=True)
class Event:
    trigger: str
    key: int  # the event row's id, for the draw
    client_id: int
    debtor_id: int
    at: dt.datetime
    case_id: int | None = None
    contact_id: int | None = None
    courtesy_call_id: int | None = None
    agent_id: int | None = None
    strategy: str = ""
    language: str = ""
    do_not_survey: str | None = None


@dataclass
class TriggerResult:
    scheduled: int = 0
    suppressed: int = 0
    not_drawn: int = 0


def lookback() -> dt.timedelta:
    return dt.timedelta(hours=settings.EXPERIENCE_TRIGGER_LOOKBACK_HOURS)


def drawn(share: float, trigger: str, key: int) -> bool:
    """The event's random draw against the programme's share (1 = every eligible event)."""
    if share >= 1:
        return True
    digest = hmac.new(settings.SECRET_KEY.encode(), f"experience:{trigger}:{key}".encode(),
                      hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _programmes(client_id: int | None) -> dict[int, Programme]:
    programmes = Programme.objects.filter(kind=Kind.TRANSACTIONAL, active=True)
    if client_id is not None:
        programmes = programmes.filter(client_id=client_id)
    return {programme.client_id: programme for programme in programmes}


def _clients(programmes: dict[int, Programme], flag: str) -> list[int]:
    return sorted(cid for cid, programme in programmes.items() if getattr(programme, flag))


def _contact_events(clients: list[int], since: dt.datetime, now: dt.datetime) -> Iterator[Event]:
    contacts: QuerySet[CollectionContact] = (
        CollectionContact.objects
        .filter(client_id__in=clients, saved_at__gte=since, saved_at__lte=now,
                attempt_result=CollectionContact.AttemptResult.ANSWERED,
                party=CollectionContact.Party.RIGHT_PARTY_VERIFIED)
        .exclude(outcomes=[])
        .filter(~Exists(Survey.objects.filter(contact_id=OuterRef("pk"))))
        .order_by("saved_at", "pk"))
    for row in contacts.values_list("pk", "client_id", "debtor_id", "saved_at", "case_id",
                                    "agent_id", "case__strategy", "debtor__language",
                                    "do_not_survey", "do_not_survey_reason").iterator(BATCH):
        pk, client_id, debtor_id, at, case_id, agent_id, strategy, language, dns, why = row
        yield Event(Trigger.COLLECTION_CONTACT, pk, client_id, debtor_id, at, case_id=case_id,
                    contact_id=pk, agent_id=agent_id, strategy=strategy, language=language,
                    do_not_survey=why if dns else None)


def _courtesy_events(clients: list[int], since: dt.datetime,
                     now: dt.datetime) -> Iterator[Event]:
    # The agent who recorded the outcome: its attempt record carries the same time
    # (caring.services.call_outcome_record), since the call's claim is cleared when done.
    agent = (ContactAttempt.objects
             .filter(debtor_id=OuterRef("debtor_id"), channel="call",
                     started_at=OuterRef("completed_at"),
                     party=CollectionContact.Party.RIGHT_PARTY_VERIFIED)
             .order_by("-pk").values("agent_id")[:1])
    calls = (CourtesyCall.objects
             .filter(client_id__in=clients, status=CourtesyCall.Status.DONE,
                     outcome__in=COURTESY_OUTCOMES, completed_at__gte=since,
                     completed_at__lte=now)
             .filter(~Exists(Survey.objects.filter(courtesy_call_id=OuterRef("pk"))))
             .annotate(agent_id=Coalesce(Subquery(agent), F("assigned_to_id"),
                                         output_field=IntegerField()))
             .order_by("completed_at", "pk"))
    for pk, client_id, debtor_id, at, agent_id, language in calls.values_list(
            "pk", "client_id", "debtor_id", "completed_at", "agent_id",
            "debtor__language").iterator(BATCH):
        if at is None:  # not possible: the range filter excludes it
            continue
        yield Event(Trigger.COURTESY_CALL, pk, client_id, debtor_id, at, courtesy_call_id=pk,
                    agent_id=agent_id, language=language)


def _plan_events(clients: list[int], since: dt.datetime, now: dt.datetime) -> Iterator[Event]:
    plans = (PaymentPlan.objects
             .filter(client_id__in=clients, status__in=AGREED_PLAN)
             .annotate(agreed_at=Coalesce("approved_at", "created_at"))
             .filter(agreed_at__gte=since, agreed_at__lte=now)
             .filter(~Exists(Survey.objects.filter(case_id=OuterRef("case_id"),
                                                   trigger=Trigger.PLAN_AGREED)))
             .order_by("agreed_at", "pk"))
    seen: set[int] = set()
    for pk, client_id, debtor_id, at, case_id, agent_id, strategy, language in plans.values_list(
            "pk", "client_id", "debtor_id", "agreed_at", "case_id", "created_by_id",
            "case__strategy", "debtor__language").iterator(BATCH):
        if case_id in seen:  # a renegotiated plan in the same window: the first one counts
            continue
        seen.add(case_id)
        yield Event(Trigger.PLAN_AGREED, pk, client_id, debtor_id, at, case_id=case_id,
                    agent_id=agent_id, strategy=strategy, language=language)


def _closed_case_events(clients: list[int], since: dt.datetime,
                        now: dt.datetime) -> Iterator[Event]:
    # The case's agent: who last spoke with the debtor on it (a closed case has no assignee).
    agent = (CollectionContact.objects
             .filter(case_id=OuterRef("pk"), party=CollectionContact.Party.RIGHT_PARTY_VERIFIED)
             .order_by("-saved_at", "-pk").values("agent_id")[:1])
    cases = (CollectionCase.objects
             .filter(client_id__in=clients, status=CollectionCase.Status.CLOSED,
                     close_reason=CollectionCase.CloseReason.PAID, closed_at__gte=since,
                     closed_at__lte=now)
             .filter(~Exists(Survey.objects.filter(case_id=OuterRef("pk"),
                                                   trigger=Trigger.CASE_CLOSED)))
             .annotate(agent_id=Subquery(agent))
             .order_by("closed_at", "pk"))
    for pk, client_id, debtor_id, at, agent_id, strategy, language in cases.values_list(
            "pk", "client_id", "debtor_id", "closed_at", "agent_id", "strategy",
            "debtor__language").iterator(BATCH):
        if at is None:  # not possible: the range filter excludes it
            continue
        yield Event(Trigger.CASE_CLOSED, pk, client_id, debtor_id, at, case_id=pk,
                    agent_id=agent_id, strategy=strategy, language=language)


def events_list(*, now: dt.datetime, client_id: int | None = None,
                programmes: dict[int, Programme] | None = None) -> Iterator[Event]:
    """The look-back window's events that have no survey yet, for clients whose programme
    asks for them."""
    programmes = programmes if programmes is not None else _programmes(client_id)
    since = now - lookback()
    for flag, source in (("after_collection_contact", _contact_events),
                         ("after_courtesy_call", _courtesy_events),
                         ("after_plan_agreed", _plan_events),
                         ("after_case_closed", _closed_case_events)):
        clients = _clients(programmes, flag)
        if clients:
            yield from source(clients, since, now)


def _batches(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    iterator = iter(events)
    while batch := list(islice(iterator, size)):
        yield batch


def surveys_schedule(*, now: dt.datetime | None = None,
                     client_id: int | None = None) -> TriggerResult:
    """The trigger run: schedule (or record as suppressed) a transactional survey for every
    new eligible event of the look-back window."""
    now = now or timezone.now()
    programmes = _programmes(client_id)
    result = TriggerResult()
    if not programmes:
        return result
    # The events are read before any survey is written, so that the batches' inserts do not
    # change what the event queries (each excludes events with a survey) still have to read.
    events = list(events_list(now=now, programmes=programmes))
    for batch in _batches(events, BATCH):
        _schedule_batch(batch, programmes, now, result)
    return result


@transaction.atomic
def _schedule_batch(batch: list[Event], programmes: dict[int, Programme], now: dt.datetime,
                    result: TriggerResult) -> None:
    chosen: list[tuple[Event, Programme, dt.datetime]] = []
    for event in batch:
        programme = programmes[event.client_id]
        if not drawn(float(programme.sample_share), event.trigger, event.key):
            result.not_drawn += 1
            continue
        chosen.append((event, programme, event.at + dt.timedelta(
            minutes=programme.delay_minutes)))
    if not chosen:
        return
    dues = [due for _e, _p, due in chosen]
    facts = suppression.facts_load({event.debtor_id for event, _p, _d in chosen}, at=now,
                                   around=(min(dues), max(dues)))
    surveys = []
    # Earliest first; at the same time a contact goes before the plan or closing it led to.
    for event, programme, due_at in sorted(chosen, key=lambda item: (
            item[2], _RANK[item[0].trigger], item[0].key)):
        candidate = suppression.Candidate(debtor_id=event.debtor_id, kind=Kind.TRANSACTIONAL,
                                          at=due_at, do_not_survey=event.do_not_survey)
        reason = suppression.reason_for(candidate, facts)
        if reason:
            result.suppressed += 1
        else:
            facts.add(candidate)
            result.scheduled += 1
        surveys.append(Survey(
            client_id=event.client_id, programme=programme, debtor_id=event.debtor_id,
            kind=Kind.TRANSACTIONAL, trigger=event.trigger, case_id=event.case_id,
            contact_id=event.contact_id, courtesy_call_id=event.courtesy_call_id,
            agent_id=event.agent_id, strategy=event.strategy or "",
            language=event.language or "it",
            status=Survey.Status.SUPPRESSED if reason else Survey.Status.SCHEDULED,
            due_at=due_at, suppressed_reason=reason))
    Survey.objects.bulk_create(surveys, batch_size=500, ignore_conflicts=True)


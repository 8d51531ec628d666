"""Reads behind the collections desk's screens: the agent's day, the workspace's debtor story,
the team leader's control room and the debtor page's contact story.

Every queryset that reaches a user is scoped by access.scoping; each screen costs a fixed
number of queries whatever the size of the story (tests/recovery/test_screens.py counts them).
The story is capped per kind (STORY_LIMIT): the workspace shows the latest, the API pages the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import Avg, Count, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from access.roles import Role
from access.scoping import AnyUser, access_for, object_get_for_user, scope_to_user
from caring.models import CourtesyCall
from compliance.models import ContactOverride
from portfolio.models import Debtor, Invoice
from recovery.models import (
    Callback,
    CollectionCase,
    CollectionContact,
    Dispute,
    DisputedInvoice,
    PaymentPlan,
    PromiseToPay,
)

STORY_LIMIT = 40
# Courtesy calls that happened (an agent reached or tried the debtor): planned ones are not
# part of the story yet.
_CALLS_IN_STORY = (CourtesyCall.Status.DONE, CourtesyCall.Status.FAILED)


def _today_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Today in the desk's time zone, as a half-open interval."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def may_work_cases(user: AnyUser) -> bool:
    """Agents and team leaders work the queue (client viewers never do)."""
    return (user.has_perm("recovery.work_case")
            and not access_for(user).is_client_viewer)


def may_watch_desk(user: AnyUser) -> bool:
    """The control room is for team leaders and credit managers (SPEC: those who coach and own
    the collection strategy), and administrators."""
    return access_for(user).has_role(Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.ADMINISTRATOR)


def case_get_for_user(*, user: AnyUser, pk: object) -> CollectionCase:
    return object_get_for_user(
        CollectionCase.objects.select_related("debtor", "client", "claimed_by",
                                              "assigned_agent"), user, pk=pk)


# --- The agent's day --------------------------------------------------------------------------


@dataclass
class AgentDay:
    claimed: list[CollectionCase]
    callbacks: list[Callback]
    waiting: int
    contacts_today: int
    conversations_today: int
    promises_today: int


def agent_day(*, user: AnyUser, now: dt.datetime | None = None) -> AgentDay:
    """What the queue page shows an agent (5 queries)."""
    now = now or timezone.now()
    start, end = _today_bounds(now)
    cases = scope_to_user(CollectionCase.objects.filter(status=CollectionCase.Status.OPEN), user)
    claimed = list(cases.filter(claimed_by_id=user.pk, claim_expires_at__gt=now)
                   .select_related("debtor")[:5])
    callbacks = list(scope_to_user(Callback.objects.filter(
        agent_id=user.pk, status=Callback.Status.PENDING, due_at__lt=end), user)
        .select_related("case__debtor").order_by("due_at")[:30])
    waiting = cases.filter(
        Q(next_action_at__isnull=True) | Q(next_action_at__lte=now), on_hold=False,
    ).filter(Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now)).count()
    mine = scope_to_user(CollectionContact.objects.filter(
        agent_id=user.pk, saved_at__gte=start, saved_at__lt=end), user).aggregate(
        contacts=Count("id"),
        conversations=Count("id", filter=Q(party=CollectionContact.Party.RIGHT_PARTY_VERIFIED)))
    promises = scope_to_user(PromiseToPay.objects.filter(
        created_by_id=user.pk, created_at__gte=start, created_at__lt=end), user).count()
    return AgentDay(claimed=claimed, callbacks=callbacks, waiting=waiting,
                    contacts_today=mine["contacts"], conversations_today=mine["conversations"],
                    promises_today=promises)


# --- The debtor's story -----------------------------------------------------------------------


@dataclass
class StoryEntry:
    """One contact of any kind, in one shape for the timeline."""

    at: dt.datetime
    kind: str  # "collection" or "caring"
    channel: str
    direction: str
    who: str
    result: str
    party: str
    outcomes: list[str]
    reason: str
    notes: str
    mood: str = ""
    empathy: list[str] = field(default_factory=list)
    handle_seconds: int | None = None
    destination: str = ""


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _labels(values: list[str], choices: Any) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(value, value)) for value in values]


def debtor_story(*, user: AnyUser, debtor: Debtor) -> list[StoryEntry]:
    """Every contact with the debtor, newest first: the collections desk's contacts by every
    agent and channel, and caring's courtesy calls (2 queries). A client viewer reads what was
    said and agreed but not the staff's notes or the mood and empathy coaching fields."""
    staff = not access_for(user).is_client_viewer
    contacts = (scope_to_user(CollectionContact.objects.filter(debtor=debtor), user)
                .select_related("agent").order_by("-saved_at", "-id")[:STORY_LIMIT])
    calls = (scope_to_user(CourtesyCall.objects.filter(debtor=debtor,
                                                       status__in=_CALLS_IN_STORY), user)
             .select_related("claimed_by").order_by("-completed_at", "-id")[:STORY_LIMIT])
    moods = dict(CollectionContact.Mood.choices)
    entries = [
        StoryEntry(
            at=contact.saved_at, kind="collection", channel=contact.get_channel_display(),
            direction=contact.get_direction_display(), who=_user_name(contact.agent),
            result=contact.get_attempt_result_display(),
            party=contact.get_party_display() if contact.party else "",
            outcomes=_labels(contact.outcomes, CollectionContact.Outcome),
            reason=contact.get_reason_for_non_payment_display()
            if contact.reason_for_non_payment else "",
            notes=contact.notes if staff else "",
            mood=(f"{moods.get(contact.mood_start, '')} → {moods.get(contact.mood_end, '')}"
                  if staff and (contact.mood_start or contact.mood_end) else ""),
            empathy=_labels(contact.empathy_markers, CollectionContact.EmpathyMarker)
            if staff else [],
            handle_seconds=contact.handle_seconds if staff else None,
            destination=contact.destination)
        for contact in contacts
    ]
    entries += [
        StoryEntry(
            at=call.completed_at or call.updated_at, kind="caring",
            channel=str(CollectionContact.Channel.CALL.label),
            direction=str(CollectionContact.Direction.OUTBOUND.label),
            who=_user_name(call.claimed_by), result=call.get_status_display(), party="",
            outcomes=[call.get_outcome_display()] if call.outcome else [], reason="",
            notes=call.note if staff else "", destination=call.destination)
        for call in calls
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:STORY_LIMIT]


@dataclass
class Agreements:
    promises: list[PromiseToPay]
    plans: list[PaymentPlan]
    disputes: list[Dispute]


def debtor_agreements(*, user: AnyUser, debtor: Debtor) -> Agreements:
    """The debtor's promises, plans (with instalments) and disputes (with their invoices):
    5 queries."""
    promises = list(scope_to_user(PromiseToPay.objects.filter(debtor=debtor), user)
                    .order_by("-created_at", "-id")[:STORY_LIMIT])
    plans = list(scope_to_user(PaymentPlan.objects.filter(debtor=debtor), user)
                 .prefetch_related("instalments").order_by("-created_at", "-id")[:10])
    disputes = list(scope_to_user(Dispute.objects.filter(debtor=debtor), user)
                    .prefetch_related(Prefetch("links", queryset=DisputedInvoice.objects
                                               .select_related("invoice")))
                    .order_by("-opened_at", "-id")[:10])
    return Agreements(promises=promises, plans=plans, disputes=disputes)


@dataclass
class OverdueInvoice:
    invoice: Invoice
    days_overdue: int
    disputed: bool


def debtor_invoices(*, user: AnyUser, debtor: Debtor, today: dt.date,
                    limit: int = 30) -> list[OverdueInvoice]:
    """The debtor's unpaid invoices, oldest due first, with their days overdue (1 query)."""
    invoices = (scope_to_user(Invoice.objects.filter(debtor=debtor, open_balance__gt=0), user)
                .exclude(status__in=["paid", "cancelled", "written_off"])
                .annotate(open_disputes=Count("disputes", filter=Q(disputes__status="open")))
                .order_by("due_date", "id")[:limit])
    return [OverdueInvoice(invoice=invoice, days_overdue=(today - invoice.due_date).days,
                           disputed=invoice.open_disputes > 0 or invoice.status == "disputed")
            for invoice in invoices]


def situation_of(*, case: CollectionCase, story: list[StoryEntry],
                 agreements: Agreements) -> str:
    """Which conversation guide fits: an open dispute, then the last reason the debtor gave."""
    if any(dispute.status == Dispute.Status.OPEN for dispute in agreements.disputes):
        return "dispute"
    reasons = {
        str(CollectionContact.NonPaymentReason.FINANCIAL_DIFFICULTY.label): "hardship",
        str(CollectionContact.NonPaymentReason.CASH_FLOW_TIMING.label): "hardship",
        str(CollectionContact.NonPaymentReason.INVOICE_NOT_RECEIVED.label): "not_received",
        str(CollectionContact.NonPaymentReason.INVOICE_ERROR.label): "not_received",
        str(CollectionContact.NonPaymentReason.INVOICE_DISPUTED.label): "dispute",
        str(CollectionContact.NonPaymentReason.FORGOT.label): "forgot",
    }
    for entry in story:
        if entry.reason:
            return reasons.get(entry.reason, "first")
    return "first"


# --- Handle time ------------------------------------------------------------------------------

_OPENED_SALT = "recovery.workspace.opened"
# A workspace left open longer than this is stale: the agent reopens the case.
OPENED_MAX_AGE = dt.timedelta(hours=12)


def opened_token(*, case: CollectionCase, user: AnyUser, at: dt.datetime) -> str:
    """Signed proof of when this agent opened this case's workspace (handle time runs from it)."""
    return signing.dumps({"case": case.pk, "user": user.pk, "at": at.isoformat()},
                         salt=_OPENED_SALT)


def opened_at_from(token: str, *, case: CollectionCase, user: AnyUser) -> dt.datetime | None:
    """The opening time in `token`, or None when it is forged, stale or for another case."""
    try:
        data = signing.loads(token, salt=_OPENED_SALT,
                             max_age=OPENED_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("case") != case.pk or data.get("user") != user.pk:
        return None
    return dt.datetime.fromisoformat(data["at"])


# --- The control room -------------------------------------------------------------------------


@dataclass
class AgentRow:
    agent_id: int
    name: str
    contacts: int
    conversations: int
    promises: int
    plans: int
    disputes: int
    average_handle: Decimal | None
    working_on: str = ""


@dataclass
class ControlRoom:
    waiting: int
    later: int
    on_hold: int
    claimed: list[CollectionCase]
    callbacks_due: list[Callback]
    promises_due: list[PromiseToPay]
    agents: list[AgentRow]
    overrides: list[ContactOverride]
    now: dt.datetime


def control_room(*, user: AnyUser, now: dt.datetime | None = None) -> ControlRoom:
    """Live state of the desk for the clients the leader sees (7 queries)."""
    now = now or timezone.now()
    start, end = _today_bounds(now)
    cases = scope_to_user(CollectionCase.objects.filter(status=CollectionCase.Status.OPEN), user)
    live_claim = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
    counts = cases.aggregate(
        waiting=Count("id", filter=Q(on_hold=False) & ~live_claim
                      & (Q(next_action_at__isnull=True) | Q(next_action_at__lte=now))),
        later=Count("id", filter=Q(on_hold=False, next_action_at__gt=now) & ~live_claim),
        on_hold=Count("id", filter=Q(on_hold=True)))
    claimed = list(cases.filter(live_claim).select_related("debtor", "claimed_by")
                   .order_by("claimed_at")[:50])
    callbacks = list(scope_to_user(Callback.objects.filter(
        status=Callback.Status.PENDING, due_at__lt=end), user)
        .select_related("case__debtor", "agent").order_by("due_at")[:50])
    promises = list(scope_to_user(PromiseToPay.objects.filter(
        status=PromiseToPay.Status.PENDING, promised_date__lte=timezone.localdate(now)), user)
        .select_related("debtor").order_by("promised_date", "id")[:50])
    # The outcomes list as its JSON text: a JSON containment lookup does not exist on SQLite.
    outcome = "outcomes_text__contains"
    # django-stubs' plugin takes the counts named promises, plans and disputes for the model's
    # reverse relations; after values() they are plain annotations, as Django has them.
    per_agent: Iterable[Mapping[str, Any]] = (
        scope_to_user(CollectionContact.objects.filter(  # type: ignore[no-redef]
            saved_at__gte=start, saved_at__lt=end, agent__isnull=False), user)
        .annotate(outcomes_text=Cast("outcomes", TextField()))
        .values("agent_id", "agent__username", "agent__first_name", "agent__last_name")
        .annotate(
            contacts=Count("id"),
            conversations=Count("id", filter=Q(
                party=CollectionContact.Party.RIGHT_PARTY_VERIFIED)),
            promises=Count("id", filter=Q(**{outcome: '"promise_to_pay"'})),
            plans=Count("id", filter=Q(**{outcome: '"payment_plan_agreed"'})),
            disputes=Count("id", filter=Q(**{outcome: '"dispute_logged"'})),
            average_handle=Avg("handle_seconds"))
        .order_by("-contacts", "agent__username"))
    working = {case.claimed_by_id: case.debtor.name for case in claimed}
    agents = [
        AgentRow(agent_id=row["agent_id"],
                 name=(f"{row['agent__first_name']} {row['agent__last_name']}".strip()
                       or row["agent__username"]),
                 contacts=row["contacts"], conversations=row["conversations"],
                 promises=row["promises"], plans=row["plans"], disputes=row["disputes"],
                 average_handle=row["average_handle"],
                 working_on=working.pop(row["agent_id"], ""))
        for row in per_agent
    ]
    agents += [AgentRow(agent_id=case.claimed_by_id, name=_user_name(case.claimed_by),
                        contacts=0, conversations=0, promises=0, plans=0, disputes=0,
                        average_handle=None, working_on=case.debtor.name)
               for case in claimed
               if case.claimed_by_id is not None and case.claimed_by_id in working]
    overrides = list(scope_to_user(ContactOverride.objects.filter(
        status=ContactOverride.Status.REQUESTED), user)
        .select_related("debtor", "requested_by", "decision").order_by("requested_at")[:30])
    return ControlRoom(waiting=counts["waiting"], later=counts["later"],
                       on_hold=counts["on_hold"], claimed=claimed, callbacks_due=callbacks,
                       promises_due=promises, agents=agents, overrides=overrides, now=now)


def override_get_for_user(*, user: AnyUser, pk: object) -> ContactOverride:
    return object_get_for_user(ContactOverride.objects.all(), user, pk=pk)


def pending_cases(*, user: AnyUser) -> QuerySet[CollectionCase]:
    return scope_to_user(CollectionCase.objects.filter(status=CollectionCase.Status.OPEN), user)

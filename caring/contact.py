"""Caring's door to the contact-policy engine (app `compliance`, SPEC §1).

Every courtesy call passes the engine twice: when the planner lays out its slot (a slot the
engine does not permit moves to the decision's next permitted time) and when the agent records
an attempt (logged through the engine's attempt record, which feeds its pacing rules).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from compliance.engine import can_contact, can_contact_many
from compliance.models import ContactHold
from compliance.services import contact_attempt_record
from portfolio import services as portfolio_services

if TYPE_CHECKING:
    from caring.models import CourtesyCall
    from portfolio.models import ContactPoint

CHANNEL = "call"
# A retry is first proposed after the Italian default spacing between attempts to one number
# (SPEC §1 table: 3 h); the engine then moves it to its next permitted time if needed.
DEFAULT_SPACING = dt.timedelta(hours=3)

# SPEC §2 attempt result and party of each courtesy-call outcome.
_ATTEMPT = {
    "received_ok": ("answered", "right_party_verified"),
    "not_received": ("answered", "right_party_verified"),
    "data_wrong": ("answered", "right_party_verified"),
    "dispute": ("answered", "right_party_verified"),
    "payment_date": ("answered", "right_party_verified"),
    "callback": ("answered", "right_party_verified"),
    "unreachable": ("no_answer", "unknown"),
    "wrong_number": ("answered", "wrong_party"),
}


def account_held(at: dt.datetime | None = None, debtor_ref: str = "debtor_id") -> Exists:
    """The debtor has an account-wide hold in force at `at` (cease, lawyer, insolvency …):
    such debtors are neither called nor put in the control group."""
    at = at or timezone.now()
    return Exists(ContactHold.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=at),
        debtor_id=OuterRef(debtor_ref), released_at__isnull=True, starts_at__lte=at,
        invoice_ids=[],
    ))


def _usable_phones(call: CourtesyCall) -> QuerySet[ContactPoint]:
    """The debtor's phones nobody has reported as a wrong number."""
    return call.debtor.contact_points.filter(channel="phone", wrong_number_at__isnull=True)


def call_destination(call: CourtesyCall) -> str:
    """The number the call goes to: the one chosen when its slot was decided, else the
    debtor's first phone not reported wrong."""
    if call.destination:
        return call.destination
    point = _usable_phones(call).order_by("id").first()
    return point.value if point else ""


def wrong_number_report(*, call: CourtesyCall, user: Any, at: dt.datetime) -> bool:
    """Flag the number the call went to as someone else's (the engine will neither pick nor
    permit it again) and forget it as the call's destination. True when the debtor has
    another phone to try."""
    destination = call_destination(call)
    point = call.debtor.contact_points.filter(channel="phone", value=destination).first()
    if point is not None:
        portfolio_services.contact_point_wrong_number_report(point=point, by=user, at=at)
    call.destination = ""
    return _usable_phones(call).exists()


def attempt_record(*, call: CourtesyCall, user: Any, outcome: str, at: dt.datetime) -> None:
    """Log the attempt in the engine's record (its pacing counts it from now on)."""
    result, party = _ATTEMPT[outcome]
    contact_attempt_record(
        debtor=call.debtor, channel=CHANNEL, destination=call_destination(call), started_at=at,
        result=result, party=party, invoice_ids=list(call.links.values_list("invoice_id",
                                                                            flat=True)),
        consent_given_at=at if outcome == "callback" else None,
        follow_up_at=call.callback_at if outcome == "callback" else None, agent=user)


def next_attempt_at(*, call: CourtesyCall, after: dt.datetime) -> tuple[dt.datetime, str]:
    """When to retry an unreachable debtor: the engine's next permitted time after the spacing."""
    candidate = after + DEFAULT_SPACING
    decision = can_contact(call.debtor, CHANNEL, call_destination(call), candidate,
                           purpose="caring retry")
    if decision.allowed or decision.next_permitted_at is None:
        return candidate, "" if decision.allowed else decision.reason[:300]
    return decision.next_permitted_at, f"{','.join(decision.rule_ids)}: {decision.reason}"[:300]


def slots_adjust(calls: list[CourtesyCall], *, run_key: str = "") -> list[CourtesyCall]:
    """Ask the engine about every planned slot; move denied ones to the next permitted time.

    Calls are decided in batches of the same slot hour (`can_contact_many` takes one time per
    batch). A call the engine will never permit (no next time: cease, deceased …) is returned
    so the planner can cancel it. The engine stores its decisions once per `run_key` (the
    planning run), so a run killed and resumed does not record them twice.
    """
    by_hour: dict[dt.datetime, list[CourtesyCall]] = defaultdict(list)
    for call in calls:
        if call.scheduled_at is None:
            continue
        by_hour[call.scheduled_at.replace(minute=0, second=0, microsecond=0)].append(call)
    never = []
    for hour, group in by_hour.items():
        at = min(call.scheduled_at for call in group if call.scheduled_at is not None)
        decisions = can_contact_many([call.debtor for call in group], CHANNEL, max(at, hour),
                                     purpose="caring plan", run_key=run_key)
        for call in group:
            decision = decisions.get(call.debtor_id)
            if decision is None:
                continue
            call.destination = decision.destination or call.destination
            if decision.allowed:
                continue
            call.schedule_reason = f"{','.join(decision.rule_ids)}: {decision.reason}"[:300]
            if decision.next_permitted_at is None or (
                    decision.next_permitted_at.date() >= call.first_due_date):
                never.append(call)
            elif call.scheduled_at is None or decision.next_permitted_at > call.scheduled_at:
                call.scheduled_at = decision.next_permitted_at
    return never

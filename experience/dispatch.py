"""Sending the surveys that fall due (SPEC §5): a survey is itself a contact.

For each due survey, in chunks:
1. claim it: in one short transaction the chunk's due rows are read with
   SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite's IMMEDIATE transactions serialise the
   same step) and their `due_at` moved a lease ahead, so another dispatcher neither waits for
   them nor sees them as due. A dispatcher that dies mid-chunk leaves its surveys to come back
   when the lease ends; every outcome below is written only while the lease is still ours
   (a conditional UPDATE on the lease time), so nothing is decided or sent twice;
2. re-check the suppression rules (a hold, an opt-out or another survey may have come since
   it was scheduled);
3. ask the contact engine (channel "survey") for the debtor's mobile numbers first, then
   e-mail addresses: the first destination allowed now is used. A denial that lifts by itself
   (outside the window, pacing, an inconvenient time) moves the survey to the engine's next
   permitted time, unless that is more than MAX_DELAY after it was due, when the moment has
   passed; any other denial suppresses it with the rule's reason. The decision is stored as
   evidence and linked to the survey;
4. issue the personal link and send it: a text to a mobile number, else an e-mail, in the
   debtor's language. Neither says anything about a debt. A sent survey is recorded as a
   contact attempt on the "survey" channel, which the engine's frequency and pacing rules count
   wherever a pack or contract lists that channel. A send that fails marks the survey FAILED
   with the reason (and no link survives it).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, replace

import phonenumbers
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from compliance import engine, loader
from compliance import services as compliance_services
from compliance.engine import DebtorFacts, Decision
from compliance.reasons import N_, Reason
from compliance.rules import AttemptResult, Channel
from experience import links, sms, suppression
from experience.models import Survey

logger = logging.getLogger(__name__)

# Surveys claimed per transaction. Each costs a few queries and one message; 200 keeps a
# chunk's claim well inside a lease and its IN lists short.
CHUNK = 200
# How long a claimed survey is ours before another dispatcher may take it back.
LEASE = dt.timedelta(minutes=15)
# A survey that cannot go within two days of its due time no longer measures the contact.
MAX_DELAY = dt.timedelta(hours=48)

NO_DESTINATION = "contact.no_destination"
PROGRAMME_OFF = "experience.programme_inactive"
TOO_LATE = "experience.too_late"
SEND_FAILED = "send.failed"


@dataclass
class DispatchResult:
    sent: int = 0
    rescheduled: int = 0
    suppressed: int = 0
    failed: int = 0


def public_url(signed_token: str) -> str:
    return f"{settings.FIDO_PUBLIC_URL}{links.survey_path(signed_token)}"


def is_mobile(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def destinations(facts: DebtorFacts) -> list[tuple[str, str]]:
    """(medium, destination) in the order they are tried: mobile numbers, then e-mail
    addresses; numbers reported as someone else's are never tried."""
    usable = [p for p in facts.points if not p.wrong_number]
    mobiles: list[tuple[str, str]] = [(Survey.Medium.SMS, p.value) for p in usable
               if p.channel == "phone" and (p.label.strip().lower() == "mobile"
                                            or is_mobile(p.value))]
    emails: list[tuple[str, str]] = [(Survey.Medium.EMAIL, p.value) for p in usable
                                     if p.channel == "email"]
    return mobiles + emails


def decide(facts: DebtorFacts, at: dt.datetime) -> tuple[Decision, str]:
    """The engine's decision for the first destination allowed now, else for the one that
    opens soonest, with the medium it would use ("" when the debtor has nowhere to send to)."""
    best: tuple[Decision, str] | None = None
    for medium, destination in destinations(facts):
        decision = engine.decide(facts, Channel.SURVEY, destination, at)
        if decision.allowed:
            return decision, medium
        if best is None or (decision.next_permitted_at is not None and (
                best[0].next_permitted_at is None
                or decision.next_permitted_at < best[0].next_permitted_at)):
            best = (decision, medium)
    if best is not None:
        return best
    return Decision(
        allowed=False, rule_ids=[NO_DESTINATION],
        reasons=(Reason(N_("The debtor has no mobile number or e-mail address for a "
                           "survey.")),),
        next_permitted_at=None, pack_version=facts.rules.pack_version,
        pack_code=facts.rules.pack_code, debtor_id=facts.debtor_id, client_id=facts.client_id,
        channel=Channel.SURVEY, at=at), ""


def _claim(now: dt.datetime, size: int) -> dict[int, dt.datetime]:
    """Claim up to `size` due surveys: {survey id: the time it was due}."""
    lease_until = now + LEASE
    with transaction.atomic():
        rows = list(Survey.objects.select_for_update(skip_locked=True)
                    .filter(status=Survey.Status.SCHEDULED, due_at__lte=now)
                    .order_by("due_at", "pk").values_list("pk", "due_at")[:size])
        if rows:
            Survey.objects.filter(pk__in=[pk for pk, _due in rows]).update(due_at=lease_until)
    return dict(rows)


def surveys_dispatch(*, now: dt.datetime | None = None, chunk: int = CHUNK,
                     max_chunks: int | None = None) -> DispatchResult:
    """Send every survey due at `now`, chunk by chunk."""
    now = now or timezone.now()
    result = DispatchResult()
    done = 0
    while max_chunks is None or done < max_chunks:
        claimed = _claim(now, chunk)
        if not claimed:
            break
        _dispatch_chunk(claimed, now, result)
        done += 1
    return result


def _dispatch_chunk(claimed: dict[int, dt.datetime], now: dt.datetime,
                    result: DispatchResult) -> None:
    lease_until = now + LEASE
    surveys = list(Survey.objects.filter(pk__in=list(claimed), status=Survey.Status.SCHEDULED,
                                         due_at=lease_until)
                   .select_related("programme", "client", "debtor").order_by("pk"))
    if not surveys:
        return
    surveys.sort(key=lambda s: (claimed[s.pk], s.pk))
    dues = [claimed[s.pk] for s in surveys]
    checks = suppression.facts_load({s.debtor_id for s in surveys}, at=now,
                                    around=(min(dues), max(dues)))
    debtors = list({s.debtor_id: s.debtor for s in surveys}.values())
    facts = loader.facts_load(debtors, at=now, packs=loader.PackIndex(now))
    for survey in surveys:
        due = claimed[survey.pk]
        candidate = suppression.Candidate(debtor_id=survey.debtor_id, kind=survey.kind, at=due,
                                          survey_id=survey.pk)
        status, when = _dispatch_one(survey, due, lease_until, checks, candidate,
                                     facts[survey.debtor_id], now, result)
        checks.settle(candidate, status, when)


def _dispatch_one(survey: Survey, due: dt.datetime, lease_until: dt.datetime,
                  checks: suppression.Facts, candidate: suppression.Candidate,
                  facts: DebtorFacts, now: dt.datetime,
                  result: DispatchResult) -> tuple[str, dt.datetime]:
    if not survey.programme.active:
        reason = f"{PROGRAMME_OFF}: The survey programme was switched off."
        return _suppress(survey, due, lease_until, reason, None, result), due
    reason = suppression.reason_for(candidate, checks)
    if reason:
        return _suppress(survey, due, lease_until, reason, None, result), due
    decision, medium = decide(facts, now)
    decision = _record(decision)
    if not decision.allowed:
        rules = f"{','.join(decision.rule_ids)}: {decision.reason}"
        later = decision.next_permitted_at
        if later is not None and later <= due + MAX_DELAY:
            if _finish(survey, lease_until, due_at=later, decision_id=decision.decision_id):
                result.rescheduled += 1
            return Survey.Status.SCHEDULED, later
        if later is not None:
            rules = f"{TOO_LATE}: No permitted time within 48 hours of the due time. {rules}"
        return _suppress(survey, due, lease_until, rules, decision.decision_id, result), due
    return _send(survey, due, lease_until, decision, medium, now, result), due


def _record(decision: Decision) -> Decision:
    stored = compliance_services.contact_decisions_record(decisions=[decision],
                                                          purpose="survey")
    return replace(decision, decision_id=stored[0].pk)


def _finish(survey: Survey, lease_until: dt.datetime, **fields: object) -> bool:
    """Write the outcome only while the claim is ours (the lease time is still on the row)."""
    changed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.SCHEDULED,
                                    due_at=lease_until).update(**fields)
    if not changed:
        logger.warning("Survey %s was taken back from this dispatcher; outcome dropped.",
                       survey.pk)
    return bool(changed)


def _suppress(survey: Survey, due: dt.datetime, lease_until: dt.datetime, reason: str,
              decision_id: int | None, result: DispatchResult) -> str:
    if _finish(survey, lease_until, status=Survey.Status.SUPPRESSED, due_at=due,
               suppressed_reason=reason[:300], decision_id=decision_id):
        result.suppressed += 1
    return Survey.Status.SUPPRESSED


def _zone(survey: Survey) -> zoneinfo.ZoneInfo:
    for name in (survey.debtor.timezone, survey.client.reporting_timezone):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def render_message(survey: Survey, url: str, medium: str) -> dict[str, str]:
    """The message in the debtor's language, dates in the debtor's time zone: for a text
    {"body"}, for an e-mail {"subject", "body", "html"}."""
    context = {"client_name": survey.client.name, "debtor_name": survey.debtor.name,
               "url": url, "expires_at": survey.expires_at, "language": survey.language}
    with translation.override(survey.language), timezone.override(_zone(survey)):
        if medium == Survey.Medium.SMS:
            return {"body": render_to_string("experience/messages/survey_sms.txt",
                                             context).strip()}
        subject = render_to_string("experience/messages/survey_email_subject.txt", context)
        return {"subject": " ".join(subject.split()),
                "body": render_to_string("experience/messages/survey_email.txt", context),
                "html": render_to_string("experience/messages/survey_email.html", context)}


def deliver(medium: str, destination: str, message: dict[str, str]) -> None:
    if medium == Survey.Medium.SMS:
        sms.send_sms(to=destination, body=message["body"])
        return
    email = EmailMultiAlternatives(subject=message["subject"], body=message["body"],
                                   from_email=settings.DEFAULT_FROM_EMAIL, to=[destination])
    email.attach_alternative(message["html"], "text/html")
    email.send(fail_silently=False)


def _send(survey: Survey, due: dt.datetime, lease_until: dt.datetime, decision: Decision,
          medium: str, now: dt.datetime, result: DispatchResult) -> str:
    destination = decision.destination
    signed = links.issue_token(survey, now, survey.programme.link_valid_days)
    try:
        deliver(medium, destination, render_message(survey, public_url(signed), medium))
    except Exception as error:  # any gateway error is a failed delivery
        logger.warning("Survey %s not delivered: %s", survey.pk, error)
        reason = f"{SEND_FAILED}: {type(error).__name__}: {error}"
        if _finish(survey, lease_until, status=Survey.Status.FAILED, due_at=due,
                   medium=medium, destination=destination, suppressed_reason=reason[:300],
                   decision_id=decision.decision_id):
            result.failed += 1
        return Survey.Status.FAILED
    with transaction.atomic():
        if _finish(survey, lease_until, status=Survey.Status.SENT, due_at=due, sent_at=now,
                   medium=medium, destination=destination, expires_at=survey.expires_at,
                   token_hash=survey.token_hash, decision_id=decision.decision_id):
            # A message has no SPEC §2 result of its own: "no_answer" (reached the
            # destination, no conversation) is the nearest, and the engine counts it only
            # where a pack or contract lists the survey channel among its frequency channels.
            compliance_services.contact_attempt_record(
                debtor=survey.debtor, channel=Channel.SURVEY, destination=destination,
                started_at=now, result=AttemptResult.NO_ANSWER)
            result.sent += 1
    return Survey.Status.SENT


def surveys_expire(*, now: dt.datetime | None = None) -> int:
    """Sent surveys whose link has run out become EXPIRED (one UPDATE)."""
    now = now or timezone.now()
    return Survey.objects.filter(status=Survey.Status.SENT, expires_at__lte=now).update(
        status=Survey.Status.EXPIRED)

"""The experience demo: six months of surveys, answers and follow-ups for the demo portfolio, so
that every experience screen has something to show on first start.

DEMO DATA, GENERATED. The scores, comments and promise outcomes below are drawn by this module
from probabilities written here, not measured. In particular the two collection strategies are
given different behaviour on purpose, so that the comparison screens have a visible difference
to show: debtors of empathetic cases answer with a higher NPS and keep more of their promises
than debtors of the standard script (the direction the case studies in DOMAIN.md report, the
size chosen by us). The command prints this, and docs/experience-programmes.md says it too.

What is written, per demo client (run after `recovery_demo`, which opens today's cases):
- the three programmes (transactional, relational, competitive), active;
- transactional surveys after the demo's real events: the courtesy calls the caring demo
  completed, the conversations the collections demo recorded (a right party reached, with an
  outcome), its payment plans; and a history of collection cases closed in the last six months
  (opened and closed by this module, half per strategy at random like the case opener does),
  each with a promise to pay judged kept, partially kept or broken, and a survey when it closed;
- a relational sample drawn about 100 days ago from the debtors the sampler finds eligible;
- a competitive market study for the Italian utility, imported through the real importer;
- survey statuses of every kind: answered, sent and waiting, expired, suppressed (with the
  reason), not delivered, scheduled for the next hours;
- follow-ups of detractors with a comment and of complaints, assigned to the team leader
  `leader`: closed for older answers, open for recent ones (some past their due time).

Seeded: the same portfolio gives the same history. Runs once: a database that already holds
surveys is left alone.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from caring.models import CourtesyCall
from experience import competitive
from experience.models import (
    FollowUp,
    Kind,
    Programme,
    Response,
    Survey,
    Trigger,
    nps_counts,
)
from experience.sampling import relational_eligible
from experience.stats import NpsSummary, difference_interval, nps_summary
from experience.themes import themes_for
from portfolio.models import Client, ContactPoint, Debtor
from recovery.models import CollectionCase, CollectionContact, PaymentPlan, PromiseToPay

HISTORY_DAYS = 182
RESPONSE_RATE = 0.62
# Generated behaviour per strategy (DEMO ASSUMPTIONS, see the module docstring): the chance of
# a promoter and of a detractor, the mean CES, and the chance a promise is kept / partly kept.
BEHAVIOUR: dict[str, dict[str, float]] = {
    "empathetic": {"promoter": 0.58, "detractor": 0.13, "ces": 5.7, "kept": 0.70,
                   "partial": 0.12},
    "standard": {"promoter": 0.31, "detractor": 0.36, "ces": 4.3, "kept": 0.47,
                 "partial": 0.14},
    # Courtesy calls (pre-due) and relational answers: no collection strategy.
    "": {"promoter": 0.50, "detractor": 0.18, "ces": 5.4, "kept": 0, "partial": 0},
}
COMPETITIVE_BEHAVIOUR = {"promoter": 0.40, "detractor": 0.22, "ces": 0, "kept": 0, "partial": 0}
# Historical closed cases per open case of the client (at least MIN_HISTORY).
HISTORY_PER_OPEN_CASE = 1.8
MIN_HISTORY = 40
COURTESY_SHARE = 0.3
RELATIONAL_SIZE = 60
STUDY_SIZE = 180
SUPPRESSION_REASONS = (
    "hold.dispute: a dispute is pending, every survey waits",
    "do_not_survey: the agent noted the debtor was in distress",
    "frequency: a transactional survey in the last 90 days (Italy)",
    "channel_opt_out: the debtor opted out of surveys",
    "hold.complaint: the debtor has an open complaint",
)

# Comments by category and language, touching the lexicon's themes (experience/themes.py).
COMMENTS: dict[str, dict[str, list[str]]] = {
    "promoter": {
        "it": [
            "L'operatrice mi ha ascoltato e capito la mia situazione, molto gentile.",
            "Mi hanno proposto una rateizzazione sostenibile, finalmente un piano chiaro.",
            "Spiegazione chiara della fattura, tutto risolto subito.",
            "Cortesi e disponibili, ho potuto dilazionare senza stress.",
            "Telefonata rapida e semplice, mi hanno inviato subito la copia della fattura.",
            "Persona paziente e rispettosa, mi sono sentito compreso.",
        ],
        "en": [
            "The agent listened and understood my situation, very kind.",
            "They offered an instalment plan I can actually afford.",
            "Clear explanation of the invoice, sorted out quickly.",
            "Polite and patient, I felt respected.",
            "Quick and easy call, they sent the missing invoice straight away.",
        ],
    },
    "passive": {
        "it": [
            "Tutto sommato ok, ma ho dovuto aspettare in attesa parecchio.",
            "Informazioni abbastanza chiare, il piano poteva essere più flessibile.",
            "Gentili, però ho dovuto richiamare due volte.",
            "Nulla di speciale, pratica gestita.",
        ],
        "en": [
            "Fine overall, but I was on hold for a long time.",
            "Reasonably clear, the plan could have been more flexible.",
            "Polite enough, though I had to call back twice.",
            "Nothing special, it got done.",
        ],
    },
    "detractor": {
        "it": [
            "Troppe chiamate, mi sono sentito sotto pressione.",
            "Operatore scortese e insistente, non mi ha lasciato parlare.",
            "La fattura era sbagliata e nessuno mi ha ascoltato.",
            "Nessuno risponde quando chiamo, sempre in attesa.",
            "Toni minacciosi, inaccettabile.",
            "Mi chiedono soldi per una fattura doppia, un errore loro.",
        ],
        "en": [
            "Too many calls, I felt pressured.",
            "Rude and pushy, the agent would not let me explain.",
            "The invoice was wrong and nobody listened.",
            "Nobody answered when I called back, endless waiting.",
            "Threatening tone, unacceptable.",
        ],
    },
}
COMPLAINT_CUES = ("pressure", "billing")
FOLLOW_UP_NOTES = {
    "called_back": "Called back, apologised for the number of calls and agreed one contact a "
                   "week.",
    "issue_fixed": "Credit note issued for the wrong invoice; the debtor confirmed.",
    "not_reached": "Three attempts on different days, no answer; a letter was sent.",
    "no_action": "Listened again: the debtor was upset about the debt itself, nothing to fix.",
}


@dataclass
class _Event:
    """One survey to write: what triggered it and who handled it."""

    debtor: Debtor
    at: dt.datetime
    trigger: str
    strategy: str = ""
    case: CollectionCase | None = None
    contact: CollectionContact | None = None
    courtesy_call: CourtesyCall | None = None
    agent: Any = None


@dataclass
class DemoCounts:
    surveys: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    follow_ups: Counter[str] = field(default_factory=Counter)
    cases: int = 0
    promises: int = 0
    skipped: bool = False


def _score(rng: random.Random, behaviour: dict[str, float]) -> int:
    draw = rng.random()
    if draw < behaviour["promoter"]:
        return rng.choice((9, 9, 10, 10, 10))
    if draw < behaviour["promoter"] + behaviour["detractor"]:
        return rng.choice((0, 1, 2, 3, 4, 5, 5, 6, 6, 6))
    return rng.choice((7, 8, 8))


def _category(nps: int) -> str:
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"


def _language(debtor: Debtor) -> str:
    return "it" if (debtor.language or "it").startswith("it") else "en"


def _comment(rng: random.Random, nps: int, language: str) -> str:
    # Two answers in five leave the "why" empty, as real surveys do.
    if rng.random() < 0.4:
        return ""
    return rng.choice(COMMENTS[_category(nps)][language])


def _ces(rng: random.Random, mean: float) -> int | None:
    if rng.random() < 0.15:
        return None  # skipped the optional question
    return max(1, min(7, round(rng.gauss(mean, 1.1))))


def _business_days_after(moment: dt.datetime, days: int) -> dt.datetime:
    while days:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


class _Writer:
    """Writes surveys, answers and follow-ups for one client, seeded."""

    def __init__(self, client: Client, programmes: dict[str, Programme], users: dict[str, Any],
                 now: dt.datetime, rng: random.Random, counts: DemoCounts) -> None:
        self.client, self.programmes, self.users = client, programmes, users
        self.now, self.rng, self.counts = now, rng, counts
        self.points = {point.debtor_id: point for point in ContactPoint.objects.filter(
            client=client, confirmed=True, wrong_number_at__isnull=True).order_by("-channel",
                                                                                  "id")}

    def survey(self, event: _Event, kind: str = Kind.TRANSACTIONAL) -> None:
        rng, now = self.rng, self.now
        point = self.points.get(event.debtor.pk)
        if point is None:
            return
        programme = self.programmes[kind]
        due = event.at + dt.timedelta(minutes=programme.delay_minutes)
        language = _language(event.debtor)
        survey = Survey(
            client=self.client, programme=programme, debtor=event.debtor, kind=kind,
            trigger=event.trigger, case=event.case, contact=event.contact,
            courtesy_call=event.courtesy_call, agent=event.agent, strategy=event.strategy,
            language=language, due_at=due)
        if due > now:
            survey.status = Survey.Status.SCHEDULED
            survey.save()
            self.counts.surveys["scheduled"] += 1
            return
        draw = rng.random()
        if draw < 0.07:
            survey.status = Survey.Status.SUPPRESSED
            survey.suppressed_reason = rng.choice(SUPPRESSION_REASONS)
            survey.save()
            self.counts.surveys["suppressed"] += 1
            return
        survey.medium = (Survey.Medium.EMAIL if point.channel == ContactPoint.Channel.EMAIL
                         else Survey.Medium.SMS)
        survey.destination = point.value
        survey.sent_at = due
        survey.expires_at = due + dt.timedelta(days=programme.link_valid_days)
        survey.token_hash = f"{rng.getrandbits(256):064x}"
        if draw < 0.09:
            survey.status = Survey.Status.FAILED
            survey.suppressed_reason = ""
            survey.expires_at = None
            survey.token_hash = None
            survey.save()
            self.counts.surveys["failed"] += 1
            return
        answered_at = due + dt.timedelta(minutes=rng.randrange(10, 36 * 60))
        if rng.random() >= RESPONSE_RATE or answered_at > now:
            survey.status = (Survey.Status.EXPIRED if survey.expires_at <= now
                             else Survey.Status.SENT)
            survey.save()
            self.counts.surveys[survey.status] += 1
            return
        survey.status = Survey.Status.ANSWERED
        survey.answered_at = answered_at
        survey.save()
        self.counts.surveys["answered"] += 1
        self.answer(survey, event, answered_at)

    def answer(self, survey: Survey, event: _Event, answered_at: dt.datetime) -> None:
        rng = self.rng
        behaviour = BEHAVIOUR[event.strategy or ""]
        nps = _score(rng, behaviour)
        comment = _comment(rng, nps, survey.language)
        themes = themes_for(comment)
        complaint = (nps <= 4 and bool(comment) and any(t in themes for t in COMPLAINT_CUES)
                     and rng.random() < 0.6)
        programme = self.programmes[survey.kind]
        answer = Response.objects.create(
            client=self.client, kind=survey.kind, survey=survey, debtor=event.debtor, nps=nps,
            comment=comment, ces=_ces(rng, behaviour["ces"]) if programme.ask_ces else None,
            csat=max(1, min(5, round(nps / 2.2))) if programme.ask_csat else None,
            complaint=complaint, themes=themes, language=survey.language,
            answered_at=answered_at, trigger=survey.trigger, case=survey.case,
            agent=survey.agent, strategy=survey.strategy)
        self.counts.answers[survey.kind] += 1
        if (nps <= 6 and comment) or complaint:
            self.follow_up(answer, event.debtor)

    def follow_up(self, answer: Response, survey_debtor: Debtor) -> None:
        rng, leader = self.rng, self.users["leader"]
        reasons = [name for name, on in (("detractor", answer.nps <= 6),
                                         ("complaint", answer.complaint)) if on]
        due = _business_days_after(answer.answered_at, 2)
        follow_up = FollowUp(client=self.client, response=answer, debtor=survey_debtor,
                             assigned_to=leader, reason=",".join(reasons), due_at=due)
        age = self.now - answer.answered_at
        if age > dt.timedelta(days=12) or (age > dt.timedelta(days=3) and rng.random() < 0.3):
            resolution = rng.choice(list(FOLLOW_UP_NOTES))
            follow_up.status = FollowUp.Status.CLOSED
            follow_up.resolution = resolution
            follow_up.notes = FOLLOW_UP_NOTES[resolution]
            follow_up.closed_at = min(answer.answered_at + dt.timedelta(
                hours=rng.randrange(3, 60)), self.now)
            follow_up.closed_by = leader
            self.counts.follow_ups["closed"] += 1
        else:
            self.counts.follow_ups["overdue" if due < self.now else "open"] += 1
        follow_up.save()


def _eligible_debtors(client: Client) -> list[Debtor]:
    """Debtors a survey may reach at all (no flag that forbids contact, a usable contact point)."""
    return list(Debtor.objects.filter(
        client=client, erased_at__isnull=True, deceased=False, vulnerable=False,
        do_not_call=False, processing_restricted=False,
        contact_points__confirmed=True, contact_points__wrong_number_at__isnull=True,
    ).distinct().order_by("pk"))


def _history_cases(client: Client, debtors: list[Debtor], users: dict[str, Any],
                   now: dt.datetime, rng: random.Random,
                   counts: DemoCounts) -> list[_Event]:
    """Collection cases opened and closed in the last six months, half per strategy at random,
    each with a judged promise to pay; returns the surveys their closing triggers."""
    open_cases = CollectionCase.objects.filter(client=client, status="open").count()
    wanted = max(MIN_HISTORY, round(open_cases * HISTORY_PER_OPEN_CASE))
    events: list[_Event] = []
    agents = [users["agent"], users["agent"], users["leader"]]
    for _ in range(wanted):
        debtor = rng.choice(debtors)
        strategy = rng.choice(("empathetic", "standard"))
        # More cases lately than long ago, so the recent weeks have open follow-ups too.
        opened = now - dt.timedelta(days=12 + (HISTORY_DAYS - 40) * rng.random() ** 1.6,
                                    minutes=rng.randrange(0, 600))
        closed = min(opened + dt.timedelta(days=rng.randrange(6, 28)),
                     now - dt.timedelta(hours=30))
        amount = Decimal(rng.randrange(150, 4800)) + Decimal(rng.randrange(0, 100)) / 100
        behaviour = BEHAVIOUR[strategy]
        agent = rng.choice(agents)
        draw = rng.random()
        status = ("kept" if draw < behaviour["kept"]
                  else "partially_kept" if draw < behaviour["kept"] + behaviour["partial"]
                  else "broken")
        case = CollectionCase.objects.create(
            client=client, debtor=debtor, status="closed", opened_at=opened, closed_at=closed,
            close_reason="paid" if status == "kept" else rng.choice(("paid", "manual")),
            overdue_amount=amount, oldest_due_date=(opened - dt.timedelta(days=20)).date(),
            currency=client.currency, strategy=strategy, language=debtor.language or "it",
            segment=debtor.kind, last_contact_at=opened + dt.timedelta(days=2))
        counts.cases += 1
        promised = (opened + dt.timedelta(days=12)).date()
        paid = (amount if status == "kept" else
                (amount * Decimal(rng.randrange(20, 80)) / 100).quantize(Decimal("0.01"))
                if status == "partially_kept" else Decimal("0"))
        PromiseToPay.objects.create(
            client=client, debtor=debtor, case=case, amount=amount, currency=client.currency,
            promised_date=promised, status=status, paid_amount=paid,
            evaluated_at=opened + dt.timedelta(days=16), created_by=agent,
            created_at=opened + dt.timedelta(days=2))
        counts.promises += 1
        events.append(_Event(debtor=debtor, at=closed, trigger=Trigger.CASE_CLOSED,
                             strategy=strategy, case=case, agent=agent))
    return events


def _real_events(client: Client, debtors: dict[int, Debtor], now: dt.datetime,
                 rng: random.Random) -> list[_Event]:
    """Surveys after the demo's real conversations, plans and a share of its courtesy calls."""
    events = [
        _Event(debtor=debtors[contact.debtor_id], at=contact.saved_at or contact.opened_at,
               trigger=Trigger.COLLECTION_CONTACT, strategy=contact.case.strategy,
               case=contact.case, contact=contact, agent=contact.agent)
        for contact in CollectionContact.objects.filter(
            client=client, attempt_result="answered", party="right_party_verified",
            debtor_id__in=list(debtors)).exclude(outcomes=[]).select_related("case")
        .order_by("pk")
    ]
    events += [
        _Event(debtor=debtors[plan.debtor_id], at=plan.created_at, trigger=Trigger.PLAN_AGREED,
               strategy=plan.case.strategy if plan.case else "", case=plan.case,
               agent=plan.created_by)
        for plan in PaymentPlan.objects.filter(client=client, debtor_id__in=list(debtors))
        .select_related("case").order_by("pk")
    ]
    since = now - dt.timedelta(days=HISTORY_DAYS)
    calls = list(CourtesyCall.objects.filter(
        client=client, status="done", completed_at__gte=since, debtor_id__in=list(debtors))
        .exclude(outcome="wrong_number").order_by("pk"))
    for call in calls:
        if rng.random() < COURTESY_SHARE and call.completed_at is not None:
            events.append(_Event(debtor=debtors[call.debtor_id], at=call.completed_at,
                                 trigger=Trigger.COURTESY_CALL, courtesy_call=call,
                                 agent=call.claimed_by))
    return events


def _relational(writer: _Writer, client: Client, now: dt.datetime,
                rng: random.Random) -> None:
    """A relational sample drawn about 100 days ago, from the debtors the sampler would pick."""
    drawn_at = now - dt.timedelta(days=100)
    eligible = list(relational_eligible(client_id=client.pk, now=drawn_at)
                    .order_by("pk").values_list("pk", flat=True))
    chosen = set(rng.sample(eligible, min(RELATIONAL_SIZE, len(eligible))))
    for debtor in Debtor.objects.filter(pk__in=chosen).order_by("pk"):
        writer.survey(_Event(debtor=debtor, at=drawn_at - dt.timedelta(minutes=120),
                             trigger=Trigger.RELATIONAL_SAMPLE), kind=Kind.RELATIONAL)


def _study_csv(rng: random.Random, today: dt.date, size: int, language: str) -> bytes:
    lines = ["respondent_ref,nps,comment,answered_on,ces"]
    for number in range(1, size + 1):
        nps = _score(rng, COMPETITIVE_BEHAVIOUR)
        comment = _comment(rng, nps, language).replace(",", ";")
        day = today - dt.timedelta(days=rng.randrange(40, 70))
        ces = rng.randrange(2, 8) if rng.random() < 0.7 else ""
        lines.append(f"P-{number:04d},{nps},{comment},{day.isoformat()},{ces}")
    return ("\n".join(lines) + "\n").encode()


def _summary_line(name: str, summary: NpsSummary) -> str:
    if not summary.n or summary.score is None or summary.interval is None:
        return f"{name}: no answers"
    low, high = summary.interval
    return f"{name}: NPS {summary.score:+.1f} [{low:+.1f}, {high:+.1f}] (n={summary.n})"


def strategy_comparison() -> list[str]:
    """Transactional NPS and promise-kept rate per strategy, across the demo clients (for the
    command's output; the product's screens compare per client)."""
    lines = []
    summaries = {}
    for strategy in ("empathetic", "standard"):
        rows = Response.objects.filter(kind=Kind.TRANSACTIONAL, strategy=strategy).aggregate(
            **nps_counts())
        summaries[strategy] = nps_summary(**rows)
        promises = PromiseToPay.objects.filter(case__strategy=strategy,
                                               status__in=PromiseToPay.EVALUATED)
        judged = promises.count()
        kept = promises.filter(status="kept").count()
        rate = f"{100 * kept / judged:.0f}% of {judged}" if judged else "n/a"
        lines.append(_summary_line(strategy, summaries[strategy]) + f"; promises kept {rate}")
    gap = difference_interval(summaries["empathetic"], summaries["standard"])
    if gap:
        lines.append(f"difference empathetic - standard: [{gap[0]:+.1f}, {gap[1]:+.1f}]")
    return lines


def experience_demo_create(*, today: dt.date | None = None, seed: int = 2026) -> DemoCounts:
    """Write the experience demo once; returns what was written (skipped=True if surveys
    exist already, or the demo users are missing)."""
    counts = DemoCounts()
    if Survey.objects.exists():
        counts.skipped = True
        return counts
    users = {user.username: user for user in get_user_model().objects.filter(
        username__in=["agent", "leader", "manager"])}
    if {"agent", "leader"} - set(users):
        counts.skipped = True
        return counts
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    for client in Client.objects.order_by("pk"):
        zone = zoneinfo.ZoneInfo(client.reporting_timezone)
        day = today or timezone.localdate(timezone=zone)
        now = (timezone.now() if today is None
               else dt.datetime.combine(day, dt.time(12), tzinfo=zone))
        with transaction.atomic():
            programmes: dict[str, Programme] = {
                kind: Programme.objects.update_or_create(
                    client=client, kind=kind,
                    defaults={"active": True, "relational_sample_size": RELATIONAL_SIZE})[0]
                for kind in (Kind.TRANSACTIONAL, Kind.RELATIONAL, Kind.COMPETITIVE)}
            debtors = _eligible_debtors(client)
            if not debtors:
                continue
            writer = _Writer(client, programmes, users, now, rng, counts)
            events = _real_events(client, {d.pk: d for d in debtors}, now, rng)
            events += _history_cases(client, debtors, users, now, rng, counts)
            for event in sorted(events, key=lambda e: (e.at, e.debtor.pk)):
                writer.survey(event)
            _relational(writer, client, now, rng)
        if client.country == "IT" and client.pk == Client.objects.filter(
                country="IT").order_by("pk").values_list("pk", flat=True).first():
            result = competitive.study_import(
                client=client, study="Benchmark utility Lombardia 2026",
                fileobj=io.BytesIO(_study_csv(rng, day, STUDY_SIZE, "it")),
                by=users.get("manager"), today=day)
            counts.answers[Kind.COMPETITIVE] += result.created
    return counts

"""Relational sampling: every `relational_every_days` a random sample of a client's debtors is
asked about the whole relationship (SPEC §4-5).

Eligible: a debtor of the client who is active (an invoice in the last 12 months, or a balance
still open) and has a usable contact point (a phone or an e-mail, confirmed, not reported as a
wrong number); not erased, deceased, vulnerable, on do-not-call or with processing restricted;
without an account hold in force or a disputed invoice; not opted out of surveys (a
`channel_opt_out` restriction on the "survey" channel, honoured at once); not surveyed
relationally in the last 6 months nor transactionally in the last 14 days (a survey counts
unless it was suppressed or failed: then the debtor was never asked). Sampling is random,
never chosen by agents.

The draw creates `Survey` rows (kind relational, trigger relational_sample, status
scheduled) in one insert; the dispatcher sends them through the contact engine, which makes
the last decision (contact window, pacing). A draw happens once per period: the programme row
is locked, and a programme whose last draw is younger than `relational_every_days` is left
alone, so the hourly beat task and a retry never draw twice.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from compliance.models import ContactHold, ContactRestriction
from experience.models import Kind, Programme, Survey, Trigger
from portfolio.models import ContactPoint, Debtor, Invoice

RELATIONAL_QUIET_DAYS = 182  # SPEC §5: relational at most every 6 months
AFTER_TRANSACTIONAL_DAYS = 14  # SPEC §5: none within 14 days of a transactional one
ACTIVE_DAYS = 365
# Surveys that never reached the debtor do not count as "surveyed".
NOT_ASKED = (Survey.Status.SUPPRESSED, Survey.Status.FAILED)


def relational_eligible(*, client_id: int, now: dt.datetime) -> QuerySet[Debtor]:
    """The client's debtors a relational sample may draw from at `now` (one query)."""
    surveyed = Survey.objects.filter(debtor=OuterRef("pk")).exclude(status__in=NOT_ASKED)
    return (Debtor.objects
            .filter(client_id=client_id, erased_at__isnull=True, deceased=False,
                    vulnerable=False, do_not_call=False, processing_restricted=False)
            .filter(Exists(Invoice.objects.filter(
                Q(issue_date__gte=(now - dt.timedelta(days=ACTIVE_DAYS)).date())
                | Q(open_balance__gt=0), debtor=OuterRef("pk"))))
            .filter(Exists(ContactPoint.objects.filter(
                debtor=OuterRef("pk"), confirmed=True, wrong_number_at__isnull=True,
                channel__in=[ContactPoint.Channel.PHONE, ContactPoint.Channel.EMAIL])))
            .exclude(Exists(ContactHold.objects.filter(
                Q(ends_at__isnull=True) | Q(ends_at__gt=now), debtor=OuterRef("pk"),
                released_at__isnull=True, starts_at__lte=now)))
            # A dispute pauses every survey too (the contact engine suppresses it anyway).
            .exclude(Exists(Invoice.objects.filter(debtor=OuterRef("pk"),
                                                   status=Invoice.Status.DISPUTED)))
            .exclude(Exists(ContactRestriction.objects.filter(
                debtor=OuterRef("pk"), kind=ContactRestriction.Kind.CHANNEL_OPT_OUT,
                channel="survey", revoked_at__isnull=True)))
            .exclude(Exists(surveyed.filter(
                kind=Kind.RELATIONAL,
                due_at__gte=now - dt.timedelta(days=RELATIONAL_QUIET_DAYS))))
            .exclude(Exists(surveyed.filter(
                kind=Kind.TRANSACTIONAL,
                due_at__gte=now - dt.timedelta(days=AFTER_TRANSACTIONAL_DAYS)))))


def relational_sample_draw(*, programme_id: int, now: dt.datetime | None = None) -> int:
    """Draw the programme's sample if its period has come; returns the surveys created (0 when
    the programme is inactive, not relational, or its period's sample exists)."""
    now = now or timezone.now()
    with transaction.atomic():
        programme = (Programme.objects.select_for_update()
                     .filter(pk=programme_id, kind=Kind.RELATIONAL, active=True).first())
        if programme is None:
            return 0
        period_start = now - dt.timedelta(days=programme.relational_every_days)
        if Survey.objects.filter(programme=programme, trigger=Trigger.RELATIONAL_SAMPLE,
                                 due_at__gt=period_start).exists():
            return 0
        chosen = list(relational_eligible(client_id=programme.client_id, now=now)
                      .order_by("?").values_list("pk", "language")
                      [:programme.relational_sample_size])
        Survey.objects.bulk_create([
            Survey(client_id=programme.client_id, programme=programme, debtor_id=debtor_id,
                   kind=Kind.RELATIONAL, trigger=Trigger.RELATIONAL_SAMPLE,
                   status=Survey.Status.SCHEDULED, due_at=now, language=language or "it")
            for debtor_id, language in chosen], batch_size=1000)
    return len(chosen)


# --- Celery (registered by ExperienceConfig.ready; scheduled in CELERY_BEAT_SCHEDULE) --------

@shared_task(name="experience.relational_samples_task", acks_late=True, ignore_result=True,
             time_limit=300, soft_time_limit=270)
def relational_samples_task() -> int:
    """Beat: one relational_sample_task per active relational programme."""
    ids = list(Programme.objects.filter(kind=Kind.RELATIONAL, active=True)
               .order_by("pk").values_list("pk", flat=True))
    for programme_id in ids:
        relational_sample_task.delay(programme_id=programme_id)
    return len(ids)


@shared_task(name="experience.relational_sample_task", acks_late=True,
             reject_on_worker_lost=True, ignore_result=True, time_limit=600,
             soft_time_limit=570)
def relational_sample_task(programme_id: int) -> int:
    """Draw one programme's sample; a no-op when its period's sample exists."""
    return relational_sample_draw(programme_id=programme_id)

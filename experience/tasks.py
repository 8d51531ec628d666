"""Thin Celery adapters of the survey outbound path. Each is idempotent: the trigger inserts
ON CONFLICT DO NOTHING on one-survey-per-event constraints, the dispatcher claims every survey
before acting on it and writes its outcome only while the claim is its own, and expiry is one
conditional UPDATE. That is what makes acks_late safe: a task redelivered after its worker
died simply does the rest of the work."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from experience import dispatch, triggers


def _at(now: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(now) if now else None


@shared_task(name="experience.surveys_schedule_task", acks_late=True,
             reject_on_worker_lost=True, ignore_result=True, time_limit=900,
             soft_time_limit=850)
def surveys_schedule_task(now: str | None = None, client_id: int | None = None) -> dict[str, int]:
    """Beat: schedule transactional surveys after the events of the look-back window."""
    result = triggers.surveys_schedule(now=_at(now), client_id=client_id)
    return {"scheduled": result.scheduled, "suppressed": result.suppressed,
            "not_drawn": result.not_drawn}


@shared_task(name="experience.surveys_dispatch_task", acks_late=True,
             reject_on_worker_lost=True, ignore_result=True, time_limit=600,
             soft_time_limit=570)
def surveys_dispatch_task(now: str | None = None) -> dict[str, int]:
    """Beat: send the surveys that are due, through the contact engine."""
    result = dispatch.surveys_dispatch(now=_at(now))
    return {"sent": result.sent, "rescheduled": result.rescheduled,
            "suppressed": result.suppressed, "failed": result.failed}


@shared_task(name="experience.surveys_expire_task", acks_late=True, ignore_result=True,
             time_limit=300, soft_time_limit=270)
def surveys_expire_task(now: str | None = None) -> int:
    """Beat: sent surveys whose link ran out become expired."""
    return dispatch.surveys_expire(now=_at(now))

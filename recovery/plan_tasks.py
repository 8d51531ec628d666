"""Beat task of payment plans: judge the instalments whose grace days ended, breach and
complete plans (recovery/plans.py). A thin adapter, safe to run twice: a judged instalment is
no longer pending and a breached or completed plan is no longer active. Registered by
RecoveryConfig.ready, scheduled in config/settings.py (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from recovery import plans


@shared_task(name="recovery.instalments_evaluate_task", acks_late=True, ignore_result=True,
             time_limit=1800, soft_time_limit=1700)
def instalments_evaluate_task(run_date: str | None = None) -> dict[str, int]:
    """Judge instalments, in keyset batches of plans (plans.EVALUATE_BATCH)."""
    as_of = dt.date.fromisoformat(run_date) if run_date else None
    return plans.instalments_evaluate(as_of=as_of)

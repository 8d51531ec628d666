"""Thin Celery adapters of the caring planner. Both are idempotent (every insert skips existing
natural keys; the sweep is one conditional UPDATE), which is what makes acks_late safe: a task
redelivered after its worker died simply does the rest of the work."""

from __future__ import annotations

import datetime as dt

from celery import Task, shared_task
from django.utils import timezone

from caring import planning, services


@shared_task(name="caring.plan_task", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True, time_limit=1800, soft_time_limit=1700)
def plan_task(run_date: str | None = None, client_id: int | None = None) -> dict[str, int]:
    day = dt.date.fromisoformat(run_date) if run_date else timezone.localdate()
    result = planning.plan_run(run_date=day, client_id=client_id)
    return {"assigned": result.assigned, "calls": result.calls, "linked": result.linked,
            "scheduled": result.scheduled}


@shared_task(name="caring.sweep_task", acks_late=True, ignore_result=True,
             time_limit=300, soft_time_limit=270)
def sweep_task() -> int:
    return planning.calls_cancel_settled()


@shared_task(bind=True, name="caring.plan_run_task", acks_late=True,
             reject_on_worker_lost=True, ignore_result=True, time_limit=1800,
             soft_time_limit=1700)
def plan_run_task(self: Task, run_id: int) -> None:
    """A credit manager's "Plan now": the run records its own progress and result. A task
    the broker redelivers (its worker died) takes over the run it left marked running."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    services.plan_run_execute(run_id=run_id, resume=redelivered)

"""Thin Celery adapters of the collections desk. Every task is idempotent (the case opener
inserts ON CONFLICT DO NOTHING and updates only what moved; promises are judged once because a
judged promise is no longer pending), which is what makes acks_late safe: a task redelivered
after its worker died simply does the rest of the work."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from portfolio.models import Client
from recovery import services


@shared_task(name="recovery.cases_refresh_task", acks_late=True, ignore_result=True,
             time_limit=300, soft_time_limit=270)
def cases_refresh_task(run_date: str | None = None) -> int:
    """Beat: one client_cases_task per client, so that clients run in parallel on as many
    workers as there are and one large client does not hold the others back."""
    client_ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    for client_id in client_ids:
        client_cases_task.delay(client_id=client_id, run_date=run_date)
    return len(client_ids)


@shared_task(name="recovery.client_cases_task", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True, time_limit=1800, soft_time_limit=1700)
def client_cases_task(client_id: int, run_date: str | None = None) -> dict[str, int]:
    """Open, refresh, close and re-prioritise one client's cases, chunk by chunk."""
    as_of = dt.date.fromisoformat(run_date) if run_date else timezone.localdate()
    return services.client_cases_run(client_id=client_id, as_of=as_of)


@shared_task(name="recovery.promises_evaluate_task", acks_late=True, ignore_result=True,
             time_limit=1800, soft_time_limit=1700)
def promises_evaluate_task(run_date: str | None = None) -> dict[str, int]:
    """Judge the promises whose grace days have ended (kept, partially kept, broken)."""
    as_of = dt.date.fromisoformat(run_date) if run_date else None
    return services.promises_evaluate(as_of=as_of)

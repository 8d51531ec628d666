"""Thin Celery adapters of scoring's services: ids in, a service call, nothing else.

A batch run is split into chunks of CHUNK_SIZE debtors by keyset on debtor id, one task per
chunk so that any number of workers share it; a chunk is safe to run twice (acks_late).
"""

from __future__ import annotations

import datetime as dt
import functools

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from portfolio.models import Client
from scoring.models import ScoringModel
from scoring.services import scoring_chunk_score, scoring_model_train, scoring_run_plan


def _date(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(name="scoring.scoring_train_task", ignore_result=True,
             time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def scoring_train_task(client_id: int, training_date: str | None = None,
                       segment: str = "all") -> None:
    client = Client.objects.get(pk=client_id)
    scoring_model_train(client=client, training_date=_date(training_date), segment=segment)


# One chunk of 50,000 debtors costs under a second of features, prediction and write
# (bench/README.md, "Scoring batch"); 10 minutes is a generous ceiling that frees a stuck worker.
@shared_task(name="scoring.scoring_chunk_task", ignore_result=True, acks_late=True,
             time_limit=600, soft_time_limit=570)
def scoring_chunk_task(model_id: int, lo: int, hi: int, as_of: str) -> int:
    model = ScoringModel.objects.get(pk=model_id)
    return scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=_date(as_of))


@shared_task(name="scoring.scoring_run_task", ignore_result=True,
             time_limit=1800, soft_time_limit=1740)
def scoring_run_task(client_id: int, as_of: str | None = None) -> int:
    """Plan a client's run and enqueue its chunks; returns the number of chunks."""
    client = Client.objects.get(pk=client_id)
    day = _date(as_of)
    plan = scoring_run_plan(client=client)
    for model_id, lo, hi in plan:
        transaction.on_commit(functools.partial(scoring_chunk_task.delay, model_id, lo, hi,
                                                day.isoformat()))
    return len(plan)


@shared_task(name="scoring.scoring_nightly_task", ignore_result=True,
             time_limit=300, soft_time_limit=280)
def scoring_nightly_task() -> None:
    """Every client with a model to run gets tonight's run."""
    client_ids = (ScoringModel.objects.exclude(status=ScoringModel.Status.RETIRED)
                  .order_by("client_id").values_list("client_id", flat=True).distinct())
    today = timezone.localdate().isoformat()
    for client_id in client_ids:
        transaction.on_commit(functools.partial(scoring_run_task.delay, client_id, today))

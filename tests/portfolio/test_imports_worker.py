"""Imports through a real Celery worker and a real Redis broker, on PostgreSQL."""

from __future__ import annotations

import time

import pytest

from config.celery import app
from portfolio.imports import services
from portfolio.models import ImportJob, Invoice
from portfolio.tasks import import_job_commit_task
from tests.factories import ClientFactory, DebtorFactory
from tests.portfolio.imports_helpers import INVOICE_HEADER, csv_bytes

pytestmark = pytest.mark.integration


def _wait_for(predicate, *, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.2)


def _worker_idle(hostname: str) -> bool:
    inspect = app.control.inspect(destination=[hostname], timeout=1)
    active = (inspect.active() or {}).get(hostname)
    reserved = (inspect.reserved() or {}).get(hostname)
    return active == [] and reserved == []


def test_a_commit_task_sent_twice_writes_every_row_once(transactional_db,
                                                        celery_worker_process):
    import io

    client = ClientFactory()
    DebtorFactory(client=client, external_ref="C1")
    DebtorFactory(client=client, external_ref="C2")
    rows = [f"I{n:05d},C{1 + n % 2},2026-01-01,2026-01-31,{n}.50" for n in range(500)]
    job = services.import_job_create(client=client, kind="invoices",
                                     fileobj=io.BytesIO(csv_bytes(INVOICE_HEADER, *rows)),
                                     name="invoices.csv", by=None, run_inline=False)

    # The check runs on the worker too (the file is "large" for this call).
    _wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.VALIDATED)
    import_job_commit_task.delay(job.pk)
    import_job_commit_task.delay(job.pk)
    _wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.COMMITTED)
    _wait_for(lambda: _worker_idle(celery_worker_process))

    job.refresh_from_db()
    assert (job.to_create, job.error_count) == (500, 0)
    assert Invoice.objects.filter(client=client).count() == 500
    assert Invoice.objects.filter(client=client, number="I00499").get().amount == 499.50

"""Thin Celery tasks of the portfolio: each takes an id and calls one service.

Both import tasks are safe to run twice: the service claims the job with a conditional update
of its status, so a second delivery (a retry, a duplicate send) finds it claimed and does
nothing. The hourly expiry of staging tables and the nightly purge of old uploaded files are
safe to run any time.
"""

from __future__ import annotations

from celery import shared_task

from portfolio.imports import retention, services


# A million-row file takes minutes; the limits leave room and stop a stuck worker.
@shared_task(name="portfolio.import_job_validate_task", ignore_result=True,
             soft_time_limit=55 * 60, time_limit=60 * 60)
def import_job_validate_task(job_id: int) -> None:
    services.import_job_validate(job_id=job_id)


@shared_task(name="portfolio.import_job_commit_task", ignore_result=True,
             soft_time_limit=55 * 60, time_limit=60 * 60)
def import_job_commit_task(job_id: int) -> None:
    services.import_job_commit(job_id=job_id)


# Drops a handful of tables; a minute is plenty, the limits stop one stuck on a lock.
@shared_task(name="portfolio.import_stages_expire_task", ignore_result=True,
             soft_time_limit=10 * 60, time_limit=15 * 60)
def import_stages_expire_task() -> None:
    services.import_stages_expire()


# Deletes files in batches; the limits stop a run stuck on an unreachable storage.
@shared_task(name="portfolio.import_files_purge_task", ignore_result=True,
             soft_time_limit=25 * 60, time_limit=30 * 60)
def import_files_purge_task() -> None:
    retention.import_files_purge()

"""Uploaded import files are kept only as long as they are useful (GDPR data minimisation).

An uploaded file and its checked rows hold debtors' names, tax codes, phones and e-mails. Once
a job is over (imported, rejected or failed) and IMPORT_FILE_RETENTION_DAYS have passed, the
file and its checked rows are deleted from storage, and so are the rejected rows' messages
(they quote values); the job row stays as the record of who imported what, when, with its
counts and the file's SHA-256. A preview never committed within the same period is closed as
rejected first, so that nothing can commit a file that is gone.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portfolio.models import ImportJob

logger = logging.getLogger(__name__)
Status = ImportJob.Status

_OVER = (Status.COMMITTED, Status.REJECTED, Status.FAILED)
_BATCH = 500


def _expired_previews_close(cutoff: dt.datetime) -> int:
    """Previews left ready past the retention period are rejected: their file is about to go."""
    return ImportJob.objects.filter(status=Status.VALIDATED, finished_at__lt=cutoff).update(
        status=Status.REJECTED,
        message=_("Not imported within the retention period; upload the file again."))


def _storage_delete(name: str) -> None:
    if name:
        default_storage.delete(name)  # a missing file is not an error


def import_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs over for longer than the retention period. Returns how many
    jobs were purged. Safe to run any time and twice: a purged job has no file name left."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    _expired_previews_close(cutoff)
    due = (ImportJob.objects.filter(status__in=_OVER, finished_at__lt=cutoff)
           .filter(~Q(file="") | ~Q(checked_files={}))
           .order_by("pk").values_list("pk", "file", "checked_files"))
    purged = 0
    while batch := list(due[:_BATCH]):
        for job_id, file_name, checked in batch:
            for name in [file_name, *checked.values()]:
                _storage_delete(name)
            # The row is cleared after its files: a crash in between leaves a job that the
            # next run purges again, never a file nobody points to.
            ImportJob.objects.filter(pk=job_id).update(file="", checked_files={}, errors=[])
            purged += 1
    if purged:
        logger.info("purged the files of %s import job(s) older than %s days", purged,
                    settings.IMPORT_FILE_RETENTION_DAYS)
    return purged

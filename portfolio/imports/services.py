"""The one service layer of imports: the upload page, the API, the command and the tasks call
these and nothing else.

An import is two steps on one ImportJob:

1. `import_job_create` stores the file and checks it (`import_job_validate`): every row is
   read and checked in Python, the good ones written, normalised, to a "checked" file beside
   the upload; that file is streamed by COPY into a temporary staging table and classified
   against the ledger in SQL. Nothing in the ledger changes; the job records what would be
   created, updated and left unchanged, and every rejected row (the first 1000 kept, all
   counted).
2. `import_job_commit_request` then `import_job_commit` stage the checked file again inside one
   transaction, classify it again (the ledger may have changed since the preview), and write
   it with set-based upserts, or write nothing if any row is refused. The job is claimed with
   a conditional UPDATE of its status, so a task delivered twice commits once.

Small files run inline; larger ones go to Celery (portfolio/tasks.py) and the page polls the
job's progress.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import tempfile
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from portfolio.allocation import allocate_open_payments
from portfolio.imports.readers import rows_open
from portfolio.imports.validate import CHECKERS, ErrorLog, RowChecker
from portfolio.imports.writers import copy_line
from portfolio.models import Client, ImportJob

logger = logging.getLogger(__name__)

# Files up to this size are checked and committed in the request; larger ones by a worker.
# ~1 MB is about 20,000 invoice rows, a couple of seconds.
INLINE_MAX_BYTES_DEFAULT = 1024 * 1024
# Rows staged per COPY / executemany batch: large enough that the per-statement cost vanishes,
# small enough to keep a few MB in memory.
BATCH_ROWS = 20_000
PROGRESS_EVERY_ROWS = 20_000
# A claimed job whose worker died is claimable again after the longest a task may run.
STALE_CLAIM = dt.timedelta(hours=2)

Status = ImportJob.Status


def _inline_max_bytes() -> int:
    return int(getattr(settings, "IMPORT_INLINE_MAX_BYTES", INLINE_MAX_BYTES_DEFAULT))


def _file_size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is not None:
        return int(size)
    position = fileobj.tell()
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def _sha256(fileobj: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def import_job_create(*, client: Client, kind: str, fileobj: IO[bytes], name: str,
                      by: AbstractBaseUser | None, run_inline: bool | None = None) -> ImportJob:
    """Store an uploaded file as a new import and check it (inline when small, else by a
    worker). Refuses, storing nothing, an unknown kind or a file above the size limit."""
    if kind not in ImportJob.Kind.values:
        raise DomainError(_("kind %(kind)r must be one of %(kinds)s.")
                          % {"kind": kind, "kinds": ", ".join(ImportJob.Kind.values)},
                          code="bad_choice", field="kind")
    size = _file_size(fileobj)
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise DomainError(_("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it "
                            "into smaller files.") % {"size": f"{size:,}", "limit": f"{limit:,}"},
                          code="file_too_large", field="file")
    if size == 0:
        raise DomainError(_("The file is empty."), code="empty_file", field="file")
    name = os.path.basename(name)[:255] or "import"
    job = ImportJob(client=client, kind=kind, original_name=name, size_bytes=size,
                    file_sha256=_sha256(fileobj), created_by=by)
    job.file.save(name, File(fileobj, name=name), save=False)
    job.save()
    inline = size <= _inline_max_bytes() if run_inline is None else run_inline
    if inline:
        import_job_validate(job_id=job.pk)
        job.refresh_from_db()
    else:
        from portfolio.tasks import import_job_validate_task

        transaction.on_commit(lambda: import_job_validate_task.delay(job.pk))
    return job


def _claim(job_id: int, *, from_status: str, to_status: str, **extra: Any) -> bool:
    """Move the job to `to_status` if (and only if) it is still in `from_status`, or was
    claimed so long ago that its worker must have died. One UPDATE: of two workers given the
    same job, one wins."""
    now = timezone.now()
    stale = Q(status=to_status, started_at__lt=now - STALE_CLAIM)
    return bool(ImportJob.objects.filter(Q(status=from_status) | stale, pk=job_id)
                .update(status=to_status, started_at=now, rows_processed=0, **extra))


def _progress(job_id: int, rows: int, total: int | None = None) -> None:
    """Record progress where the page can see it: the check runs outside any transaction."""
    values = {"rows_processed": rows} if total is None else {"rows_processed": rows,
                                                             "rows_total": total}
    ImportJob.objects.filter(pk=job_id).update(**values)


def _check_rows(job: ImportJob, errors: ErrorLog) -> tuple[int, dict[str, str]]:
    """Read and check every row of the job's file, writing the good ones, normalised, to one
    file per staging table. Returns (rows read, storage names of the checked files)."""
    with contextlib.ExitStack() as stack:
        fileobj = stack.enter_context(job.file.open("rb"))
        stream = rows_open(fileobj, kind=job.kind)
        _progress(job.pk, 0, stream.total)
        checker = CHECKERS[job.kind](client=job.client, positions=stream.positions,
                                     errors=errors)
        spools = {stage.name: stack.enter_context(tempfile.TemporaryFile())
                  for stage in checker.stages}
        pending: dict[str, list[str]] = {name: [] for name in spools}
        rows = 0
        for line, values in stream.rows:
            rows += 1
            for name, row in checker.check(line, values):
                lines = pending[name]
                lines.append(copy_line(row))
                if len(lines) >= BATCH_ROWS:
                    spools[name].write("".join(lines).encode("utf-8"))
                    lines.clear()
            if rows % PROGRESS_EVERY_ROWS == 0:
                _progress(job.pk, rows)
        for name, lines in pending.items():
            spools[name].write("".join(lines).encode("utf-8"))
        if rows == 0:
            raise DomainError(_("The file has column names but no rows."), code="empty_file",
                              field="file")
        # Saved even when some rows were refused: the preview still counts the good ones.
        files = {}
        for name, spool in spools.items():
            spool.seek(0)
            files[name] = default_storage.save(f"{job.file.name}.{name}.tsv", File(spool))
        return rows, files


def _stage(job: ImportJob, cursor: Any) -> tuple[RowChecker, dict[str, int],
                                                  list[tuple[int, str, str]]]:
    """Load the checked files into temporary staging tables (COPY on PostgreSQL) and classify
    them against the ledger. The caller drops the tables (`_unstage`)."""
    checker = CHECKERS[job.kind](client=job.client)
    for stage in checker.stages:
        stage.create(cursor)
        with default_storage.open(job.checked_files[stage.name], "rb") as fileobj:
            stage.load(cursor, fileobj)
    counts = checker.classify(cursor)
    return checker, counts, checker.refused(cursor)


def _unstage(job: ImportJob, cursor: Any) -> None:
    for stage in CHECKERS[job.kind].stages:
        stage.drop(cursor)


def _checked_files_delete(job_id: int) -> None:
    job = ImportJob.objects.get(pk=job_id)
    for name in job.checked_files.values():
        default_storage.delete(name)
    ImportJob.objects.filter(pk=job_id).update(checked_files={})


def _rejected_by_file(job_id: int, error: DomainError) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.REJECTED, message=error.message, error_count=1,
        errors=[{"line": None, "column": error.field or "file", "message": error.message}],
        finished_at=timezone.now())


def _failed(job_id: int, error: Exception) -> None:
    logger.exception("import %s failed", job_id)
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.FAILED, finished_at=timezone.now(),
        message=_("The import stopped on an unexpected error (%s); nothing was written.")
        % type(error).__name__)


def _result_fields(counts: dict[str, int], errors: ErrorLog) -> dict[str, Any]:
    return {
        "to_create": counts.get("new", 0), "to_update": counts.get("updated", 0),
        "unchanged": counts.get("unchanged", 0),
        "error_count": errors.count, "errors": errors.sorted_items(),
    }


def _rows_message(errors: ErrorLog) -> str:
    return _("%(count)s row(s) rejected; nothing was imported. Fix them and upload the file "
             "again.") % {"count": f"{errors.count:,}"}


def import_job_validate(*, job_id: int) -> ImportJob | None:
    """Check the job's file without writing to the ledger (the preview). Runs once: returns
    None when the job was not waiting to be checked."""
    if not _claim(job_id, from_status=Status.PENDING, to_status=Status.VALIDATING):
        return None
    job = ImportJob.objects.select_related("client").get(pk=job_id)
    errors = ErrorLog()
    counts: dict[str, int] = {}
    try:
        rows, files = _check_rows(job, errors)
        ImportJob.objects.filter(pk=job_id).update(checked_files=files, rows_total=rows,
                                                   rows_processed=rows)
        if files:
            job.checked_files = files
            with connection.cursor() as cursor:
                try:
                    _checker, counts, refused = _stage(job, cursor)
                finally:
                    _unstage(job, cursor)
            for line, column, message in refused:
                errors.add(line, column, message)
    except DomainError as error:
        _rejected_by_file(job_id, error)
    except Exception as error:
        _failed(job_id, error)
        raise
    else:
        ok = errors.count == 0
        ImportJob.objects.filter(pk=job_id).update(
            **_result_fields(counts, errors), finished_at=timezone.now(),
            status=Status.VALIDATED if ok else Status.REJECTED,
            message="" if ok else _rows_message(errors))
        if not ok:
            _checked_files_delete(job_id)
    return ImportJob.objects.get(pk=job_id)


def import_job_commit_request(*, job: ImportJob, by: AbstractBaseUser | None,
                              run_inline: bool | None = None) -> ImportJob:
    """Ask for a checked job to be written: inline when small, else by a worker."""
    if job.status != Status.VALIDATED:
        raise DomainError(_("This import is \"%(status)s\"; only an import that is ready "
                            "(checked without errors) can be committed.")
                          % {"status": job.get_status_display()},
                          code="illegal_transition", field="status")
    ImportJob.objects.filter(pk=job.pk).update(commit_requested_at=timezone.now(),
                                               commit_requested_by=by)
    inline = job.size_bytes <= _inline_max_bytes() if run_inline is None else run_inline
    if inline:
        import_job_commit(job_id=job.pk)
    else:
        from portfolio.tasks import import_job_commit_task

        transaction.on_commit(lambda: import_job_commit_task.delay(job.pk))
    job.refresh_from_db()
    return job


class _RowsRefused(Exception):
    def __init__(self, counts: dict[str, int], errors: ErrorLog) -> None:
        super().__init__("rows refused")
        self.counts = counts
        self.errors = errors


def import_job_commit(*, job_id: int) -> ImportJob | None:
    """Write a checked job to the ledger, all or nothing. Runs once: a job that is not ready
    (already committed, being committed, rejected) is left alone and None returned."""
    if not _claim(job_id, from_status=Status.VALIDATED, to_status=Status.COMMITTING):
        return None
    job = ImportJob.objects.select_related("client").get(pk=job_id)
    try:
        with transaction.atomic():
            # One commit per client at a time: two files touching the same invoices must not
            # interleave their classify and write steps.
            Client.objects.select_for_update().get(pk=job.client_id)
            # No try/finally around the staging tables here: on any error the transaction
            # rolls back, and that drops them (a DROP in an aborted transaction would fail
            # and hide the error).
            with connection.cursor() as cursor:
                checker, counts, refused = _stage(job, cursor)
                if refused:
                    # The ledger changed since the preview (a payment, another import).
                    errors = ErrorLog()
                    for line, column, message in refused:
                        errors.add(line, column, message)
                    raise _RowsRefused(counts, errors)
                now = connection.ops.adapt_datetimefield_value(timezone.now())
                checker.write(cursor, now=now)
                _unstage(job, cursor)
            if job.kind in (ImportJob.Kind.INVOICES, ImportJob.Kind.PAYMENTS):
                # New payments settle invoices, and credit left on account settles new
                # invoices: oldest due first, a named invoice first.
                allocate_open_payments(client_id=job.client_id)
            ImportJob.objects.filter(pk=job_id).update(
                **_result_fields(counts, ErrorLog()), status=Status.COMMITTED, message="",
                rows_processed=job.rows_total, finished_at=timezone.now())
    except _RowsRefused as refused_rows:
        ImportJob.objects.filter(pk=job_id).update(
            **_result_fields(refused_rows.counts, refused_rows.errors), status=Status.REJECTED,
            message=_rows_message(refused_rows.errors), finished_at=timezone.now())
    except DomainError as error:
        _rejected_by_file(job_id, error)
    except Exception as error:
        _failed(job_id, error)
        raise
    _checked_files_delete(job_id)
    return ImportJob.objects.get(pk=job_id)

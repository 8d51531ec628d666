"""The one service layer of imports: the upload page, the API, the command and the tasks call
these and nothing else.

An import is two steps on one ImportJob:

1. `import_job_create` stores the file and checks it (`import_job_validate`): every row is
   read and checked in Python, the good ones written, normalised, to a "checked" file beside
   the upload; that file is streamed by COPY into the job's staging table and classified
   against the ledger in SQL. Nothing in the ledger changes; the job records what would be
   created, updated and left unchanged, and every rejected row (the first 1000 kept, all
   counted). On PostgreSQL the staging table of a job ready to commit is kept for step 2.
2. `import_job_commit_request` then `import_job_commit`, in one transaction, take the kept
   staged rows (or stage the checked file again: SQLite, an expired or foreign table),
   classify them again (the ledger may have changed since the preview), and write them with
   set-based statements, or write nothing if any row is refused. The job is claimed with a
   conditional UPDATE of its status, so a task delivered twice commits once.

Kept staging tables that no commit will use are dropped by `import_stages_expire`, hourly.

Small files run inline; larger ones go to Celery (portfolio/tasks.py) and the page polls the
job's progress.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from portfolio.allocation import allocate_open_payments
from portfolio.imports.readers import rows_open
from portfolio.imports.validate import CHECKERS, ErrorLog, RowChecker
from portfolio.imports.writers import Staging
from portfolio.messages import N_, Message
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
# A checked job's staging tables are kept this long for its commit (PostgreSQL); committed
# later, its checked file is loaded again. A day covers a preview left open overnight.
STAGE_KEPT = dt.timedelta(hours=24)

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
                      by: User | None, run_inline: bool | None = None) -> ImportJob:
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


def _unwrapped(fileobj: IO[bytes]) -> IO[bytes]:
    """The storage's own file object under Django's File wrappers: the CSV reader reads it a
    line at a time, and each wrapper answers `closed` in Python (a million calls)."""
    while isinstance(fileobj, File) and fileobj.file is not None:
        fileobj = fileobj.file
    return fileobj


def _check_rows(job: ImportJob, errors: ErrorLog) -> tuple[int, dict[str, str]]:
    """Read and check every row of the job's file, writing the good ones, normalised, to one
    file per staging table. Returns (rows read, storage names of the checked files)."""
    with contextlib.ExitStack() as stack:
        fileobj = stack.enter_context(job.file.open("rb"))
        stream = rows_open(_unwrapped(fileobj), kind=job.kind)
        _progress(job.pk, 0, stream.total)
        checker = CHECKERS[job.kind](client=job.client, positions=stream.positions,
                                     errors=errors)
        spools = {stage.name: stack.enter_context(tempfile.TemporaryFile())
                  for stage in checker.stages}
        pending: dict[str, list[str]] = {name: [] for name in spools}
        rows = 0
        for line, values in stream.rows:
            rows += 1
            for name, text in checker.check(line, values):
                lines = pending[name]
                lines.append(text)
                if len(lines) >= BATCH_ROWS:
                    spools[name].write("".join(lines).encode("utf-8"))
                    lines.clear()
            if rows % PROGRESS_EVERY_ROWS == 0:
                _progress(job.pk, rows)
        for name, lines in pending.items():
            spools[name].write("".join(lines).encode("utf-8"))
        if rows == 0:
            raise DomainError(N_("The file has column names but no rows."), code="empty_file",
                              field="file")
        # Saved even when some rows were refused: the preview still counts the good ones.
        files = {}
        for name, spool in spools.items():
            spool.seek(0)
            files[name] = default_storage.save(f"{job.file.name}.{name}.tsv", File(spool))
        return rows, files


def _stage_kept() -> bool:
    """PostgreSQL keeps a job's staging tables from the preview to the commit; SQLite stages
    the checked file again in each step (temporary tables last one connection)."""
    return connection.vendor == "postgresql"


def _stamp(job: ImportJob, stage: Staging) -> str:
    """Which checked file filled a kept staging table: a table from another check of the job
    (a re-check after a worker died writes a new checked file) is not reused."""
    return f"{job.file_sha256} {job.checked_files[stage.name]}"


def _stage_load(job: ImportJob, checker: RowChecker, cursor: Any) -> None:
    """(Re)create the job's staging tables and fill them from its checked files."""
    for stage in checker.stages:
        stage.create(cursor, job.pk)
        with default_storage.open(job.checked_files[stage.name], "rb") as fileobj:
            stage.load(cursor, job.pk, fileobj, stamp=_stamp(job, stage))


def _stage_reuse(job: ImportJob, checker: RowChecker, cursor: Any) -> bool:
    """True when the preview's staging tables are all there, filled from this job's checked
    files; they are then locked until the commit's transaction ends."""
    return _stage_kept() and all(stage.reusable(cursor, job.pk, stamp=_stamp(job, stage))
                                 for stage in checker.stages)


def _unstage(checker: RowChecker, cursor: Any) -> None:
    for stage in checker.stages:
        stage.drop(cursor, checker.job_id)


def _stages_drop(job_id: int, kind: str) -> None:
    """Drop a job's staging tables outside any step; best effort, as the expiry task sweeps
    whatever is left."""
    try:
        with connection.cursor() as cursor:
            for stage in CHECKERS[kind].stages:
                stage.drop(cursor, job_id)
    except DatabaseError:
        logger.exception("import %s: staging tables not dropped", job_id)


def _checked_files_delete(job_id: int) -> None:
    job = ImportJob.objects.get(pk=job_id)
    for name in job.checked_files.values():
        default_storage.delete(name)
    ImportJob.objects.filter(pk=job_id).update(checked_files={})


def _rejected_by_file(job_id: int, error: DomainError) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=Status.REJECTED, message=str(error.raw_message), error_count=1,
        errors=[{"line": None, "column": error.field or "file",
                 "message": str(error.raw_message),
                 # Checked by a worker: kept translatable, shown in the reader's language.
                 **(error.raw_message.as_stored() if isinstance(error.raw_message, Message)
                    else {})}],
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
    None when the job was not waiting to be checked. On PostgreSQL the staged rows of a job
    ready to commit are kept for the commit."""
    if not _claim(job_id, from_status=Status.PENDING, to_status=Status.VALIDATING):
        return None
    job = ImportJob.objects.select_related("client").get(pk=job_id)
    errors = ErrorLog()
    counts: dict[str, int] = {}
    kept = False
    try:
        rows, files = _check_rows(job, errors)
        ImportJob.objects.filter(pk=job_id).update(checked_files=files, rows_total=rows,
                                                   rows_processed=rows)
        job.checked_files = files
        checker = CHECKERS[job.kind](client=job.client, job_id=job.pk)
        with connection.cursor() as cursor:
            _stage_load(job, checker, cursor)
            counts = checker.classify(cursor)
            for line, column, message in checker.refused(cursor):
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
        kept = ok and _stage_kept()
        if not ok:
            _checked_files_delete(job_id)
    finally:
        if not kept:
            _stages_drop(job_id, job.kind)
    return ImportJob.objects.get(pk=job_id)


def import_job_commit_request(*, job: ImportJob, by: User | None,
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


def _commit_write(job: ImportJob) -> None:
    """Classify the staged rows against the ledger as it is now and write them, in one
    transaction: all or nothing."""
    with transaction.atomic():
        # One commit per client at a time: two files touching the same invoices must not
        # interleave their classify and write steps. On PostgreSQL this lock also holds off
        # every other invoice insert of the client (each key-share locks its client, portfolio
        # migrations 0006-0007), so no invoice number appears between classify and write.
        Client.objects.select_for_update().get(pk=job.client_id)
        checker = CHECKERS[job.kind](client=job.client, job_id=job.pk)
        with connection.cursor() as cursor:
            if not _stage_reuse(job, checker, cursor):
                # Never kept (SQLite), expired, or from another check: load the checked files.
                _stage_load(job, checker, cursor)
            counts = checker.classify(cursor)
            refused = checker.refused(cursor)
            if refused:
                # The ledger changed since the preview (a payment, another import).
                errors = ErrorLog()
                for line, column, message in refused:
                    errors.add(line, column, message)
                raise _RowsRefused(counts, errors)
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            checker.write(cursor, now=now)
            # Dropped with the write: a rolled-back commit leaves a kept table where it was.
            _unstage(checker, cursor)
        if job.kind in (ImportJob.Kind.INVOICES, ImportJob.Kind.PAYMENTS):
            # New payments settle invoices, and credit left on account settles new
            # invoices: oldest due first, a named invoice first.
            allocate_open_payments(client_id=job.client_id)
        ImportJob.objects.filter(pk=job.pk).update(
            **_result_fields(counts, ErrorLog()), status=Status.COMMITTED, message="",
            rows_processed=job.rows_total, finished_at=timezone.now())


def import_job_commit(*, job_id: int) -> ImportJob | None:
    """Write a checked job to the ledger, all or nothing. Runs once: a job that is not ready
    (already committed, being committed, rejected) is left alone and None returned."""
    if not _claim(job_id, from_status=Status.VALIDATED, to_status=Status.COMMITTING):
        return None
    job = ImportJob.objects.select_related("client").get(pk=job_id)
    try:
        _commit_write(job)
    except _RowsRefused as refused_rows:
        ImportJob.objects.filter(pk=job_id).update(
            **_result_fields(refused_rows.counts, refused_rows.errors), status=Status.REJECTED,
            message=_rows_message(refused_rows.errors), finished_at=timezone.now())
    except DomainError as error:
        _rejected_by_file(job_id, error)
    except Exception as error:
        _failed(job_id, error)
        raise
    finally:
        # Committed: dropped already. Rejected or failed: this job will never be committed.
        _stages_drop(job_id, job.kind)
    _checked_files_delete(job_id)
    return ImportJob.objects.get(pk=job_id)


def _kept_stage_tables(cursor: Any) -> dict[str, int]:
    """The kept staging tables in the database, by name, with their job's id."""
    prefixes = {stage.name for checker in CHECKERS.values() for stage in checker.stages}
    pattern = re.compile(rf"({'|'.join(sorted(prefixes))})_(\d+)")
    cursor.execute("""
        SELECT relname FROM pg_class
        WHERE relkind = 'r' AND relpersistence = 'u'
          AND relnamespace = current_schema()::regnamespace AND relname LIKE %s
    """, ["fido\\_import\\_%"])
    tables = {}
    for (name,) in cursor.fetchall():
        match = pattern.fullmatch(name)
        if match:
            tables[name] = int(match.group(2))
    return tables


def import_stages_expire(*, now: dt.datetime | None = None) -> int:
    """Drop the kept staging tables no commit will use: those of jobs committed, rejected or
    failed (a crash can leave them), of jobs deleted, of checks that died, and of jobs ready
    for longer than STAGE_KEPT (committing one later loads its checked file again). Returns
    how many tables were dropped. Run hourly by `portfolio.import_stages_expire`."""
    if not _stage_kept():
        return 0
    now = now or timezone.now()
    with connection.cursor() as cursor:
        tables = _kept_stage_tables(cursor)
    in_use = set(ImportJob.objects.filter(pk__in=set(tables.values())).filter(
        Q(status=Status.VALIDATED, finished_at__gte=now - STAGE_KEPT)
        | Q(status__in=[Status.VALIDATING, Status.COMMITTING], started_at__gte=now - STALE_CLAIM)
    ).values_list("pk", flat=True))
    dropped = 0
    with connection.cursor() as cursor:
        for name, job_id in sorted(tables.items()):
            if job_id not in in_use:
                # Waits for a commit that locked the table; dropped meanwhile is fine.
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")
                dropped += 1
    if dropped:
        logger.info("dropped %s expired import staging table(s)", dropped)
    return dropped

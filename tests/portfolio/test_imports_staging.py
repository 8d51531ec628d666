"""The staging table a preview keeps for its commit (PostgreSQL), its expiry, and the paths that
must give the same answers with or without it (SQLite stages the checked file in each step)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from portfolio.imports import services, writers
from portfolio.imports.writers import INVOICE_STAGE
from portfolio.models import ImportJob, Invoice
from tests.factories import ClientFactory, DebtorFactory, InvoiceFactory
from tests.portfolio.imports_helpers import INVOICE_HEADER, check, csv_bytes

pytestmark = pytest.mark.django_db

ROWS = ("I1,C1,2026-01-01,2026-01-31,100.00", "I2,C2,2026-01-01,2026-01-31,50.00")


@pytest.fixture
def acme():
    acme = ClientFactory()
    DebtorFactory(client=acme, external_ref="C1")
    DebtorFactory(client=acme, external_ref="C2")
    return acme


def _table(job: ImportJob) -> str:
    return f"{INVOICE_STAGE.name}_{job.pk}"


def _staged(job: ImportJob) -> list[str] | None:
    """The invoice numbers in the job's kept staging table; None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [_table(job)])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f'SELECT number FROM "{_table(job)}" ORDER BY line')  # noqa: S608
        return [number for (number,) in cursor.fetchall()]


def _commit(job: ImportJob) -> ImportJob:
    return services.import_job_commit_request(job=job, by=None, run_inline=True)


# --- Kept from the preview to the commit (PostgreSQL) -----------------------------------------


def test_the_preview_keeps_its_checked_rows_for_the_commit(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))

    assert job.status == ImportJob.Status.VALIDATED
    assert _staged(job) == ["I1", "I2"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [_table(job)])
        assert cursor.fetchone() == ("u",)  # unlogged: it can always be loaded again


def test_the_commit_writes_the_kept_rows_without_reading_the_checked_file(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    for name in job.checked_files.values():
        default_storage.delete(name)

    job = _commit(job)

    assert job.status == ImportJob.Status.COMMITTED, job.message
    assert job.to_create == 2
    assert sorted(Invoice.objects.filter(client=acme).values_list("number", flat=True)) == [
        "I1",
        "I2",
    ]


def test_a_commit_drops_the_staging_table(postgres_only, acme):
    job = _commit(check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS)))

    assert job.status == ImportJob.Status.COMMITTED
    assert _staged(job) is None


def test_a_rejected_preview_keeps_no_staging_table(postgres_only, acme):
    job = check(
        acme, "invoices", csv_bytes(INVOICE_HEADER, ROWS[0], "I2,C9,2026-01-01,2026-01-31,50.00")
    )

    assert job.status == ImportJob.Status.REJECTED
    assert _staged(job) is None


def test_a_commit_the_ledger_refuses_drops_the_staging_table_and_writes_nothing(
    postgres_only, acme
):
    invoice = InvoiceFactory(
        client=acme,
        debtor=acme.debtors.get(external_ref="C1"),
        number="I1",
        amount=Decimal("100.00"),
    )
    job = check(
        acme, "invoices", csv_bytes(INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,40", ROWS[1])
    )
    assert job.status == ImportJob.Status.VALIDATED
    # Paid since the preview: 60.00 of it, more than the file's new amount.
    Invoice.objects.filter(pk=invoice.pk).update(
        open_balance=Decimal("40.00"), status=Invoice.Status.PARTIALLY_PAID
    )

    job = _commit(job)

    assert job.status == ImportJob.Status.REJECTED
    assert job.errors[0]["line"] == 2 and job.errors[0]["column"] == "amount"
    assert _staged(job) is None
    assert not Invoice.objects.filter(number="I2").exists()


def test_a_commit_whose_staging_table_is_gone_loads_the_checked_file_again(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{_table(job)}"')

    job = _commit(job)

    assert job.status == ImportJob.Status.COMMITTED
    assert Invoice.objects.filter(client=acme).count() == 2


def test_a_staging_table_emptied_by_a_database_crash_is_loaded_again(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    # Crash recovery resets unlogged tables to empty; the comment, in the catalog, stays.
    with connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{_table(job)}"')

    job = _commit(job)

    assert (job.status, job.to_create) == (ImportJob.Status.COMMITTED, 2)
    assert Invoice.objects.filter(client=acme).count() == 2


def test_a_staging_table_filled_by_another_check_is_never_committed(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    # What a table left by an earlier check of the job (another checked file) looks like.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO "{_table(job)}" VALUES
                           (9, 'STALE', %s, '2026-01-01', '2026-01-31', 1)""",  # noqa: S608
            [acme.debtors.get(external_ref="C1").pk],
        )
        cursor.execute(f"""COMMENT ON TABLE "{_table(job)}" IS 'another check'""")

    job = _commit(job)

    assert job.status == ImportJob.Status.COMMITTED
    assert sorted(Invoice.objects.filter(client=acme).values_list("number", flat=True)) == [
        "I1",
        "I2",
    ]


def test_two_files_checked_before_either_is_committed_are_each_classified_at_commit(
    postgres_only, acme
):
    first = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    second = check(
        acme,
        "invoices",
        csv_bytes(
            INVOICE_HEADER,
            ROWS[0],
            "I2,C2,2026-01-01,2026-03-31,50.00",
            "I3,C1,2026-02-01,2026-02-28,10.00",
        ),
    )
    assert (second.to_create, second.to_update, second.unchanged) == (3, 0, 0)

    assert _commit(first).status == ImportJob.Status.COMMITTED
    second = _commit(second)

    assert second.status == ImportJob.Status.COMMITTED
    assert (second.to_create, second.to_update, second.unchanged) == (1, 1, 1)
    assert Invoice.objects.get(number="I2").due_date == dt.date(2026, 3, 31)
    assert _staged(first) is None and _staged(second) is None


# --- Expiry (PostgreSQL) ------------------------------------------------------------------------


def test_the_expiry_keeps_the_tables_of_jobs_ready_to_commit(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))

    assert services.import_stages_expire() == 0
    assert _staged(job) == ["I1", "I2"]


def test_the_expiry_drops_a_table_kept_too_long_and_the_job_still_commits(postgres_only, acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    ImportJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - services.STAGE_KEPT - dt.timedelta(minutes=1)
    )

    assert services.import_stages_expire() == 1
    assert _staged(job) is None
    job = _commit(ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportJob.Status.COMMITTED
    assert Invoice.objects.filter(client=acme).count() == 2


def test_the_expiry_drops_tables_of_finished_and_deleted_jobs_and_keeps_running_ones(
    postgres_only, acme
):
    ready = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))
    left = check(acme, "invoices", csv_bytes(INVOICE_HEADER, ROWS[0]))
    running = check(acme, "invoices", csv_bytes(INVOICE_HEADER, ROWS[1]))
    # A table a crash left behind for a job that failed, one for a job deleted since, and one
    # being committed right now (claimed a minute ago).
    ImportJob.objects.filter(pk=left.pk).update(status=ImportJob.Status.FAILED)
    ImportJob.objects.filter(pk=running.pk).update(
        status=ImportJob.Status.COMMITTING, started_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE UNLOGGED TABLE "{INVOICE_STAGE.name}_987654321" (line int)')
        cursor.execute("CREATE UNLOGGED TABLE fido_import_notes (line int)")  # not a stage

    assert services.import_stages_expire() == 2

    assert _staged(left) is None
    assert _staged(ready) == ["I1", "I2"] and _staged(running) == ["I2"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('fido_import_notes')")
        assert cursor.fetchone()[0] is not None


def test_the_expiry_task_is_scheduled_hourly(settings):
    from portfolio.tasks import import_stages_expire_task

    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == import_stages_expire_task.name
    ]
    assert entries == [{"task": "portfolio.import_stages_expire_task", "schedule": 3600.0}]


# --- The same answers on both databases ---------------------------------------------------------


def test_the_expiry_does_nothing_where_nothing_is_kept(acme):
    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS))

    services.import_stages_expire()

    assert _commit(job).status == ImportJob.Status.COMMITTED


def test_a_file_longer_than_a_batch_is_staged_and_written_whole(acme, monkeypatch):
    # Batches of three rows: the checked file's spool, the progress count and the staging
    # inserts (executemany on SQLite, COPY on PostgreSQL) each cross several batch boundaries
    # and end on a part-filled batch.
    monkeypatch.setattr(services, "BATCH_ROWS", 3)
    monkeypatch.setattr(services, "PROGRESS_EVERY_ROWS", 3)
    monkeypatch.setattr(writers, "SQLITE_INSERT_ROWS", 3)
    rows = [f"N{n},C{1 + n % 2},2026-01-01,2026-01-31,{n}.50" for n in range(1, 11)]

    job = _commit(check(acme, "invoices", csv_bytes(INVOICE_HEADER, *rows)))

    assert (job.status, job.to_create) == (ImportJob.Status.COMMITTED, 10), job.errors
    written = Invoice.objects.filter(client=acme).values_list(
        "number", "debtor__external_ref", "amount")
    assert sorted(written) == sorted(
        (f"N{n}", f"C{1 + n % 2}", Decimal(f"{n}.50")) for n in range(1, 11))


def test_a_reimport_changes_nothing_and_counts_every_row_unchanged(acme):
    _commit(check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS)))
    before = list(Invoice.objects.order_by("id").values_list("id", "updated_at", "amount"))

    job = _commit(check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS)))

    assert (job.status, job.to_create, job.to_update, job.unchanged) == (
        ImportJob.Status.COMMITTED,
        0,
        0,
        2,
    )
    assert list(Invoice.objects.order_by("id").values_list("id", "updated_at", "amount")) == before


def test_an_update_by_number_touches_only_the_rows_that_change(acme):
    _commit(check(acme, "invoices", csv_bytes(INVOICE_HEADER, *ROWS)))
    unchanged_before = Invoice.objects.get(number="I1").updated_at

    job = _commit(
        check(
            acme,
            "invoices",
            csv_bytes(
                INVOICE_HEADER,
                ROWS[0],
                "I2,C1,2026-01-02,2026-02-28,75.00",
                "I3,C2,2026-01-01,2026-01-31,5.00",
            ),
        )
    )

    assert (job.to_create, job.to_update, job.unchanged) == (1, 1, 1)
    assert Invoice.objects.get(number="I1").updated_at == unchanged_before
    moved = Invoice.objects.select_related("debtor").get(number="I2")
    assert (
        moved.debtor.external_ref,
        moved.issue_date,
        moved.amount,
        moved.open_balance,
        moved.status,
    ) == ("C1", dt.date(2026, 1, 2), Decimal("75.00"), Decimal("75.00"), Invoice.Status.OPEN)


def test_an_update_keeps_what_was_paid_and_the_status_it_implies(acme):
    invoice = InvoiceFactory(
        client=acme,
        debtor=acme.debtors.get(external_ref="C1"),
        number="I1",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 1, 31),
        amount=Decimal("100.00"),
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        open_balance=Decimal("40.00"), status=Invoice.Status.PARTIALLY_PAID
    )

    job = _commit(
        check(acme, "invoices", csv_bytes(INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,60.00"))
    )

    assert (job.status, job.to_update) == (ImportJob.Status.COMMITTED, 1)
    invoice.refresh_from_db()
    assert (invoice.amount, invoice.open_balance, invoice.status) == (
        Decimal("60.00"),
        Decimal("0.00"),
        Invoice.Status.PAID,
    )


def test_an_invoice_with_payments_cannot_move_and_the_row_names_both(acme):
    invoice = InvoiceFactory(
        client=acme,
        debtor=acme.debtors.get(external_ref="C1"),
        number="I1",
        amount=Decimal("100.00"),
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        open_balance=Decimal("40.00"), status=Invoice.Status.PARTIALLY_PAID
    )

    job = check(acme, "invoices", csv_bytes(INVOICE_HEADER, "I1,C2,2026-01-01,2026-01-31,50.00"))

    assert job.status == ImportJob.Status.REJECTED
    assert [(error["line"], error["column"]) for error in job.errors] == [
        (2, "amount"),
        (2, "customer_code"),
    ]


def test_invoice_numbers_with_characters_copy_escapes_are_written_as_they_are(acme):
    job = _commit(
        check(
            acme,
            "invoices",
            csv_bytes(
                INVOICE_HEADER,
                "A\\1,C1,2026-01-01,2026-01-31,1.00",
                '"B\tC",C2,2026-01-01,2026-01-31,2.00',
                "D\\N,C1,2026-01-01,2026-01-31,3",
            ),
        )
    )

    assert job.status == ImportJob.Status.COMMITTED, job.errors
    assert sorted(Invoice.objects.filter(client=acme).values_list("number", "amount")) == [
        ("A\\1", Decimal("1.00")),
        ("B\tC", Decimal("2.00")),
        ("D\\N", Decimal("3.00")),
    ]

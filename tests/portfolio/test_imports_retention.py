"""Uploaded import files are deleted once their job has been over for the retention period;
the job row stays as the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from portfolio.imports import retention
from portfolio.models import ImportJob
from tests.factories import ClientFactory
from tests.portfolio.imports_helpers import check, check_and_commit, debtor_row, debtors_csv

pytestmark = pytest.mark.django_db


def _age(job: ImportJob, days: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=days))


@override_settings(IMPORT_FILE_RETENTION_DAYS=30)
def test_an_old_import_loses_its_files_and_rejected_rows_but_keeps_its_record() -> None:
    client = ClientFactory()
    old = check_and_commit(client, "debtors", debtors_csv(debtor_row("C1")))
    bad = check(client, "debtors", debtors_csv(debtor_row("C2", mobile="12")))
    recent = check_and_commit(client, "debtors", debtors_csv(debtor_row("C3")), name="b.csv")
    assert bad.status == "rejected" and bad.errors
    old_name = old.file.name
    _age(old, 31)
    _age(bad, 31)
    _age(recent, 29)

    purged = retention.import_files_purge()

    old.refresh_from_db()
    bad.refresh_from_db()
    recent.refresh_from_db()
    assert purged == 2
    assert not default_storage.exists(old_name)
    assert (old.file.name, old.checked_files, old.status) == ("", {}, "committed")
    assert old.file_sha256 and old.to_create == 1  # the record of what was imported stays
    assert bad.errors == [] and bad.error_count >= 1
    assert recent.file.name and default_storage.exists(recent.file.name)
    assert retention.import_files_purge() == 0  # nothing left to purge


@override_settings(IMPORT_FILE_RETENTION_DAYS=30)
def test_a_preview_never_committed_is_closed_before_its_file_goes() -> None:
    job = check(ClientFactory(), "debtors", debtors_csv(debtor_row("C1")))
    assert job.status == "validated"
    _age(job, 31)

    retention.import_files_purge()

    job.refresh_from_db()
    assert job.status == "rejected" and "retention" in job.message
    assert job.file.name == "" and job.checked_files == {}

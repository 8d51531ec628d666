"""Import a debtors, invoices or payments file from the command line.

    manage.py portfolio_import --client 3 --kind invoices invoices.csv           # preview only
    manage.py portfolio_import --client 3 --kind invoices invoices.csv --commit  # and write

Runs the same services as the upload page and the API, inline in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.errors import DomainError
from portfolio.imports import services
from portfolio.models import Client, ImportJob


class Command(BaseCommand):
    help = "Check (and with --commit, write) a portfolio import file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--client", type=int, required=True, help="the client's id")
        parser.add_argument("--kind", required=True, choices=ImportJob.Kind.values)
        parser.add_argument("--commit", action="store_true",
                            help="write the rows when the file has no rejected row")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            client = Client.objects.get(pk=options["client"])
        except Client.DoesNotExist:
            raise CommandError(f"There is no client {options['client']}.") from None
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            with path.open("rb") as handle:
                job = services.import_job_create(client=client, kind=options["kind"],
                                                 fileobj=handle, name=path.name, by=None,
                                                 run_inline=True)
        except DomainError as error:
            raise CommandError(error.message) from None
        self._report(job)
        if job.status != ImportJob.Status.VALIDATED:
            raise CommandError(job.message or f"Import {job.pk} is {job.status}.")
        if options["commit"]:
            job = services.import_job_commit_request(job=job, by=None, run_inline=True)
            if job.status != ImportJob.Status.COMMITTED:
                self._report(job)
                raise CommandError(job.message or f"Import {job.pk} is {job.status}.")
            self.stdout.write(self.style.SUCCESS(
                f"Import {job.pk} committed: {job.to_create} created, {job.to_update} updated, "
                f"{job.unchanged} unchanged."))
        else:
            self.stdout.write(f"Preview only; run again with --commit to write import {job.pk}.")

    def _report(self, job: ImportJob) -> None:
        self.stdout.write(f"Import {job.pk} ({job.kind}, {job.rows_total} rows): "
                          f"{job.to_create} to create, {job.to_update} to update, "
                          f"{job.unchanged} unchanged, {job.error_count} rejected.")
        for error in job.errors:
            where = f"line {error['line']}" if error["line"] else "file"
            self.stderr.write(f"  {where}: {error['message']}")
        if job.error_count > len(job.errors):
            self.stderr.write(f"  … and {job.error_count - len(job.errors)} more.")

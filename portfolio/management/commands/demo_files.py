"""Write one demo client's portfolio as the CSV files the import reads (for demos and
benchmarks of the import). Touches no database."""

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolio.demo import CLIENT_KEYS, demo_files_write


class Command(BaseCommand):
    help = "Write debtors.csv, invoices.csv and payments.csv of a demo client into a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="Folder to write the files into.")
        parser.add_argument("--invoices", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--client", choices=CLIENT_KEYS, default="utility")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, out: str, invoices: int, seed: int, client: str,
               today: dt.date | None, **options: Any) -> None:
        if invoices < 1:
            raise CommandError("--invoices must be at least 1.")
        started = time.monotonic()
        files = demo_files_write(out, seed=seed, invoices=invoices, today=today, client=client)
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {files.debtor_count:,} debtors, {files.invoice_count:,} invoices and "
            f"{files.payment_count:,} payments to {out} in {time.monotonic() - started:.1f} s."))
        for path in (files.debtors, files.invoices, files.payments):
            self.stdout.write(f"  {path}")

"""Open the demo portfolio's collection cases and give the desk a few weeks of history
(embedded demo only; real portfolios open their cases through the beat task)."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recovery.demo import recovery_demo_create


class Command(BaseCommand):
    help = "Open collection cases and write the demo desk history (embedded demo only, once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--force", action="store_true",
                            help="Allow outside the embedded mode.")

    def handle(self, *args: Any, today: dt.date | None, force: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not force:
            raise CommandError("recovery_demo is for the embedded demo (FIDO_EMBEDDED=true).")
        counts = recovery_demo_create(today=today)
        self.stdout.write(f"Collections: {counts['opened']} cases opened, "
                          f"{counts['contacts']} demo contacts written.")

"""Six months of demo surveys, answers and follow-ups (embedded demo only; run after
recovery_demo). The data is generated, and the command says so."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from experience.demo import experience_demo_create, strategy_comparison


class Command(BaseCommand):
    help = ("Write the demo survey programmes, surveys, answers and follow-ups (embedded demo "
            "only, once). Generated data.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--force", action="store_true",
                            help="Allow outside the embedded mode.")

    def handle(self, *args: Any, today: dt.date | None, force: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not force:
            raise CommandError("experience_demo is for the embedded demo (FIDO_EMBEDDED=true).")
        counts = experience_demo_create(today=today)
        if counts.skipped:
            self.stdout.write("Experience: the demo surveys exist already (or the demo users "
                              "are missing); nothing written.")
            return
        surveys = ", ".join(f"{n} {status}" for status, n in sorted(counts.surveys.items()))
        answers = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.answers.items()))
        follow_ups = ", ".join(f"{n} {state}" for state, n in sorted(counts.follow_ups.items()))
        self.stdout.write(f"Experience: surveys {surveys}; answers {answers}; follow-ups "
                          f"{follow_ups}; {counts.cases} closed demo cases with "
                          f"{counts.promises} judged promises.")
        self.stdout.write("DEMO DATA: scores, comments and promise outcomes are generated. The "
                          "empathetic strategy was given better behaviour than the standard "
                          "script on purpose (experience/demo.py), so that the comparison has "
                          "a difference to show; it is not a measurement.")
        for line in strategy_comparison():
            self.stdout.write(f"  {line}")

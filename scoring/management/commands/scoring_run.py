"""Score a client's debtors now (the nightly run, on demand), chunk by chunk."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portfolio.models import Client
from scoring.models import ScoringModel
from scoring.services import scoring_chunk_score, scoring_run_plan
from scoring.tasks import scoring_run_task


class Command(BaseCommand):
    help = "Score every debtor of a client with its champion (or proposed) models."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", type=int, required=True, help="client id")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--enqueue", action="store_true",
                            help="hand the chunks to the Celery workers instead of running here")

    def handle(self, *args: Any, client: int, as_of: dt.date | None, enqueue: bool,
               **options: Any) -> None:
        try:
            owner = Client.objects.get(pk=client)
        except Client.DoesNotExist:
            raise CommandError(f"There is no client with id {client}.") from None
        day = as_of or timezone.localdate()
        if enqueue:
            scoring_run_task.delay(owner.pk, day.isoformat())
            self.stdout.write("Run enqueued.")
            return
        plan = scoring_run_plan(client=owner)
        if not plan:
            raise CommandError("The client has no champion or proposed model; train first.")
        written = 0
        for model_id, lo, hi in plan:
            written += scoring_chunk_score(model=ScoringModel.objects.get(pk=model_id),
                                           lo=lo, hi=hi, as_of=day)
        self.stdout.write(f"{written} scores written in {len(plan)} chunks as of {day}.")

"""Give the demo portfolio scores on first start: train and run for every client without a
model. The embedded demo only; real clients train when a credit manager asks."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolio.models import Client
from scoring.models import ScoringModel


class Command(BaseCommand):
    help = "Train and score every client that has no scoring model yet (embedded demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true",
                            help="Allow outside the embedded mode.")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not force:
            raise CommandError("scoring_demo is for the embedded demo (FIDO_EMBEDDED=true); "
                               "use scoring_train and scoring_run for real clients.")
        trained = set(ScoringModel.objects.values_list("client_id", flat=True))
        for client in Client.objects.exclude(pk__in=trained).order_by("id"):
            self.stdout.write(f"Scoring the demo client {client.name} …")
            try:
                call_command("scoring_train", client=client.pk, stdout=self.stdout)
                call_command("scoring_run", client=client.pk, stdout=self.stdout)
            except CommandError as error:
                # Too little history to learn from is not a reason to stop the demo.
                self.stdout.write(self.style.WARNING(f"  not scored: {error}"))

"""Give the demo portfolio scores on first start: train, promote and run for every client
without a model. The embedded demo only; real clients train when a credit manager asks.

Pages show only a champion's scores, so the demo's credit manager promotes the proposed model
(as a credit manager would after reading its validation), recorded as theirs."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.roles import Role
from access.scoping import client_staff
from portfolio.models import Client
from scoring.models import ScoringModel
from scoring.services import scoring_model_promote


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
                self._promote_proposed(client)
                call_command("scoring_run", client=client.pk, stdout=self.stdout)
            except CommandError as error:
                # Too little history to learn from is not a reason to stop the demo.
                self.stdout.write(self.style.WARNING(f"  not scored: {error}"))

    def _promote_proposed(self, client: Client) -> None:
        manager = client_staff(client.pk, roles=[Role.CREDIT_MANAGER]).order_by("id").first()
        if manager is None:
            self.stdout.write(self.style.WARNING("  no credit manager to promote a champion"))
            return
        for model in ScoringModel.objects.filter(client=client, proposed=True):
            scoring_model_promote(model=model, user=manager)
            self.stdout.write(f"  {model} promoted to champion by {manager.get_username()}")

"""Train a client's scorecard and gradient-boosting challenger on its ledger."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.errors import DomainError
from portfolio.models import Client
from scoring.models import ScoringModel
from scoring.services import scoring_model_train


class Command(BaseCommand):
    help = "Train both model kinds for a client; the better one is proposed as champion."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", type=int, required=True, help="client id")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                            help="training date YYYY-MM-DD (default today)")
        parser.add_argument("--segment", choices=ScoringModel.Segment.values, default="all")

    def handle(self, *args: Any, client: int, as_of: dt.date | None, segment: str,
               **options: Any) -> None:
        try:
            owner = Client.objects.get(pk=client)
        except Client.DoesNotExist:
            raise CommandError(f"There is no client with id {client}.") from None
        try:
            models = scoring_model_train(client=owner, training_date=as_of, segment=segment)
        except DomainError as error:
            raise CommandError(error.message) from None
        for model in models:
            m = model.metrics
            flag = "  <- proposed champion" if model.proposed else ""
            self.stdout.write(f"{model}: AUC {m['auc']:.3f} Gini {m['gini']:.3f} "
                              f"KS {m['ks']:.3f} Brier {m['brier']:.4f}{flag}")

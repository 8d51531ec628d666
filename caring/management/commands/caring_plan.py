"""Run the caring planner now, in this process, for every client with an active policy.

`./dev run` calls it on start so that the agents' queue is full when the login page appears,
instead of waiting for the hourly schedule. Idempotent: a second run plans nothing twice."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from caring import services
from caring.models import CaringPolicy
from portfolio.models import Client


class Command(BaseCommand):
    help = "Plan today's courtesy calls now (every client with an active caring policy)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None,
                            help="The planning day (ISO date); today by default.")

    def handle(self, *args: Any, date: dt.date | None, **options: Any) -> None:
        clients = Client.objects.filter(
            pk__in=CaringPolicy.objects.filter(active=True).values("client_id")).order_by("id")
        runs = services.plan_runs_request(clients=clients, user=None, run_date=date,
                                          enqueue=False)
        for run in runs:
            done = services.plan_run_execute(run_id=run.pk)
            if done is None:
                self.stdout.write(f"{run.client.name}: already being planned by a worker.")
            else:
                self.stdout.write(f"{run.client.name}: {done.calls} courtesy calls planned, "
                                  f"{done.assigned} invoices assigned.")

"""Give the demo its credit file on first start: limits in the record, sample requests."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from credit.demo import credit_demo_create
from portfolio.models import Client


class Command(BaseCommand):
    help = ("Carry the demo's loaded credit limits into the record and add sample requests "
            "(embedded demo only; idempotent).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true",
                            help="Allow outside the embedded mode.")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not force:
            raise CommandError("credit_demo is for the embedded demo (FIDO_EMBEDDED=true); "
                               "use credit_limits_carry_over for real portfolios.")
        self.stdout.write("Credit file of the demo …")
        credit_demo_create(clients=list(Client.objects.order_by("id")),
                           progress=self.stdout.write)

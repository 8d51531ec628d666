"""Make the approved limits the one source of truth on a database loaded with limits on the
debtor rows: each such debtor gets an active CreditLimit (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from credit.services import credit_limits_carry_over


class Command(BaseCommand):
    help = ("Give every debtor whose credit limit was loaded with the portfolio an approved "
            "limit in the credit record (skips debtors that have one).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", type=int, action="append", dest="clients",
                            help="Only this client id (repeatable); every client by default.")

    def handle(self, *args: Any, clients: list[int] | None, **options: Any) -> None:
        created = credit_limits_carry_over(client_ids=clients)
        self.stdout.write(f"{created:,} credit limits carried over into the record.")

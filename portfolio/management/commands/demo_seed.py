"""Seed the demo portfolio and one login per role, once. Refused outside the embedded mode."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolio.demo import demo_portfolio_create
from portfolio.demo_users import DEMO_PASSWORD, demo_users_create
from portfolio.models import Client


class Command(BaseCommand):
    help = "Create the demo portfolio (first start only) and print one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true",
                            help="Allow outside the embedded mode (never on real data).")

    def handle(self, *args: Any, seed: int, force: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not force:
            raise CommandError("demo_seed writes demo logins with a known password; it runs "
                               "only in the embedded mode (FIDO_EMBEDDED=true) or with --force.")
        if Client.objects.exists():
            clients = list(Client.objects.order_by("id"))
            self.stdout.write("Demo portfolio already present; logins refreshed.")
        else:
            self.stdout.write("Generating the demo portfolio …")
            clients = demo_portfolio_create(seed=seed)
        logins = demo_users_create(clients=clients)
        self.stdout.write(self.style.SUCCESS(f"Logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            suffix = f" ({login.client_name})" if login.client_name else ""
            self.stdout.write(f"  {login.role:<18} {login.username}{suffix}")

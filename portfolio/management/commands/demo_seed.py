"""Seed the demo portfolio and one login per role, once. Refused outside the embedded mode."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portfolio.demo import CLIENT_KEYS, demo_portfolio_create
from portfolio.demo.privacy import demo_privacy_requests
from portfolio.demo_users import DEMO_PASSWORD, demo_users_create
from portfolio.models import Client


class Command(BaseCommand):
    help = "Create the demo portfolio (first start only) and print one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--invoices", type=int, default=10_000,
                            help="Invoices in all, shared among the clients (default 10,000).")
        parser.add_argument("--client", action="append", choices=CLIENT_KEYS, dest="clients",
                            help="Generate only this demo client (repeatable); all by default.")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="The last day of the 24 months of history (ISO date).")
        parser.add_argument("--method", choices=["auto", "orm", "copy"], default="auto",
                            help="bulk_create (orm) or PostgreSQL COPY; auto picks COPY on "
                                 "PostgreSQL.")
        parser.add_argument("--force", action="store_true",
                            help="Allow outside the embedded mode (never on real data).")

    def handle(self, *args: Any, seed: int, invoices: int, clients: list[str] | None,
               today: dt.date | None, method: str, force: bool, **options: Any) -> None:
        if not settings.EMBEDDED and not force:
            raise CommandError("demo_seed writes demo logins with a known password; it runs "
                               "only in the embedded mode (FIDO_EMBEDDED=true) or with --force.")
        if invoices < 1:
            raise CommandError("--invoices must be at least 1.")
        fresh = not Client.objects.exists()
        if not fresh:
            demo_clients = list(Client.objects.order_by("id"))
            self.stdout.write("Demo portfolio already present; logins refreshed.")
        else:
            self.stdout.write(f"Generating the demo portfolio ({invoices:,} invoices) …")
            if method == "copy" and connection.vendor != "postgresql":
                raise CommandError("--method copy needs PostgreSQL.")
            demo_clients = demo_portfolio_create(seed=seed, today=today, invoices=invoices,
                                                 clients=clients, method=method,
                                                 progress=self.stdout.write)
        logins = demo_users_create(clients=demo_clients)
        if fresh:
            restricted = demo_privacy_requests(clients=demo_clients)
            if restricted is not None:
                self.stdout.write(f"GDPR: erasure refused and processing restricted for "
                                  f"{restricted.name} (debtor {restricted.pk}).")
        self.stdout.write(self.style.SUCCESS(f"Logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            suffix = f" ({login.client_name})" if login.client_name else ""
            self.stdout.write(f"  {login.role:<18} {login.username}{suffix}")

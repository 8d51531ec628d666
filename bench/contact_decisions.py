"""Benchmark: contact decisions per second for a batch of debtors (the caring planner's call).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fido SECRET_KEY=x \\
        .venv/bin/python bench/contact_decisions.py --debtors 100000

What it does, in one process:
1. (Re)creates a separate database, `fido_bench_compliance` by default, on the server named by
   DATABASE_URL (never the database in the URL itself, never a test database), and migrates it.
2. Bulk-creates N debtors of one client: 60% Italy, 15% United Kingdom, 25% United States
   (a fifth of them in Massachusetts), each with a phone (its zones from `phonenumbers`;
   one in ten also has a number in another zone) and an e-mail; 30% with one to five recent
   attempts, 3% with an account hold, 3% with their own restriction, 1% with a disputed
   invoice, and one client contract rule.
3. Times `can_contact_many(debtors, "call", at)` over the whole portfolio twice: deciding only
   (record=False) and deciding plus storing every decision (the evidence row per decision).
4. Prints decisions per second for both and exits non-zero when the stored rate misses the
   floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import database_recreate  # noqa: E402

# Decisions per second, stored, wall clock, on a shared 2-core development machine.
FLOOR_PER_SECOND = 1000


def _populate(debtors: int, *, at: dt.datetime, seed: int) -> int:
    from compliance.models import ContactAttempt, ContactHold, ContactRestriction
    from compliance.rules import CONNECTED_RESULTS
    from compliance.services import client_contact_rule_save
    from portfolio.models import Client, ContactPoint, Debtor, Invoice

    rng = random.Random(seed)
    client = Client.objects.create(name="Bench S.p.A.", vat_number="00000000000", country="IT",
                                   currency="EUR")
    client_contact_rule_save(client=client, parameter="min_spacing_minutes", value=240)
    places = ([("IT", "", "Europe/Rome", "+39347{:07d}", ["Europe/Rome"])] * 12
              + [("GB", "", "Europe/London", "+44770090{:04d}", ["Europe/London"])] * 3
              + [("US", "NY", "America/New_York", "+1212555{:04d}", ["America/New_York"])] * 2
              + [("US", "CA", "America/Los_Angeles", "+1415555{:04d}",
                  ["America/Los_Angeles"])] * 2
              + [("US", "MA", "America/New_York", "+1617555{:04d}", ["America/New_York"])])
    rows = []
    for n in range(debtors):
        country, region, zone, _phone, _zones = places[n % len(places)]
        rows.append(Debtor(client=client, external_ref=f"B{n:07d}", kind="consumer",
                           name=f"Debtor {n}", country=country, region=region, timezone=zone))
    created = Debtor.objects.bulk_create(rows, batch_size=5000)
    points, attempts, holds, restrictions, invoices = [], [], [], [], []
    for n, debtor in enumerate(created):
        _c, _r, _z, phone_format, zones = places[n % len(places)]
        phone = phone_format.format(n % 10_000)
        points.append(ContactPoint(client=client, debtor=debtor, channel="phone", value=phone,
                                   label="mobile", timezones=zones))
        if n % 10 == 0:
            points.append(ContactPoint(client=client, debtor=debtor, channel="phone",
                                       value=f"+13125550{n % 1000:03d}", label="work",
                                       timezones=["America/Chicago"]))
        points.append(ContactPoint(client=client, debtor=debtor, channel="email",
                                   value=f"d{n}@example.invalid", timezones=[]))
        if rng.random() < 0.30:
            for _ in range(rng.randint(1, 5)):
                result = rng.choice(["busy", "no_answer", "voicemail_left", "answered"])
                attempts.append(ContactAttempt(
                    client=client, debtor=debtor, channel="call", destination=phone,
                    started_at=at - dt.timedelta(minutes=rng.randint(30, 10 * 24 * 60)),
                    result=result, connected=result in CONNECTED_RESULTS,
                    conversation=False))
        roll = rng.random()
        if roll < 0.03:
            holds.append(ContactHold(client=client, debtor=debtor,
                                     kind=rng.choice(["complaint", "lawyer", "insolvency"]),
                                     starts_at=at - dt.timedelta(days=3)))
        elif roll < 0.06:
            restrictions.append(ContactRestriction(
                client=client, debtor=debtor, kind="inconvenient_time",
                not_before=dt.time(10, 0), created_at=at - dt.timedelta(days=3)))
        elif roll < 0.07:
            invoices.append(Invoice(client=client, debtor=debtor, number=f"D{n:07d}",
                                    issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1),
                                    amount=100, currency="EUR", open_balance=100,
                                    status="disputed"))
    ContactPoint.objects.bulk_create(points, batch_size=5000)
    ContactAttempt.objects.bulk_create(attempts, batch_size=5000)
    ContactHold.objects.bulk_create(holds, batch_size=5000)
    ContactRestriction.objects.bulk_create(restrictions, batch_size=5000)
    Invoice.objects.bulk_create(invoices, batch_size=5000)
    return client.pk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debtors", type=int, default=100_000)
    parser.add_argument("--database", default="fido_bench_compliance")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server (postgres://…).", file=sys.stderr)
        return 2
    database_recreate(base_url, args.database)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Embedded mode for everything but the database: no broker or hosts to configure.
    os.environ.setdefault("FIDO_EMBEDDED", "true")
    os.environ.setdefault("FIDO_VAR_DIR", tempfile.mkdtemp(prefix="fido-bench-compliance-"))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from compliance.engine import can_contact_many
    from compliance.models import ContactDecision
    from portfolio.models import Debtor

    # A Wednesday late morning in Rome: inside every pack's window for the European debtors,
    # before the window for the US ones, so both the allow and the reschedule paths run.
    at = dt.datetime(2026, 9, 16, 9, 30, tzinfo=dt.UTC)
    started = time.perf_counter()
    client_id = _populate(args.debtors, at=at, seed=args.seed)
    print(f"populated {args.debtors:,} debtors in {time.perf_counter() - started:.1f} s")
    portfolio = Debtor.objects.filter(client_id=client_id)
    # Warm-up outside the timing: the first holiday lookup imports the `holidays` package's
    # country modules (about 2 s once per process, not per decision).
    can_contact_many(portfolio[:50], "call", at, record=False)

    started, cpu = time.perf_counter(), time.process_time()
    decided = can_contact_many(portfolio, "call", at, record=False)
    dry, dry_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    stored = can_contact_many(portfolio, "call", at, purpose="bench")
    wet, wet_cpu = time.perf_counter() - started, time.process_time() - cpu

    allowed = sum(1 for d in stored.values() if d.allowed)
    assert len(decided) == len(stored) == args.debtors
    assert ContactDecision.objects.count() == args.debtors
    # Wall time includes PostgreSQL and any other load on the machine; this process's CPU
    # time is the engine's own cost.
    print(f"decided {len(decided):,} debtors: {len(decided) / dry:,.0f} decisions/s "
          f"({dry:.1f} s wall, {dry_cpu:.1f} s CPU of this process), {allowed:,} allowed")
    rate = len(stored) / wet
    print(f"decided and stored: {rate:,.0f} decisions/s ({wet:.1f} s wall, {wet_cpu:.1f} s "
          f"CPU); floor {FLOOR_PER_SECOND:,}/s")
    return 0 if rate >= FLOOR_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())

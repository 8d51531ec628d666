"""Benchmark: the client portal's home page on a 1,000,000-invoice portfolio (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fido SECRET_KEY=x \\
        .venv/bin/python bench/client_portal.py --invoices 1000000

What it does, in one process:
1. (Re)creates a separate database, `fido_bench_client_portal` by default, on the server named
   by BENCH_DATABASE_URL or DATABASE_URL (never the database in the URL itself), and migrates it.
2. Generates the ledger of bench/recovery_cases.py (one client, invoices/10 debtors, N
   invoices over 180 days of due dates, about 13% overdue), one payment per ten invoices spread
   over the last 400 days, opens the collections cases with the real service, and adds
   transactional survey answers (one per fifty invoices) over the last year.
3. Times the portal's home page (`/insights/portal/`) for a client user through Django's test
   client: the whole server side (middleware, session, access scoping, every figure, the
   template), best of `--repeats`.
4. Times, in the same run, the same figures as hand-written SQL on one cursor (the floor:
   the aggregates alone, no ORM, no template), best of `--repeats`, and prints page / SQL.
   Targets: page ≤ 2x the SQL, and page under 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import database_recreate  # noqa: E402

TARGET_RATIO = 2.0
TARGET_SECONDS = 1.0
AS_OF = dt.date(2026, 9, 16)  # bench/recovery_cases.py's run date: its ledger is built around it


def populate(invoices: int) -> int:
    """The ledger, payments, cases and answers (set-based). Returns the client's id."""
    from django.db import connection

    from bench import recovery_cases

    client_id = recovery_cases.populate(invoices, AS_OF)
    payments = max(1, invoices // 10)
    answers = max(1, invoices // 50)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM portfolio_debtor WHERE client_id = %s", [client_id])
        base = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO portfolio_payment (client_id, debtor_id, external_ref, amount, currency, "
            "value_date, method, invoice_reference, unallocated_amount, created_at) "
            "SELECT %s, %s + (g * 7919) %% %s, 'P' || g, (20 + g %% 900)::numeric, 'EUR', "
            "%s::date - (g %% 400)::int, 'bank_transfer', '', 0, now() "
            "FROM generate_series(1::bigint, %s) g",
            [client_id, base, max(1, invoices // 10), AS_OF, payments])
        cursor.execute("ANALYZE portfolio_payment")
    recovery_cases.cases_open_timed(client_id, AS_OF)
    _answers(client_id, answers)
    return client_id


def _answers(client_id: int, count: int) -> None:
    """Answered transactional surveys and their answers, through the ORM in batches (the
    survey table's columns have Django defaults, not database defaults)."""
    from experience.models import Programme, Response, Survey
    from portfolio.models import Debtor

    programme = Programme.objects.create(client_id=client_id, kind="transactional")
    debtor_ids = list(Debtor.objects.filter(client_id=client_id).values_list("id", flat=True)
                      [:count])
    start = dt.datetime.combine(AS_OF, dt.time(12), tzinfo=dt.UTC)
    batch = 5000
    for first in range(0, count, batch):
        chunk = range(first, min(first + batch, count))
        surveys = Survey.objects.bulk_create([
            Survey(client_id=client_id, programme=programme,
                   debtor_id=debtor_ids[n % len(debtor_ids)], kind="transactional",
                   trigger="collection_contact", status="answered",
                   due_at=start - dt.timedelta(hours=n % 8760),
                   answered_at=start - dt.timedelta(hours=n % 8760))
            for n in chunk])
        Response.objects.bulk_create([
            Response(client_id=client_id, kind="transactional", survey=survey,
                     debtor_id=survey.debtor_id, nps=(n * 7) % 11,
                     answered_at=start - dt.timedelta(hours=n % 8760),  # as its survey's
                     trigger="collection_contact", language="it")
            for n, survey in zip(chunk, surveys, strict=True)])


def page_timed(client_id: int, repeats: int) -> list[float]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client as HttpClient

    from access.models import ClientUser
    from access.roles import Role

    user = get_user_model().objects.create_user("bench_client")
    user.groups.add(Group.objects.get(name=Role.CLIENT_VIEWER))
    ClientUser.objects.create(user=user, client_id=client_id)
    browser = HttpClient()
    browser.force_login(user)
    url = f"/insights/portal/?as_of={AS_OF.isoformat()}"
    assert browser.get(url).status_code == 200  # warm: templates compiled, caches filled
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = browser.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return samples


def sql_timed(client_id: int, repeats: int) -> list[float]:
    """The home page's figures as plain SQL: the tiles, the aging, cash and NPS by month and
    the two NPS windows."""
    from django.db import connection

    end = AS_OF + dt.timedelta(days=1)
    first_month = dt.date(AS_OF.year - 1, AS_OF.month, 1) + dt.timedelta(days=31)
    first_month = first_month.replace(day=1)
    unsettled = "('open', 'partially_paid', 'disputed')"
    buckets = ", ".join(
        f"sum(open_balance) FILTER (WHERE status <> 'disputed' AND {condition})"
        for condition in ("due_date >= %(as_of)s", "due_date BETWEEN %(as_of)s::date - 30 AND "
                          "%(as_of)s::date - 1", "due_date BETWEEN %(as_of)s::date - 60 AND "
                          "%(as_of)s::date - 31", "due_date BETWEEN %(as_of)s::date - 90 AND "
                          "%(as_of)s::date - 61", "due_date BETWEEN %(as_of)s::date - 120 AND "
                          "%(as_of)s::date - 91", "due_date BETWEEN %(as_of)s::date - 180 AND "
                          "%(as_of)s::date - 121", "due_date <= %(as_of)s::date - 181"))
    nps = ("count(*) FILTER (WHERE nps >= 9), count(*) FILTER (WHERE nps BETWEEN 7 AND 8), "
           "count(*) FILTER (WHERE nps <= 6)")
    statements = [
        f"SELECT currency, sum(open_balance), sum(open_balance) FILTER (WHERE due_date < "
        f"%(as_of)s AND status <> 'disputed'), count(*) FILTER (WHERE due_date < %(as_of)s AND "
        f"status <> 'disputed') FROM portfolio_invoice WHERE client_id = %(client)s AND status "
        f"IN {unsettled} GROUP BY currency",
        "SELECT currency, sum(amount) FILTER (WHERE value_date >= %(end)s::date - 30), "
        "sum(amount) FROM portfolio_payment WHERE client_id = %(client)s AND value_date >= "
        "%(end)s::date - 90 AND value_date < %(end)s AND NOT EXISTS (SELECT 1 FROM "
        "portfolio_paymentreversal r WHERE r.payment_id = portfolio_payment.id) "
        "GROUP BY currency",
        "SELECT count(*) FROM recovery_collectioncase WHERE client_id = %(client)s AND "
        "status = 'open'",
        "SELECT currency, count(*), sum(amount) FROM recovery_promisetopay WHERE client_id = "
        "%(client)s AND status = 'pending' AND promised_date < %(as_of)s::date + 7 "
        "GROUP BY currency",
        "SELECT count(*) FROM recovery_paymentplan WHERE client_id = %(client)s AND "
        "status = 'active'",
        "SELECT count(*) FROM recovery_dispute WHERE client_id = %(client)s AND status = 'open'",
        f"SELECT currency, {buckets}, sum(open_balance) FILTER (WHERE status = 'disputed'), "
        f"sum(open_balance), count(*) FROM portfolio_invoice WHERE client_id = %(client)s AND "
        f"status IN {unsettled} GROUP BY currency",
        "SELECT date_trunc('month', value_date), currency, sum(amount) FROM portfolio_payment "
        "WHERE client_id = %(client)s AND value_date >= %(first)s AND value_date < %(end)s "
        "AND NOT EXISTS (SELECT 1 FROM portfolio_paymentreversal r "
        "WHERE r.payment_id = portfolio_payment.id) GROUP BY 1, 2",
        f"SELECT date_trunc('month', answered_at AT TIME ZONE 'Europe/Rome'), {nps} FROM "
        f"experience_response WHERE client_id = %(client)s AND kind = 'transactional' AND "
        f"answered_at >= %(first)s AND answered_at < %(end)s GROUP BY 1",
        f"SELECT {nps} FROM experience_response WHERE client_id = %(client)s AND kind = "
        f"'transactional' AND answered_at >= %(end)s::date - 30 AND answered_at < %(end)s",
        f"SELECT {nps} FROM experience_response WHERE client_id = %(client)s AND kind = "
        f"'transactional' AND answered_at >= %(end)s::date - 90 AND answered_at < %(end)s",
    ]
    params: dict[str, int | dt.date] = {"client": client_id, "as_of": AS_OF, "end": end,
                                        "first": first_month}
    samples = []
    with connection.cursor() as cursor:
        for _ in range(repeats + 1):  # the first run warms the cache, like the page's
            started = time.perf_counter()
            for statement in statements:
                cursor.execute(statement, params)
                cursor.fetchall()
            samples.append(time.perf_counter() - started)
    return samples[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--database", default="fido_bench_client_portal")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    base_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server (postgres://…).", file=sys.stderr)
        return 2
    database_recreate(base_url, args.database)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("FIDO_EMBEDDED", "true")
    os.environ.setdefault("FIDO_VAR_DIR", tempfile.mkdtemp(prefix="fido-bench-portal-"))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    client_id = populate(args.invoices)
    print(f"generated {args.invoices:,} invoices, {args.invoices // 10:,} debtors and payments, "
          f"{args.invoices // 50:,} answers, cases opened, "
          f"in {time.perf_counter() - started:.1f} s")

    page = page_timed(client_id, args.repeats)
    sql = sql_timed(client_id, args.repeats)
    ratio = min(page) / min(sql) if min(sql) else float("inf")
    print(f"portal home {min(page) * 1000:.0f} ms · same figures as SQL {min(sql) * 1000:.0f} ms"
          f" · ratio {ratio:.2f}x (target ≤ {TARGET_RATIO:.0f}x, page < {TARGET_SECONDS:.0f} s)")
    print(f"  best of {args.repeats}: page {', '.join(f'{t * 1000:.0f}' for t in page)} ms; "
          f"SQL {', '.join(f'{t * 1000:.0f}' for t in sql)} ms")
    return 0 if ratio <= TARGET_RATIO and min(page) < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

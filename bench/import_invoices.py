"""Benchmark: import a large invoice file through the app's real import path, against COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fido SECRET_KEY=x \\
        .venv/bin/python bench/import_invoices.py --invoices 1000000

What it does, in one process:
1. (Re)creates a separate database, `fido_bench_imports` by default, on the server named by
   DATABASE_URL (never the one in the URL itself, never a test database), and migrates it.
2. Writes a CSV of N/10 debtors and a CSV of N invoices referencing them (random debtors,
   dates and amounts), and imports the debtors through the import services.
3. Times the invoice import through `import_job_create` (store + check + COPY into the job's
   staging table + classify: the preview) and `import_job_commit_request` (classify the kept
   staged rows again + update the changed invoices + insert the new ones + allocation), both
   inline in this process, as a worker would run them.
4. Times a plain `COPY … FROM STDIN (FORMAT csv, HEADER)` of the same file into a regular
   (logged, like the target) `CREATE TABLE … (LIKE portfolio_invoice INCLUDING ALL)` with a
   `customer_code` column added and defaults for the columns the file lacks: the same indexes
   (primary key, unique (client, number), (debtor, due date), the partial open-invoices index)
   and checks.
   No reference checks: LIKE does not copy triggers, and the real table checks its client and
   debtor references once per statement (portfolio migrations 0005-0006). Then, as a second
   reference, a COPY of the same rows (customer codes replaced by debtor ids, prepared
   untimed) into a regular LIKE table with the target's statement-level reference check.
5. Prints rows per second, the ratio to COPY and peak memory (ru_maxrss of this process and of
   its children), and exits non-zero when a floor is missed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import database_recreate  # noqa: E402

RATIO_FLOOR = 3.0
MEMORY_FLOOR_MIB = 1024


def _write_files(folder: Path, *, invoices: int, debtors: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    debtor_path = folder / "debtors.csv"
    with debtor_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_code", "name", "kind", "country", "region", "city",
                         "postal_code", "address", "vat_number", "tax_code", "phone", "mobile",
                         "email", "language", "sector", "founded_year", "other_exposure"])
        for n in range(1, debtors + 1):
            writer.writerow([f"C{n:07d}", f"Debtor {n} S.r.l.", "business", "IT", "MI",
                             "Milano", "20121", f"Via Roma {n}", "", "",
                             f"02 {4000000 + n:08d}" if n % 2 else "", "",
                             f"debtor{n}@example.invalid", "it", "retail", "", "0.00"])
    invoice_path = folder / "invoices.csv"
    start = dt.date(2025, 1, 1)
    with invoice_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["invoice_number", "customer_code", "issue_date", "due_date", "amount"])
        for n in range(1, invoices + 1):
            issue = start + dt.timedelta(days=rng.randrange(600))
            due = issue + dt.timedelta(days=rng.choice((30, 60, 90)))
            writer.writerow([f"INV-{n:08d}", f"C{rng.randrange(1, debtors + 1):07d}",
                             issue.isoformat(), due.isoformat(),
                             f"{rng.randrange(1000, 500000) / 100:.2f}"])
    return debtor_path, invoice_path


def _peak_mib() -> tuple[float, float]:
    """Peak resident memory (ru_maxrss is KiB on Linux) of this process and its children."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _copy_baseline(path: Path, *, client_id: int) -> float:
    """A plain COPY of the same file into a regular (logged) table like the target: the same
    columns, indexes and checks, no foreign keys. A temporary table would skip the write-ahead
    log that every real table pays, so it is not used here. Timed through the commit."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE portfolio_invoice INCLUDING ALL)")
        cursor.execute("ALTER TABLE bench_copy ADD COLUMN customer_code varchar(64)")
        for column, default in (("client_id", str(client_id)), ("debtor_id", "0"),
                                ("currency", "'EUR'"), ("open_balance", "0"),
                                ("status", "'disputed'"), ("created_at", "now()"),
                                ("updated_at", "now()")):
            cursor.execute(f"ALTER TABLE bench_copy ALTER COLUMN {column} SET DEFAULT {default}")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(
        "COPY bench_copy (number, customer_code, issue_date, due_date, amount) "
        "FROM STDIN (FORMAT csv, HEADER true)"
    ) as copy, path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_copy")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_copy")
    print(f"  COPY baseline: {count:,} rows in {elapsed:.1f} s")
    return elapsed


class _StatementTimer:
    def __init__(self) -> None:
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((time.perf_counter() - started, sql))


timer = _StatementTimer()


def _copy_baseline_with_keys(path: Path, *, client_id: int) -> float:
    """COPY the same rows, with debtor ids in place of customer codes, into a LIKE table that
    also carries the target's statement-level reference check; a regular, logged table like
    the target; timed to the end of the transaction, where the deferred checks run."""
    import psycopg
    from django.db import connection

    from portfolio.models import Debtor

    codes = dict(Debtor.objects.filter(client_id=client_id).values_list("external_ref", "id"))
    keyed = path.with_name("invoices-with-debtor-ids.csv")
    with path.open(newline="", encoding="utf-8") as source, \
            keyed.open("w", newline="", encoding="utf-8") as target:
        reader, writer = csv.reader(source), csv.writer(target)
        next(reader)
        writer.writerow(["number", "debtor_id", "issue_date", "due_date", "amount"])
        for number, code, issue, due, amount in reader:
            writer.writerow([number, codes[code], issue, due, amount])
    del codes
    settings = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None, port=settings["PORT"] or None)
    with psycopg.connect(conninfo) as conn:
        # A regular (logged) table like the target: temporary tables cannot hold foreign keys
        # to permanent ones. It lives in the benchmark's own database and is dropped below.
        conn.execute("DROP TABLE IF EXISTS bench_copy_keys")
        conn.execute("CREATE TABLE bench_copy_keys (LIKE portfolio_invoice INCLUDING ALL)")
        for column, default in (("client_id", str(client_id)), ("currency", "'EUR'"),
                                ("open_balance", "0"), ("status", "'disputed'"),
                                ("created_at", "now()"), ("updated_at", "now()")):
            conn.execute(f"ALTER TABLE bench_copy_keys ALTER COLUMN {column} SET DEFAULT {default}")
        # The target's reference and ledger checks (portfolio migrations 0005-0006): one
        # statement-level trigger, as on portfolio_invoice.
        conn.execute("CREATE TRIGGER bench_copy_keys_ledger AFTER INSERT ON bench_copy_keys "
                     "REFERENCING NEW TABLE AS fido_new_rows FOR EACH STATEMENT "
                     "EXECUTE FUNCTION portfolio_ledger_rows_check()")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            with cursor.copy(
                "COPY bench_copy_keys (number, debtor_id, issue_date, due_date, amount) "
                "FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy, keyed.open("rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    copy.write(chunk)
            conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_keys")
        conn.commit()
    print(f"  COPY baseline with the target's reference checks: {elapsed:.1f} s")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--debtors", type=int, default=None,
                        help="default: one debtor per ten invoices")
    parser.add_argument("--database", default="fido_bench_imports",
                        help="the separate database to (re)create for the run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--statements", action="store_true",
                        help="print the slowest SQL statements of the commit")
    args = parser.parse_args()
    debtors = args.debtors or max(args.invoices // 10, 1)

    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server (the benchmark creates its own "
              f"database {args.database} there).", file=sys.stderr)
        return 2
    if args.database.startswith("test_") or args.database == urlsplit(base_url).path[1:]:
        print("Refusing to use a test database or the one in DATABASE_URL.", file=sys.stderr)
        return 2
    database_recreate(base_url, args.database)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    var = Path(tempfile.mkdtemp(prefix="fido-bench-var-"))
    # Embedded mode for everything but the database: no broker needed, tasks run inline.
    os.environ.setdefault("FIDO_EMBEDDED", "true")
    os.environ["FIDO_VAR_DIR"] = str(var)
    os.environ["MEDIA_ROOT"] = str(var / "media")
    os.environ["IMPORT_MAX_FILE_BYTES"] = str(4 * 1024 ** 3)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from portfolio.imports import services
    from portfolio.models import Client, Invoice

    call_command("migrate", verbosity=0)
    client = Client.objects.create(name="Bench S.p.A.", vat_number="00000000000", country="IT",
                                   currency="EUR")
    folder = Path(tempfile.mkdtemp(prefix="fido-bench-"))
    print(f"Writing {debtors:,} debtors and {args.invoices:,} invoices to {folder}")
    debtor_path, invoice_path = _write_files(folder, invoices=args.invoices, debtors=debtors,
                                             seed=args.seed)
    print(f"  invoices file: {invoice_path.stat().st_size / 1024 ** 2:.1f} MiB")

    started = time.perf_counter()
    with debtor_path.open("rb") as handle:
        job = services.import_job_create(client=client, kind="debtors", fileobj=handle,
                                         name="debtors.csv", by=None, run_inline=True)
    job = services.import_job_commit_request(job=job, by=None, run_inline=True)
    assert job.status == "committed", (job.status, job.message, job.errors[:3])
    print(f"  debtors imported: {job.to_create:,} in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with invoice_path.open("rb") as handle:
        job = services.import_job_create(client=client, kind="invoices", fileobj=handle,
                                         name="invoices.csv", by=None, run_inline=True)
    checked = time.perf_counter() - started
    assert job.status == "validated", (job.status, job.message, job.errors[:3])
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        job = services.import_job_commit_request(job=job, by=None, run_inline=True)
    committed = time.perf_counter() - started
    if args.statements:
        for seconds, sql in sorted(timer.statements, reverse=True)[:8]:
            print(f"    {seconds:6.2f} s  {' '.join(sql.split())[:90]}")
    assert job.status == "committed", (job.status, job.message, job.errors[:3])
    assert Invoice.objects.filter(client=client).count() == args.invoices
    total = checked + committed
    print(f"  invoices: check (preview) {checked:.1f} s, commit {committed:.1f} s")

    copy_seconds = _copy_baseline(invoice_path, client_id=client.pk)
    own, children = _peak_mib()
    keys_seconds = _copy_baseline_with_keys(invoice_path, client_id=client.pk)
    ratio = total / copy_seconds
    commit_ratio = committed / copy_seconds
    print()
    print(f"invoices                 {args.invoices:,}")
    print(f"import (check + commit)  {total:.1f} s = {args.invoices / total:,.0f} rows/s")
    print(f"commit alone             {committed:.1f} s = {args.invoices / committed:,.0f} rows/s")
    print(f"plain COPY               {copy_seconds:.1f} s = "
          f"{args.invoices / copy_seconds:,.0f} rows/s")
    print(f"COPY with foreign keys   {keys_seconds:.1f} s = "
          f"{args.invoices / keys_seconds:,.0f} rows/s")
    print(f"ratio to COPY            {ratio:.2f}x (commit alone {commit_ratio:.2f}x), "
          f"floor {RATIO_FLOOR:.0f}x")
    print(f"ratio to COPY with keys  {total / keys_seconds:.2f}x "
          f"(commit alone {committed / keys_seconds:.2f}x)")
    print(f"peak memory              {own:.0f} MiB (children {children:.0f} MiB), "
          f"floor {MEMORY_FLOOR_MIB} MiB")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(var, ignore_errors=True)
    ok = ratio <= RATIO_FLOOR and own < MEMORY_FLOOR_MIB and children < MEMORY_FLOOR_MIB
    print("PASS" if ok else "MISSED A FLOOR")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

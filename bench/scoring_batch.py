"""Benchmark: score every debtor of a client end to end (features, prediction, write).

    .venv/bin/python bench/scoring_batch.py --debtors 100000 --invoices-per-debtor 10

Uses its own PostgreSQL database (fido_bench_scoring, created and migrated if missing; set
BENCH_DATABASE_URL to change it). Generates the ledger server-side with INSERT ... SELECT
generate_series (debtors with a hidden habit of paying late, ten monthly invoices each, their
payments and allocations), fits the models on a sample, then runs the batch in a separate
worker process, the way a Celery worker would run the chunks one after the other, and prints:

- the run's time (plan + every chunk: SQL features, prediction, reasons, stability counts,
  COPY of the scores into the score table, with its indexes and reference trigger);
- the worker's peak memory (ru_maxrss of that process);
- the floor measured in the same run: the same model's predict_proba on the same feature
  matrix plus a COPY of the results into a plain table (no index, no constraint, no
  trigger); and the ratio run / floor. "The results" are the very rows the run wrote to the
  score history, every column of them (client, debtor, model, as-of, probability, points,
  band, reasons, created at): they are read back with COPY ... TO before the floor's clock
  starts, then copied in with COPY ... FROM while it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fido_bench_scoring"
AS_OF = dt.date(2026, 6, 30)


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("FIDO_EMBEDDED", "true")
    # A throw-away folder for the benchmark's model files, never shared with real data.
    os.environ.setdefault("FIDO_VAR_DIR", "/tmp/fido-bench-scoring")  # noqa: S108
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def generate(debtors: int, per_debtor: int) -> int:
    """A fresh client with its ledger; returns the client id."""
    from django.db import connection

    from portfolio.models import Client

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE scoring_debtorscore, scoring_scoringmodel, "
                       "portfolio_paymentallocation, portfolio_payment, portfolio_creditnote, "
                       "portfolio_invoice, portfolio_contactpoint, portfolio_debtor, "
                       "portfolio_importjob, portfolio_client RESTART IDENTITY CASCADE")
    client = Client.objects.create(name="Bench", vat_number="BENCHSCORING", country="IT",
                                   currency="EUR")
    start = AS_OF - dt.timedelta(days=30 * (per_debtor + 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("""
            INSERT INTO portfolio_debtor (client_id, external_ref, kind, name, tax_code,
                vat_number, sector, founded_year, address_line, postal_code, city, region,
                country, timezone, language, credit_limit, other_exposure, do_not_call,
                vulnerable, deceased, created_at, updated_at)
            SELECT %(c)s, 'B' || g, CASE WHEN g %% 3 = 0 THEN 'consumer' ELSE 'business' END,
                'Debtor ' || g, '', '', (ARRAY['retail', 'construction', 'services',
                'manufacturing'])[1 + g %% 4], 1970 + g %% 50, '', '', '', '', 'IT',
                'Europe/Rome', 'it', (ARRAY[2000, 5000, 10000])[1 + g %% 3], 0, false, false,
                false, now(), now()
            FROM generate_series(1, %(n)s) g
        """, {"c": client.pk, "n": debtors})
        cursor.execute("""
            CREATE TEMPORARY TABLE gen AS
            SELECT d.id AS debtor_id, k, d.id || '-' || k AS number,
                   %(start)s::date + 30 * k + (d.id %% 7)::int AS issue_date,
                   100 + (d.id * 7 + k * 13) %% 900 AS amount,
                   floor(-ln(1 - random()) * (2 + 70 * power(((d.id * 2654435761) %% 1000)
                         / 1000.0, 2)))::int AS delay
            FROM portfolio_debtor d, generate_series(0, %(k)s - 1) k
            WHERE d.client_id = %(c)s
        """, {"c": client.pk, "k": per_debtor, "start": start})
        cursor.execute("""
            INSERT INTO portfolio_invoice (client_id, debtor_id, number, issue_date, due_date,
                amount, currency, open_balance, status, created_at, updated_at)
            SELECT %(c)s, debtor_id, number, issue_date, issue_date + 30, amount, 'EUR',
                CASE WHEN issue_date + 30 + delay < %(today)s THEN 0 ELSE amount END,
                CASE WHEN issue_date + 30 + delay < %(today)s THEN 'paid' ELSE 'open' END,
                now(), now()
            FROM gen
        """, {"c": client.pk, "today": AS_OF})
        cursor.execute("""
            INSERT INTO portfolio_payment (client_id, debtor_id, external_ref, amount, currency,
                value_date, method, invoice_reference, unallocated_amount, created_at)
            SELECT %(c)s, debtor_id, 'P' || number, amount, 'EUR', issue_date + 30 + delay,
                'bank_transfer', number, 0, now()
            FROM gen WHERE issue_date + 30 + delay < %(today)s
        """, {"c": client.pk, "today": AS_OF})
        cursor.execute("""
            INSERT INTO portfolio_paymentallocation (client_id, payment_id, invoice_id, amount)
            SELECT %(c)s, p.id, i.id, p.amount
            FROM portfolio_payment p JOIN portfolio_invoice i
              ON i.client_id = p.client_id AND i.number = p.invoice_reference
            WHERE p.client_id = %(c)s
        """, {"c": client.pk})
        cursor.execute("DROP TABLE gen")
        # What autovacuum does long before a nightly run: statistics, and the visibility map
        # that lets the features read invoices from their covering index alone. And what the
        # checkpointer does within minutes of a load: write its pages out, rather than during
        # the measured run.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    return client.pk


def fit_and_register(client_id: int, sample: int) -> int:
    """Fit both kinds on the first `sample` debtors; register the proposed one as champion."""
    from threadpoolctl import threadpool_limits

    import scoring.training as training
    from scoring.artifacts import artifact_save
    from scoring.features import FEATURE_NAMES
    from scoring.models import ScoringModel
    from scoring.training import champion_proposal, dataset_build, models_fit

    real = training.chunk_ranges
    first = next(real(client_id=client_id, size=sample))
    training.chunk_ranges = lambda **kwargs: iter([first])
    try:
        last = AS_OF - dt.timedelta(days=150)
        train_dates = [last - dt.timedelta(days=60), last - dt.timedelta(days=30)]
        train, y_train = dataset_build(client_id=client_id, segment="all", dates=train_dates)
        validate, y_validate = dataset_build(client_id=client_id, segment="all", dates=[last])
    finally:
        training.chunk_ranges = real
    with threadpool_limits(limits=1):
        fitted = models_fit(train, y_train, validate, y_validate)
    best = champion_proposal(fitted)
    path = f"bench/client-{client_id}-{best.kind}.skops"
    sha = artifact_save({"kind": best.kind, "features": list(FEATURE_NAMES),
                         "model": best.model}, path)
    model = ScoringModel.objects.create(
        client_id=client_id, kind=best.kind, version=1, status="champion",
        train_from=train_dates[0], train_to=train_dates[-1], validate_from=last,
        validate_to=last, features=list(FEATURE_NAMES), metrics=best.metrics,
        calibration=best.calibration, reference=best.reference, artifact_path=path,
        artifact_sha256=sha)
    print(f"model: {model} (validation AUC {best.metrics['auc']:.3f} on "
          f"{best.metrics['n_validate']} debtors)")
    return model.pk


def worker(client_id: int, model_id: int) -> dict[str, float]:
    """The measured part, in its own process: the run, then the floor on the same matrix."""
    import numpy as np
    from django.db import connection
    from threadpoolctl import threadpool_limits

    from config.celery import worker_gc_freeze
    from portfolio.models import Client
    from scoring.artifacts import artifact_load
    from scoring.evaluation import predict_model
    from scoring.features import debtor_features
    from scoring.models import ScoringModel
    from scoring.services import SCORE_COLUMNS, scoring_chunk_score, scoring_run_plan
    from scoring.training import chunk_ranges

    # As a Celery worker process does once it has loaded the tasks' modules (config/celery.py).
    worker_gc_freeze()
    client = Client.objects.get(pk=client_id)
    model = ScoringModel.objects.get(pk=model_id)
    started = time.perf_counter()
    plan = scoring_run_plan(client=client)
    planned = time.perf_counter()
    written = sum(scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=AS_OF)
                  for _model, lo, hi in plan)
    run = time.perf_counter() - started
    plan_s = planned - started

    parts = [debtor_features(client_id=client_id, lo=lo, hi=hi, as_of=AS_OF)
             for lo, hi in chunk_ranges(client_id=client_id)]
    features = {n: np.concatenate([p[n] for p in parts]) for n in parts[0]}
    artifact = artifact_load(model.artifact_path, model.artifact_sha256)
    columns = {n: features[n] for n in artifact["features"]}
    with connection.cursor() as cursor:
        # The run's own result rows, every column it wrote, read back before the clock starts.
        cursor.execute("DROP TABLE IF EXISTS bench_floor_out")
        cursor.execute("CREATE TABLE bench_floor_out (LIKE scoring_debtorscore "
                       "EXCLUDING ALL)")
        cursor.execute("ALTER TABLE bench_floor_out DROP COLUMN id")
        results = bytearray()
        with cursor.copy(f"COPY (SELECT {SCORE_COLUMNS} FROM scoring_debtorscore "
                         f"WHERE model_id = {int(model_id)} AND as_of = '{AS_OF}') "
                         "TO STDOUT") as copy:
            for block in copy:
                results += block
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        predict_model(artifact["model"], columns)
    with (connection.cursor() as cursor,
          cursor.copy(f"COPY bench_floor_out ({SCORE_COLUMNS}) FROM STDIN") as copy):
        copy.write(results)
    floor = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor_out")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"run_s": run, "plan_s": plan_s, "floor_s": floor, "written": written,
            "chunks": len(plan), "peak_mib": peak_kib / 1024,
            "debtors": len(features["debtor_id"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--invoices-per-debtor", type=int, default=10)
    parser.add_argument("--sample", type=int, default=10_000,
                        help="debtors used to fit the model (not measured)")
    parser.add_argument("--worker", nargs=2, type=int, metavar=("CLIENT", "MODEL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if args.worker:
        _setup_django(url)
        print(json.dumps(worker(*args.worker)))
        return
    _create_database(url)
    _setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    client_id = generate(args.debtors, args.invoices_per_debtor)
    print(f"ledger: {args.debtors:,} debtors, {args.debtors * args.invoices_per_debtor:,} "
          f"invoices generated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    model_id = fit_and_register(client_id, min(args.sample, args.debtors))
    print(f"fit (not measured): {time.perf_counter() - started:.1f} s")
    from django.db import connections

    connections.close_all()
    # This same script as the worker, with ids we just created: no outside input.
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--worker", str(client_id), str(model_id)],
        check=True, capture_output=True, text=True, env=os.environ)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = result["run_s"] / result["floor_s"]
    print(f"run: {result['written']:,} scores for {result['debtors']:,} debtors in "
          f"{result['chunks']} chunks: {result['run_s']:.1f} s "
          f"({result['debtors'] / result['run_s']:,.0f} debtors/s; plan "
          f"{result['plan_s']:.2f} s)")
    print(f"floor (predict_proba on the same matrix + COPY of the results): "
          f"{result['floor_s']:.2f} s; ratio {ratio:.1f}x (target <= 3x)")
    print(f"worker peak memory: {result['peak_mib']:.0f} MiB (target < 1024 MiB)")


if __name__ == "__main__":
    main()

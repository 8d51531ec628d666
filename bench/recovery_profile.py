"""Queries and CPU per request of the collections desk's two hot paths, in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fido_agents_bench SECRET_KEY=x \\
        .venv/bin/python bench/recovery_profile.py --cycles 40

Runs against the database bench/recovery_agents.py left behind (its agents `bench_agent_N`,
its cases): `--cycles` claim-next + log-outcome cycles through Django's test client on the
bench-only endpoints (bench/recovery_urls.py, the same services and clock as the benchmark),
beside the bare endpoint, all inside one transaction that is rolled back. Two passes: one
counts the queries of each request, one times its CPU (`time.process_time`) without the
query capture; the timed pass also reports the CPU of the PostgreSQL backend serving it, when
the server runs on this machine (/proc/<pid>/stat). `--profile` prints cProfile's top
functions of an extra pass.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _Rollback(Exception):
    pass


def _cycles(client: Any, tokens: list[str], cycles: int,
            measure: Callable[[str, Callable[[], Any]], Any]) -> None:
    for cycle in range(cycles):
        auth = {"HTTP_AUTHORIZATION": f"Token {tokens[cycle % len(tokens)]}"}
        measure("bare", partial(client.get, "/bench/bare/", **auth))
        response = measure("claim-next", partial(
            client.post, "/bench/claim-next/", {}, content_type="application/json", **auth))
        if response.status_code != 200:
            raise RuntimeError(f"claim-next: HTTP {response.status_code}")
        case = response.json()["id"]
        response = measure("log-outcome", partial(
            client.post, f"/bench/cases/{case}/contacts/", {"answered": cycle % 3 == 2},
            content_type="application/json", **auth))
        if response.status_code != 201:
            raise RuntimeError(f"log-outcome: HTTP {response.status_code} {response.content!r}")


def _backend_cpu_ms() -> float | None:
    """CPU time so far of the PostgreSQL backend of this connection, if it is local."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _rolled_back(run: Callable[[], None]) -> None:
    from django.db import transaction

    try:
        with transaction.atomic():
            run()
            raise _Rollback
    except _Rollback:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--queries", action="store_true", help="print one cycle's SQL")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.recovery_settings"
    os.environ.setdefault("FIDO_EMBEDDED", "true")
    os.environ.setdefault("FIDO_VAR_DIR", tempfile.mkdtemp(prefix="fido-bench-profile-"))
    os.environ["FIDO_BENCH_EPOCH"] = str(time.time())

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    tokens = list(Token.objects.filter(user__username__startswith="bench_agent_")
                  .order_by("user__username").values_list("key", flat=True))
    if not tokens:
        print("No bench agents: run bench/recovery_agents.py on this database first.",
              file=sys.stderr)
        return 2
    client = Client(SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")
    queries: dict[str, list[int]] = {}
    cpu: dict[str, list[float]] = {}
    sql: list[str] = []

    def count(name: str, call: Callable[[], Any]) -> Any:
        with CaptureQueriesContext(connection) as captured:
            result = call()
        queries.setdefault(name, []).append(len(captured))
        if args.queries and len(sql) < 200 and name != "bare" and len(queries[name]) == 1:
            sql.extend(f"[{name}] {q['sql']}" for q in captured.captured_queries)
        return result

    def timed(name: str, call: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = call()
        cpu.setdefault(name, []).append((time.process_time() - started) * 1000)
        return result

    _rolled_back(lambda: _cycles(client, tokens, args.warmup, lambda _n, call: call()))
    _rolled_back(lambda: _cycles(client, tokens, args.cycles, count))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        _rolled_back(lambda: _cycles(client, tokens, args.cycles, lambda _n, call: call()))
        profiler.disable()
        ours = r"/(recovery|compliance|scoring|access|portfolio)/"
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(ours, 60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    backend_before = _backend_cpu_ms()
    _rolled_back(lambda: _cycles(client, tokens, args.cycles, timed))
    backend_after = _backend_cpu_ms()
    for line in sql:
        print(line)
    for name in ("bare", "claim-next", "log-outcome"):
        print(f"{name}: queries {statistics.fmean(queries[name]):.1f} "
              f"(min {min(queries[name])}, max {max(queries[name])}), CPU median "
              f"{statistics.median(cpu[name]):.1f} ms, mean {statistics.fmean(cpu[name]):.1f} ms")
    if backend_before is not None and backend_after is not None:
        print(f"PostgreSQL backend CPU: {(backend_after - backend_before) / args.cycles:.1f} ms "
              "per cycle (bare + claim-next + log-outcome)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

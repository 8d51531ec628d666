"""Benchmark: 20 collection agents claiming cases and logging outcomes against gunicorn +
PostgreSQL on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fido SECRET_KEY=x \\
        .venv/bin/python bench/recovery_agents.py --agents 20 --iterations 100 --seconds 60

What it does:
1. (Re)creates a separate database, `fido_bench_recovery_agents` by default, on the server
   named by BENCH_DATABASE_URL or DATABASE_URL, migrates it, generates a ledger of
   `--invoices` invoices (bench/recovery_cases.py's generator), opens and prioritises the cases
   with the real beat-task service (client_cases_run) and creates `--agents` agents (role
   agent, member of the client, an API token each).
2. Starts gunicorn on 127.0.0.1 (`--workers` x `--threads`, gthread; by default 2 workers a
   core and enough threads for every agent's keep-alive connection) with
   bench/recovery_settings.py: production settings plus bench/recovery_urls.py, which adds a
   bare DRF endpoint doing one query and a minimal pair calling the same services as the API
   (case_claim_next, contact_outcome_record) on a fixed weekday-morning clock. `--endpoints
   api` (the default) measures the recovery API itself, on the real clock: run it when the
   contact rules allow calls (Italian weekdays' call window), or use `--endpoints bench`.
   The output says which endpoints were measured.
3. Bare phase: each agent (a thread with its own keep-alive connection) calls the bare
   endpoint in a loop for `--seconds` or `--iterations` x 2 requests; throughput in requests/s.
4. Agents phase: each agent loops claim-next then log-outcome (two in three attempts
   unanswered, one in three a verified conversation with a promise to pay), for `--iterations`
   cycles or `--seconds`, whichever ends first. Prints p50/p99 of each endpoint, every
   agent's count, the throughput in requests/s beside the bare one.
5. Checks that no case was claimed twice: the ids the agents got, and in the database the
   queue's allowed claim decisions per debtor and the contacts per case.
Targets: p99 < 100 ms for both endpoints and ≥ 40% of the bare throughput.
Everything stops by itself: bounded threads, a deadline, and gunicorn terminated at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import database_recreate  # noqa: E402
from bench.recovery_cases import (  # noqa: E402
    RUN_DATE,
    populate,
)

P99_TARGET_MS = 100.0
THROUGHPUT_TARGET = 0.40
ENDPOINTS = {
    "api": "the recovery API: POST /api/v1/collection-cases/claim-next/ and "
           "POST /api/v1/collection-contacts/ (the real clock: run inside the call window)",
    "bench": "bench-only endpoints calling the same services (case_claim_next, "
             "contact_outcome_record) on the bench's clock, a Tuesday 10:00 in Rome",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(invoices: int, agents: int) -> tuple[int, list[str]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from access.models import Membership
    from access.roles import Role
    from bench.recovery_urls import WORK_TIME
    from recovery.services import client_cases_run

    client_id = populate(invoices, RUN_DATE)
    counts = client_cases_run(client_id=client_id, as_of=WORK_TIME.date(), now=WORK_TIME)
    print(f"ledger of {invoices:,} invoices, cases: {counts}")
    group = Group.objects.get(name=Role.AGENT)
    tokens = []
    for number in range(agents):
        user = get_user_model().objects.create_user(username=f"bench_agent_{number}",
                                                    password=None)
        user.groups.add(group)
        Membership.objects.create(user=user, client_id=client_id)
        tokens.append(Token.objects.create(user=user).key)
    return client_id, tokens


def _start_server(port: int, workers: int, threads: int, env: dict[str, str]) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(threads),
               "--timeout", "60", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status < 500:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


class Agent(threading.Thread):
    """One agent: its own keep-alive connection, bounded by a cycle count and a deadline."""

    def __init__(self, port: int, token: str, cycles: int, deadline: float, *,
                 bare: bool, endpoints: str = "api") -> None:
        super().__init__(daemon=True)
        self.port, self.cycles, self.deadline, self.bare = port, cycles, deadline, bare
        self.endpoints = endpoints
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.times: dict[str, list[float]] = {"bare": [], "claim": [], "log": []}
        self.claimed: list[int] = []
        self.errors: list[str] = []
        self.conn: http.client.HTTPConnection | None = None

    def _call(self, method: str, url: str, body: dict | None = None) -> tuple[int, dict, float]:
        payload = json.dumps(body) if body is not None else None
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            started = time.perf_counter()
            try:
                self.conn.request(method, url, body=payload, headers=self.headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            elapsed = time.perf_counter() - started
            return response.status, (json.loads(raw) if raw else {}), elapsed
        raise RuntimeError("unreachable")

    def run(self) -> None:
        try:
            for cycle in range(self.cycles):
                if time.monotonic() >= self.deadline:
                    return
                if self.bare:
                    for _ in range(2):
                        status, _body, elapsed = self._call("GET", "/bench/bare/")
                        self._check(status, 200, "bare")
                        self.times["bare"].append(elapsed)
                    continue
                claim_url = ("/api/v1/collection-cases/claim-next/" if self.endpoints == "api"
                             else "/bench/claim-next/")
                status, body, elapsed = self._call("POST", claim_url, {})
                self.times["claim"].append(elapsed)
                if status == 204:
                    self.errors.append("queue empty")
                    return
                self._check(status, 200, "claim-next")
                self.claimed.append(body["id"])
                status, _body, elapsed = self._log(body["id"], answered=cycle % 3 == 2)
                self._check(status, 201, f"log-outcome {_body}")
                self.times["log"].append(elapsed)
        except Exception as error:
            self.errors.append(repr(error))
        finally:
            if self.conn is not None:
                self.conn.close()

    def _log(self, case: int, *, answered: bool) -> tuple[int, dict, float]:
        if self.endpoints == "bench":
            return self._call("POST", f"/bench/cases/{case}/contacts/", {"answered": answered})
        body: dict[str, object] = {"case": case, "attempt_result": "no_answer"}
        if answered:
            body.update(attempt_result="answered", party="right_party_verified",
                        mood_start="worried", mood_end="calm",
                        empathy_markers=["circumstances_noted", "options_offered"],
                        outcomes=["promise_to_pay"], promise_amount="20.00",
                        promise_date=(dt.datetime.now(dt.UTC).date()
                                      + dt.timedelta(days=7)).isoformat())
        return self._call("POST", "/api/v1/collection-contacts/", body)

    @staticmethod
    def _check(status: int, expected: int, what: str) -> None:
        if status != expected:
            raise RuntimeError(f"{what}: HTTP {status}")


def _phase(port: int, tokens: list[str], cycles: int, seconds: float,
           *, bare: bool, endpoints: str = "api") -> tuple[list[Agent], float]:
    deadline = time.monotonic() + seconds
    agents = [Agent(port, token, cycles, deadline, bare=bare, endpoints=endpoints)
              for token in tokens]
    started = time.perf_counter()
    for agent in agents:
        agent.start()
    for agent in agents:
        agent.join(timeout=seconds + 60)
    return agents, time.perf_counter() - started


def _ms(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _double_claims(client_id: int, claimed: list[int]) -> tuple[int, int, int]:
    from django.db import connection

    seen = len(claimed) - len(set(claimed))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT debtor_id FROM compliance_contactdecision "
            "WHERE client_id = %s AND purpose = 'collections queue' AND allowed "
            "GROUP BY debtor_id HAVING count(*) > 1) d", [client_id])
        decisions = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT case_id FROM recovery_collectioncontact "
            "WHERE client_id = %s GROUP BY case_id HAVING count(*) > 1) c", [client_id])
        contacts = cursor.fetchone()[0]
    return seen, decisions, contacts


def run(*, invoices: int, agents: int, iterations: int, seconds: float, workers: int,
        threads: int, database: str, base_url: str, endpoints: str) -> int:
    database_recreate(base_url, database)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.recovery_settings"
    os.environ.setdefault("FIDO_EMBEDDED", "true")
    os.environ.setdefault("FIDO_VAR_DIR", tempfile.mkdtemp(prefix="fido-bench-agents-"))
    os.environ["FIDO_BENCH_EPOCH"] = str(time.time())

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    client_id, tokens = _prepare(invoices, agents)
    connection.close()

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = _start_server(port, workers, threads, env)
    try:
        bare_agents, bare_wall = _phase(port, tokens, iterations, seconds, bare=True)
        work_agents, work_wall = _phase(port, tokens, iterations, seconds, bare=False,
                                        endpoints=endpoints)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    bare = [t for agent in bare_agents for t in agent.times["bare"]]
    claims = [t for agent in work_agents for t in agent.times["claim"]]
    logs = [t for agent in work_agents for t in agent.times["log"]]
    claimed = [case for agent in work_agents for case in agent.claimed]
    errors = [error for agent in bare_agents + work_agents for error in agent.errors]
    bare_rps = len(bare) / bare_wall
    work_rps = (len(claims) + len(logs)) / work_wall
    share = work_rps / bare_rps if bare_rps else 0.0
    print(f"endpoints: {ENDPOINTS[endpoints]}")
    print(f"gunicorn gthread {workers} workers x {threads} threads on 127.0.0.1, "
          f"{agents} agents (threads, keep-alive), at most {iterations} cycles or "
          f"{seconds:.0f} s each")
    print(f"bare DRF (one query): {len(bare):,} requests in {bare_wall:.1f} s = "
          f"{bare_rps:,.0f} req/s; p50 {_ms(bare, 0.5):.1f} ms, p99 {_ms(bare, 0.99):.1f} ms")
    print(f"claim-next: {len(claims):,} calls, p50 {_ms(claims, 0.5):.1f} ms, "
          f"p99 {_ms(claims, 0.99):.1f} ms, mean {statistics.fmean(claims) * 1000:.1f} ms"
          if claims else "claim-next: no call")
    print(f"log-outcome: {len(logs):,} calls, p50 {_ms(logs, 0.5):.1f} ms, "
          f"p99 {_ms(logs, 0.99):.1f} ms, mean {statistics.fmean(logs) * 1000:.1f} ms"
          if logs else "log-outcome: no call")
    print(f"agents: {len(claims) + len(logs):,} requests ({len(logs):,} cycles) in "
          f"{work_wall:.1f} s = {work_rps:,.0f} req/s, {share:.0%} of the bare throughput "
          f"(target ≥ {THROUGHPUT_TARGET:.0%}); cycles per agent: "
          f"{', '.join(str(len(agent.times['log'])) for agent in work_agents)}")
    seen, decisions, contacts = _double_claims(client_id, claimed)
    print(f"claimed twice: {seen} among the {len(claimed):,} ids the agents got, {decisions} "
          f"debtors with two allowed queue decisions, {contacts} cases with two contacts")
    if errors:
        print(f"errors ({len(errors)}): {'; '.join(sorted(set(errors))[:5])}")
    p99 = max(_ms(claims, 0.99), _ms(logs, 0.99))
    ok = (not errors and not (seen or decisions or contacts) and p99 < P99_TARGET_MS
          and share >= THROUGHPUT_TARGET)
    print(f"p99 {p99:.1f} ms (target < {P99_TARGET_MS:.0f} ms): "
          f"{'met' if p99 < P99_TARGET_MS else 'missed'}; throughput {share:.0%} "
          f"(target ≥ {THROUGHPUT_TARGET:.0%}): "
          f"{'met' if share >= THROUGHPUT_TARGET else 'missed'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=100,
                        help="claim-next + log-outcome cycles per agent at most")
    parser.add_argument("--seconds", type=float, default=60.0, help="per phase at most")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=0,
                        help="per worker; by default enough for every agent to hold a "
                             "keep-alive connection (agents / workers, rounded up)")
    parser.add_argument("--database", default="fido_bench_recovery_agents")
    parser.add_argument("--endpoints", choices=sorted(ENDPOINTS), default="api",
                        help="api: the recovery API (needs the contact window open now); "
                             "bench: bench-only endpoints on a fixed weekday-morning clock")
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server (postgres://…).", file=sys.stderr)
        return 2
    threads = args.threads or -(-args.agents // args.workers)
    return run(invoices=args.invoices, agents=args.agents, iterations=args.iterations,
               seconds=args.seconds, workers=args.workers, threads=threads,
               database=args.database, base_url=base_url, endpoints=args.endpoints)


if __name__ == "__main__":
    sys.exit(main())

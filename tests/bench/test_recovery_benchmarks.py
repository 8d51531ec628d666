"""The collections benchmarks keep working: each script's parts run at a tiny size against the
test database (PostgreSQL only: the generators use generate_series and hashint8)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import connection

from bench import recovery_agents, recovery_cases
from recovery.models import CollectionCase, CollectionContact
from tests.caring.conftest import rule_packs_seeded


def test_the_case_opener_benchmark_opens_what_its_floor_inserts(postgres_only) -> None:
    client_id = recovery_cases.populate(2_000)

    elapsed, result = recovery_cases.cases_open_timed(client_id, recovery_cases.RUN_DATE)
    plain, rows = recovery_cases.plain_insert(client_id, recovery_cases.RUN_DATE)

    assert result.opened == rows > 0
    assert CollectionCase.objects.filter(client_id=client_id, status="open").count() == rows
    assert elapsed > 0 and plain > 0


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    return (f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
            f"{settings['NAME']}")


@pytest.mark.django_db(transaction=True)
def test_the_agents_benchmark_claims_and_logs_through_gunicorn(
        postgres_only, rule_packs_restored_at_end) -> None:
    # An earlier transactional test's flush may have emptied the seeded rule packs.
    rule_packs_seeded()
    client_id, tokens = recovery_agents._prepare(2_000, 3)
    port = recovery_agents._free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "SECRET_KEY": "bench-only",
           "DJANGO_SETTINGS_MODULE": "bench.recovery_settings", "FIDO_EMBEDDED": "true",
           "FIDO_BENCH_EPOCH": str(time.time()), "PYTHONPATH": str(recovery_agents.ROOT)}
    server = recovery_agents._start_server(port, 1, 2, env)
    try:
        bare, _ = recovery_agents._phase(port, tokens, 2, 30, bare=True)
        # The bench's endpoints: the same services on a fixed weekday-morning clock, so the
        # test passes at any hour (the API's claim-next uses the real clock and the call
        # window).
        agents, _ = recovery_agents._phase(port, tokens, 2, 30, bare=False, endpoints="bench")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    assert [error for agent in bare + agents for error in agent.errors] == []
    assert sum(len(agent.times["bare"]) for agent in bare) == 3 * 2 * 2
    assert [len(agent.times["log"]) for agent in agents] == [2, 2, 2]
    claimed = [case for agent in agents for case in agent.claimed]
    assert len(claimed) == CollectionContact.objects.filter(client_id=client_id).count() == 6
    # The end-of-run check: no id seen twice, no debtor with two allowed queue decisions, no
    # case with two contacts.
    assert recovery_agents._double_claims(client_id, claimed) == (0, 0, 0)

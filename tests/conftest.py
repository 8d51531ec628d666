"""Shared fixtures: personas per role (including an outsider from another client) and the
service gates.

Services: tests that need PostgreSQL, Redis or a Celery worker are marked; without the service
they skip, unless FIDO_REQUIRE_SERVICES=1 (CI), where a missing service fails the run instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import translation

from access.roles import Role
from portfolio.models import Client
from tests.factories import ClientFactory, user_with_role

SERVICES = ("postgres", "redis", "chromium")


def _required_services(value: str) -> frozenset[str]:
    """FIDO_REQUIRE_SERVICES: "1" requires every service; a comma list names some (CI's SQLite
    pass requires Chromium while PostgreSQL-only tests skip); empty requires none."""
    names = {name.strip() for name in value.split(",") if name.strip()}
    if names == {"1"}:
        return frozenset(SERVICES)
    unknown = names - set(SERVICES)
    if unknown:
        raise ValueError(f"FIDO_REQUIRE_SERVICES: unknown service(s) {sorted(unknown)}")
    return frozenset(names)


REQUIRED_SERVICES = _required_services(os.environ.get("FIDO_REQUIRE_SERVICES", ""))


def service_missing(reason: str, *, service: str) -> None:
    """Skip for a newcomer without the service; fail where the run requires it (CI)."""
    if service in REQUIRED_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _scoring_readers_closed() -> Iterator[None]:
    """A test that scored a chunk outside a transaction leaves no reader session open (the
    test database could not be dropped at the end, and the next test starts clean)."""
    yield
    from scoring.prefetch import features_readers_close

    features_readers_close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing costs ~0.3 s a user; tests check roles, not the hash's strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _api_rates_reset() -> None:
    """The API's request rates live in process memory in tests (the "throttle" cache): each
    test starts with none counted, whatever ran before it in the same minute."""
    from django.core.cache import caches

    caches["throttle"].clear()


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """A request in Italian leaves Italian active on the thread (LocaleMiddleware never
    deactivates it); the next test starts in the default language whatever ran before."""
    yield
    translation.deactivate()


@pytest.fixture
def postgres_only(db: None) -> None:
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (set DATABASE_URL=postgres://…)", service="postgres")


@dataclass
class Personas:
    client_a: Client
    client_b: Client
    agent: object
    team_leader: object
    credit_manager: object
    committee: object
    viewer_a: object
    viewer_b: object
    admin: object

    def by_role(self) -> dict[str, object]:
        return {
            Role.AGENT: self.agent,
            Role.TEAM_LEADER: self.team_leader,
            Role.CREDIT_MANAGER: self.credit_manager,
            Role.CREDIT_COMMITTEE: self.committee,
            Role.CLIENT_VIEWER: self.viewer_a,
            Role.ADMINISTRATOR: self.admin,
        }


@pytest.fixture
def personas(db: None) -> Personas:
    """Alice's world: staff of client A only, a viewer of A, and an outsider viewer of B."""
    client_a = ClientFactory(name="Acqua Alfa S.p.A.")
    client_b = ClientFactory(name="Beta Distribuzione S.r.l.")
    return Personas(
        client_a=client_a,
        client_b=client_b,
        agent=user_with_role(Role.AGENT, clients=(client_a,), username="agent_a"),
        team_leader=user_with_role(Role.TEAM_LEADER, clients=(client_a,), username="leader_a"),
        credit_manager=user_with_role(Role.CREDIT_MANAGER, clients=(client_a,),
                                      username="manager_a"),
        committee=user_with_role(Role.CREDIT_COMMITTEE, clients=(client_a,),
                                 username="committee_a"),
        viewer_a=user_with_role(Role.CLIENT_VIEWER, client=client_a, username="viewer_a"),
        viewer_b=user_with_role(Role.CLIENT_VIEWER, client=client_b, username="viewer_b"),
        admin=user_with_role(Role.ADMINISTRATOR, username="admin_x"),
    )


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None):
    """A real `celery -A config worker` subprocess on the test database and the Redis broker.

    Tests that use it need `transactional_db` (the worker must see committed rows) and
    PostgreSQL; without Redis or PostgreSQL they call `service_missing`. Yields the worker's
    Celery hostname (for `app.control.inspect(destination=[...])`); the worker's log is in
    FIDO_VAR_DIR/celery-worker-test.log. Stopped at the end of the session.
    """
    from django.conf import settings

    from config.celery import app

    if connection.vendor != "postgresql":
        service_missing("the worker test needs PostgreSQL (set DATABASE_URL=postgres://…)",
                        service="postgres")
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis://"):
        service_missing("the worker test needs CELERY_BROKER_URL=redis://…", service="redis")
    import redis

    try:
        redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
    except redis.RedisError:
        service_missing(f"Redis is not answering at {broker}", service="redis")
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    database_url = (f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:"
                    f"{db['PORT'] or 5432}/{db['NAME']}")
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
           "CELERY_TASK_ALWAYS_EAGER": "false"}
    env.pop("TEST_DATABASE_NAME", None)
    hostname = f"fido-test-{os.getpid()}@localhost"
    app.control.purge()
    log_path = Path(settings.VAR_DIR) / "celery-worker-test.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
             "--concurrency=2", "--without-gossip", "--without-mingle", "-n", hostname],
            cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start; see {log_path}")
        yield hostname
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()

"""Reliability: a real Celery worker on a real Redis broker is killed (SIGKILL) in the middle of
a planning run; the run is sent again to a fresh worker; no call is planned twice and none is
lost. PostgreSQL only (the worker must see the test database)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from caring.models import CaringAssignment, CourtesyCall, CourtesyCallInvoice
from portfolio.models import ContactPoint, Debtor, Invoice
from tests.caring.conftest import rule_packs_seeded
from tests.caring.factories import CaringPolicyFactory
from tests.conftest import service_missing
from tests.factories import ClientFactory

BROKER = os.environ.get("CARING_TEST_BROKER_URL", "redis://127.0.0.1:6379/9")
ROOT = Path(__file__).resolve().parents[2]
RUN_DATE = dt.date(2026, 3, 2)
DEBTORS = 3000


def _redis_or_skip():
    try:
        import redis

        broker = redis.Redis.from_url(BROKER, socket_connect_timeout=1)
        broker.ping()
    except Exception as error:
        service_missing(f"needs Redis at {BROKER}: {error}", service="redis")
    return broker


def _database_url() -> str:
    conf = connection.settings_dict
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return (f"postgres://{conf['USER']}{password}@{conf['HOST'] or '127.0.0.1'}:"
            f"{conf['PORT'] or 5432}/{conf['NAME']}")


def _worker(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": BROKER,
           "SECRET_KEY": os.environ.get("SECRET_KEY", "x"), "FIDO_EMBEDDED": "true",
           "FIDO_VAR_DIR": str(tmp_path / name), "CARING_PLAN_CHUNK_INVOICES": "150",
           "DATABASE_CONN_MAX_AGE": "0"}
    env.pop("TEST_DATABASE_NAME", None)
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"{name}@%h",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _send(client_id: int) -> None:
    from celery import Celery

    # An explicit connection: Celery lets a CELERY_BROKER_URL in the environment (CI sets one
    # for the suite's own worker) override broker=, and this test needs its own broker.
    app = Celery()
    with app.connection_for_write(BROKER) as connection_:
        app.send_task("caring.plan_task", args=[RUN_DATE.isoformat(), client_id],
                      connection=connection_)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _portfolio():
    client = ClientFactory()
    policy = CaringPolicyFactory(client=client, control_share=Decimal("0.10"))
    debtors = Debtor.objects.bulk_create([
        Debtor(client=client, external_ref=f"K{n:05d}", kind="business", name=f"Kill {n}",
               country="IT", timezone="Europe/Rome") for n in range(DEBTORS)])
    ContactPoint.objects.bulk_create([
        ContactPoint(client=client, debtor=debtor, channel="phone", value=f"+39021{n:06d}",
                     timezones=["Europe/Rome"]) for n, debtor in enumerate(debtors)])
    # One or two invoices per debtor, all falling due inside the window.
    Invoice.objects.bulk_create([
        Invoice(client=client, debtor=debtors[n % DEBTORS], number=f"K-{n}", currency="EUR",
                issue_date=RUN_DATE - dt.timedelta(days=30),
                due_date=RUN_DATE + dt.timedelta(days=1 + n % 4),
                amount=Decimal("120.00"), open_balance=Decimal("120.00"))
        for n in range(int(DEBTORS * 1.5))])
    return client, policy


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_plan_loses_nothing_and_duplicates_nothing(
        tmp_path, rule_packs_restored_at_end) -> None:
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (set DATABASE_URL=postgres://…)", service="postgres")
    broker = _redis_or_skip()
    broker.flushdb()  # this test's own Redis database: drop messages of earlier runs
    rule_packs_seeded()
    client, _policy = _portfolio()
    invoices = Invoice.objects.filter(client=client).count()

    first = _worker(tmp_path, "first")
    try:
        _send(client.pk)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            links = CourtesyCallInvoice.objects.filter(client=client).count()
            if links > 0:
                break
            time.sleep(0.01)
        _stop(first)  # SIGKILL in the middle of the run: whole chunks are committed, no more
    finally:
        _stop(first)
    assigned_at_kill = CaringAssignment.objects.filter(client=client).count()
    assert 0 < assigned_at_kill < invoices, (
        f"the kill must land mid-run ({assigned_at_kill} of {invoices} assigned); "
        f"see {tmp_path / 'first.log'}")

    second = _worker(tmp_path, "second")
    try:
        _send(client.pk)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            done = (CaringAssignment.objects.filter(client=client).count() == invoices
                    and not CourtesyCall.objects.filter(client=client,
                                                        scheduled_at__isnull=True).exists())
            if done:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the second run did not finish; see {tmp_path / 'second.log'}")
    finally:
        _stop(second)

    # None lost: every invoice has its group; every called invoice is on a call.
    called = set(CaringAssignment.objects.filter(client=client, in_control=False)
                 .values_list("invoice_id", flat=True))
    linked = list(CourtesyCallInvoice.objects.filter(client=client)
                  .values_list("invoice_id", flat=True))
    assert set(linked) == called
    # None twice: one link per invoice, one call per debtor with called invoices.
    assert len(linked) == len(set(linked))
    call_debtors = list(CourtesyCall.objects.filter(client=client)
                        .values_list("debtor_id", flat=True))
    assert len(call_debtors) == len(set(call_debtors))
    assert set(call_debtors) == set(CaringAssignment.objects.filter(
        client=client, in_control=False).values_list("debtor_id", flat=True))
    control = CaringAssignment.objects.filter(client=client, in_control=True).count()
    assert 0.07 < control / invoices < 0.13

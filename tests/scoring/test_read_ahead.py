"""A chunk scored with its features read ahead by a thread, in parts, on PostgreSQL.

Outside a transaction (a Celery task) the chunk's parts are read by a thread of their own
while the scores stream into one COPY; inside one (these other tests' `db`) everything runs
in the caller's thread. Both must write the same rows, retry the same way and count the same
stability, and the thread must leave no connection behind.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import DataError, connection, transaction

import scoring.prefetch as prefetch
from scoring.models import DebtorScore, StabilityCounts
from scoring.prefetch import features_read_ahead, id_parts
from scoring.services import scoring_chunk_score, scoring_model_train
from tests.factories import ClientFactory
from tests.scoring.ledger import ledger_generate

TRAINED_ON = dt.date(2026, 6, 30)


@pytest.mark.parametrize(("lo", "hi", "parts"), [(1, 100, 4), (7, 7, 4), (5, 7, 4),
                                                 (10, 1009, 3), (1, 2, 1)])
def test_id_parts_cover_the_range_once_in_order(lo, hi, parts):
    ranges = id_parts(lo, hi, parts)
    covered = [i for a, b in ranges for i in range(a, b + 1)]
    assert covered == list(range(lo, hi + 1))
    assert 1 <= len(ranges) <= parts


@pytest.fixture
def model(postgres_only, settings, tmp_path):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    client = ClientFactory()
    debtors = ledger_generate(client, debtors=120)
    proposed = next(m for m in scoring_model_train(client=client, training_date=TRAINED_ON)
                    if m.proposed)
    return proposed, debtors[0].pk, debtors[-1].pk


def _rows(model):
    return {s.debtor_id: (s.client_id, s.probability, s.points, s.band, s.reasons)
            for s in DebtorScore.objects.filter(model=model, as_of=TRAINED_ON)}


def _backend_connections(*, settled_at: int | None = None) -> int:
    """Other connections to the test database; with `settled_at`, waits (up to 5 s) for
    the count to come down to it: a closed connection's backend exits just after."""
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()")
            count = cursor.fetchone()[0]
        if settled_at is None or count <= settled_at or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_read_ahead_writes_what_one_read_writes(model, monkeypatch):
    model, lo, hi = model
    readers: list[str] = []
    real = prefetch.debtor_features

    def spied(**kwargs):
        readers.append(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(prefetch, "debtor_features", spied)
    before = _backend_connections()

    assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 120
    read_ahead = _rows(model)
    counts = StabilityCounts.objects.get(model=model, as_of=TRAINED_ON).counts
    assert readers == ["scoring-features"] * prefetch.PARTS
    assert _backend_connections(settled_at=before) == before  # the reader's is closed

    DebtorScore.objects.filter(model=model).delete()
    StabilityCounts.objects.filter(model=model).delete()
    with transaction.atomic():  # one read, in this thread
        assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 120
    assert len(readers) == prefetch.PARTS
    assert _rows(model) == read_ahead
    assert StabilityCounts.objects.get(model=model, as_of=TRAINED_ON).counts == counts


@pytest.mark.django_db(transaction=True)
def test_a_retried_streamed_chunk_fills_what_is_missing(model):
    model, lo, hi = model
    assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 120
    first = _rows(model)
    missing = sorted(first)[70:80]  # rows of a later part: the COPY has begun streaming
    DebtorScore.objects.filter(model=model, debtor_id__in=missing).delete()

    assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 10
    assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 0
    assert _rows(model) == first
    assert StabilityCounts.objects.filter(model=model, as_of=TRAINED_ON).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_reader_reaches_the_caller_and_closes_its_connection(model):
    model, lo, hi = model
    before = _backend_connections()
    # A client id PostgreSQL refuses: the reader fails on its connection, at its first query.
    parts = features_read_ahead(client_id="not a number", parts=[(lo, hi), (lo, hi)],
                                as_of=TRAINED_ON, segment="all")
    with pytest.raises(DataError):
        next(parts)
    assert _backend_connections(settled_at=before) == before
    assert not DebtorScore.objects.filter(model=model).exists()

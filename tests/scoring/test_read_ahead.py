"""A chunk scored with its features read ahead by reader threads, in parts, on PostgreSQL.

Outside a transaction (a Celery task) the chunk's parts are read by the process's reader
threads while the scores stream into one COPY; inside one (these other tests' `db`)
everything runs in the caller's thread. Both must write the same rows, retry the same way and
count the same stability. The readers keep their connections between chunks and give them
back when closed.
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


@pytest.mark.parametrize(("lo", "hi", "part_size", "parts"), [
    (1, 100, 25, 5), (7, 7, 25, 1), (5, 7, 2, 2), (10, 1009, 334, 4), (1, 2, 1, 2)])
def test_id_parts_cover_the_range_once_in_order(lo, hi, part_size, parts, monkeypatch):
    monkeypatch.setattr(prefetch, "PART_SIZE", part_size)
    ranges = id_parts(lo, hi)
    covered = [i for a, b in ranges for i in range(a, b + 1)]
    assert covered == list(range(lo, hi + 1))
    assert 1 <= len(ranges) <= parts


@pytest.mark.parametrize(("lo", "hi", "sizes"), [
    (1, 20000, [2500, 5000, 5000, 5000, 2500]), (1, 2500, [2500]), (1, 2501, [2500, 1]),
    (11, 7510, [2500, 5000]), (5, 5, [1])])
def test_id_parts_default_to_a_half_part_then_parts_of_part_size(lo, hi, sizes):
    ranges = id_parts(lo, hi)
    assert [b - a + 1 for a, b in ranges] == sizes
    assert [i for a, b in ranges for i in range(a, b + 1)] == list(range(lo, hi + 1))


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
    monkeypatch.setattr(prefetch, "PART_SIZE", 30)  # 120 debtors: 15, then 30 at a time
    parts = len(id_parts(lo, hi))
    assert parts >= 4

    assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 120
    read_ahead = _rows(model)
    counts = StabilityCounts.objects.get(model=model, as_of=TRAINED_ON).counts
    assert readers == ["scoring-features"] * parts

    DebtorScore.objects.filter(model=model).delete()
    StabilityCounts.objects.filter(model=model).delete()
    with transaction.atomic():  # one read, in this thread
        assert scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON) == 120
    assert len(readers) == parts
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
def test_readers_keep_their_connections_between_chunks_and_close_them(model):
    model, lo, hi = model
    before = _backend_connections()
    sessions: set[int] = set()
    for _chunk in range(3):
        for part in features_read_ahead(client_id=model.client_id, parts=_split(lo, hi, 4),
                                        as_of=TRAINED_ON, segment="all"):
            assert len(part["debtor_id"])
        sessions |= _reader_sessions()
    # Twelve parts read on the same READERS sessions, not one session each.
    assert 1 <= len(sessions) <= prefetch.READERS
    assert _backend_connections() <= before + prefetch.READERS

    prefetch.features_readers_close()
    assert _backend_connections(settled_at=before) == before


def _split(lo: int, hi: int, count: int) -> list[tuple[int, int]]:
    """[lo, hi] in `count` contiguous ranges (the last may be shorter)."""
    size = (hi - lo + count) // count
    return [(start, min(start + size - 1, hi)) for start in range(lo, hi + 1, size)]


def _reader_sessions() -> set[int]:
    """The backend pids of this process's readers, asked on each reader's own connection."""
    pool = prefetch._readers()

    def pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    futures = [pool.submit(pid) for _reader in range(4 * prefetch.READERS)]
    return {future.result() for future in futures}


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_reader_reaches_the_caller_and_the_reader_reads_on(model):
    model, lo, hi = model
    before = _backend_connections()
    # A client id PostgreSQL refuses: the reader fails on its connection, at its first query.
    parts = features_read_ahead(client_id="not a number",  # type: ignore[arg-type]  # on purpose
                                parts=[(lo, hi), (lo, hi)],
                                as_of=TRAINED_ON, segment="all")
    with pytest.raises(DataError):
        next(parts)
    parts.close()  # the caller gives up: the other part is cancelled or waited for
    assert not DebtorScore.objects.filter(model=model).exists()
    # The readers' connections survived the error and read the next chunk.
    read = list(features_read_ahead(client_id=model.client_id, parts=_split(lo, hi, 2),
                                    as_of=TRAINED_ON, segment="all"))
    assert sum(len(part["debtor_id"]) for part in read) == 120
    prefetch.features_readers_close()
    assert _backend_connections(settled_at=before) == before


@pytest.mark.django_db(transaction=True)
def test_a_reader_replaces_a_connection_the_server_closed(model):
    model, lo, hi = model
    list(features_read_ahead(client_id=model.client_id, parts=_split(lo, hi, 2),
                             as_of=TRAINED_ON, segment="all"))
    with connection.cursor() as cursor:  # the server ends the readers' sessions
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = "
                       "ANY(%s)", [list(_reader_sessions())])
    # Each reader checks its session before a part (CONN_HEALTH_CHECKS) and opens a new one.
    read = list(features_read_ahead(client_id=model.client_id, parts=_split(lo, hi, 2),
                                    as_of=TRAINED_ON, segment="all"))
    assert sum(len(part["debtor_id"]) for part in read) == 120

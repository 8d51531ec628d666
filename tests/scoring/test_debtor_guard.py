"""A score and its debtor's delete, in two transactions at once, on PostgreSQL (scoring
migration 0008): neither leaves a score naming a debtor that is gone.

The score's check takes a shared lock on its client before it looks for the debtor; the
debtor's delete takes it exclusively before it looks for scores. Whichever comes second waits
for the first to commit, then sees what it did and is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from portfolio.models import Debtor
from scoring.models import DebtorScore
from tests.factories import DebtorFactory
from tests.scoring.factories import ScoringModelFactory

pytestmark = pytest.mark.django_db(transaction=True)

INSERT = ("INSERT INTO scoring_debtorscore (client_id, debtor_id, model_id, as_of, probability,"
          " points, band, reasons, created_at) "
          "VALUES (%s, %s, %s, '2026-06-30', 0.1, 500, 'C', '[]', now())")


@pytest.fixture
def sessions(postgres_only) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    """Two sessions of their own on the test database, each in a transaction."""
    params = connection.get_connection_params()
    first, second = psycopg.connect(**params), psycopg.connect(**params)
    yield first, second
    first.close()
    second.close()


def _in_thread(work) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except psycopg.Error as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _waits(thread: threading.Thread) -> bool:
    thread.join(timeout=1)
    return thread.is_alive()


def test_a_debtor_delete_waits_for_a_score_in_flight_then_is_refused(sessions):
    scoring, deleting = sessions
    model = ScoringModelFactory()
    debtor = DebtorFactory(client=model.client)
    scoring.execute(INSERT, [model.client_id, debtor.pk, model.pk])  # not committed yet

    thread, outcome = _in_thread(lambda: deleting.execute(
        "DELETE FROM portfolio_debtor WHERE id = %s", [debtor.pk]))
    assert _waits(thread)  # the delete waits for the score's transaction
    scoring.commit()
    thread.join(timeout=10)

    assert isinstance(outcome.get("error"), psycopg.errors.ForeignKeyViolation)
    deleting.rollback()
    assert Debtor.objects.filter(pk=debtor.pk).exists()
    assert DebtorScore.objects.filter(debtor_id=debtor.pk).count() == 1


def test_a_score_waits_for_a_debtor_delete_in_flight_then_is_refused(sessions):
    scoring, deleting = sessions
    model = ScoringModelFactory()
    debtor = DebtorFactory(client=model.client)
    deleting.execute("DELETE FROM portfolio_debtor WHERE id = %s", [debtor.pk])  # not committed

    thread, outcome = _in_thread(lambda: scoring.execute(
        INSERT, [model.client_id, debtor.pk, model.pk]))
    assert _waits(thread)  # the score's check waits for the delete's transaction
    deleting.commit()
    thread.join(timeout=10)

    assert isinstance(outcome.get("error"), psycopg.errors.ForeignKeyViolation)
    assert "debtor_id names a row missing" in str(outcome["error"])
    scoring.rollback()
    assert not Debtor.objects.filter(pk=debtor.pk).exists()
    assert not DebtorScore.objects.filter(debtor_id=debtor.pk).exists()


def test_scores_of_one_client_do_not_wait_for_each_other(sessions):
    first, second = sessions
    model = ScoringModelFactory()
    one, two = DebtorFactory(client=model.client), DebtorFactory(client=model.client)
    first.execute(INSERT, [model.client_id, one.pk, model.pk])

    thread, outcome = _in_thread(lambda: second.execute(
        INSERT, [model.client_id, two.pk, model.pk]))
    thread.join(timeout=10)  # done while the first is still open: the lock is shared

    assert not thread.is_alive() and "error" not in outcome
    second.commit()
    first.commit()
    assert DebtorScore.objects.filter(model=model).count() == 2


def test_a_debtor_of_another_client_is_deleted_while_a_chunk_is_open(sessions):
    scoring, deleting = sessions
    model = ScoringModelFactory()
    scoring.execute(INSERT, [model.client_id, DebtorFactory(client=model.client).pk, model.pk])
    stranger = DebtorFactory()

    deleting.execute("DELETE FROM portfolio_debtor WHERE id = %s", [stranger.pk])
    deleting.commit()  # did not wait: another client's lock

    scoring.commit()
    assert not Debtor.objects.filter(pk=stranger.pk).exists()

"""Chunks of one run finishing at the same moment on PostgreSQL: each keeps its counts, the
model's stability adds them all up, and neither waits on the other's score insert."""

import datetime as dt
import threading

import pytest
from django.db import connection

from scoring.models import ScoringModel, StabilityCounts
from scoring.services import scoring_chunk_score, scoring_model_train
from scoring.training import chunk_ranges
from tests.factories import ClientFactory
from tests.scoring.ledger import ledger_generate

TRAINED_ON = dt.date(2026, 6, 30)


@pytest.mark.django_db(transaction=True)
def test_chunks_finishing_together_add_up_in_the_models_stability(postgres_only, settings,
                                                                 tmp_path):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    client = ClientFactory()
    ledger_generate(client, debtors=120)
    model = next(m for m in scoring_model_train(client=client, training_date=TRAINED_ON)
                 if m.proposed)
    ranges = list(chunk_ranges(client_id=client.pk, size=15))
    assert len(ranges) == 8
    barrier = threading.Barrier(len(ranges))
    written: list[int] = []
    errors: list[BaseException] = []

    def chunk(lo: int, hi: int) -> None:
        try:
            barrier.wait()
            written.append(scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=chunk, args=bounds) for bounds in ranges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors and written == [15] * 8
    model = ScoringModel.objects.get(pk=model.pk)
    assert model.stability["debtors"] == 120 and model.stability["chunks"] == 8
    assert StabilityCounts.objects.filter(model=model, as_of=TRAINED_ON).count() == 8
    # A later run replaces the counts; an earlier date afterwards leaves the stability alone.
    lo, hi = ranges[0]
    scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON + dt.timedelta(days=1))
    scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON - dt.timedelta(days=1))
    model.refresh_from_db()
    assert model.stability["as_of"] == (TRAINED_ON + dt.timedelta(days=1)).isoformat()
    assert model.stability["debtors"] == 15
    assert not StabilityCounts.objects.filter(model=model, as_of=TRAINED_ON).exists()

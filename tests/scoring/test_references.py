"""References of debtor scores, enforced by PostgreSQL per statement (scoring migration 0004)
whatever path writes the rows, and a retried chunk that writes nothing twice."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from scoring.models import DebtorScore, ScoringModel
from tests.factories import DebtorFactory
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db


def _raw_score(client_id: int, debtor_id: int, model_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_debtorscore (client_id, debtor_id, model_id, as_of, probability,"
            " points, band, reasons, created_at) "
            "VALUES (%s, %s, %s, '2026-06-30', 0.1, 500, 'C', '[]', now())",
            [client_id, debtor_id, model_id])


@pytest.mark.parametrize("missing", ["client", "debtor", "model"])
def test_a_score_naming_a_missing_row_is_refused(postgres_only, missing) -> None:
    model = ScoringModelFactory()
    debtor = DebtorFactory(client=model.client)
    ids = {"client": model.client_id, "debtor": debtor.pk, "model": model.pk}
    ids[missing] += 10_000_000

    with pytest.raises(IntegrityError, match=f"{missing}_id names a row missing"), \
            transaction.atomic():
        _raw_score(ids["client"], ids["debtor"], ids["model"])

    assert not DebtorScore.objects.exists()


def test_a_score_of_another_clients_debtor_is_refused(postgres_only) -> None:
    model = ScoringModelFactory()
    stranger = DebtorFactory()

    with pytest.raises(IntegrityError, match="of their client"), transaction.atomic():
        _raw_score(model.client_id, stranger.pk, model.pk)

    score = DebtorScoreFactory(model=model, debtor=DebtorFactory(client=model.client))
    with pytest.raises(IntegrityError, match="of their client"), transaction.atomic():
        DebtorScore.objects.filter(pk=score.pk).update(debtor=stranger)
    # A change that leaves the references alone passes the check.
    DebtorScore.objects.filter(pk=score.pk).update(points=501)


def test_deleting_a_model_still_named_by_scores_is_refused(postgres_only) -> None:
    score = DebtorScoreFactory()

    with pytest.raises(IntegrityError, match="still named by debtor scores"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM scoring_scoringmodel WHERE id = %s", [score.model_id])

    assert ScoringModel.objects.filter(pk=score.model_id).exists()


def test_deleting_a_debtor_deletes_its_scores_first(postgres_only) -> None:
    score = DebtorScoreFactory()

    score.debtor.delete()

    assert not DebtorScore.objects.filter(pk=score.pk).exists()

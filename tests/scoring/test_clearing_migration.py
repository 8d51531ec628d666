"""Scoring migration 0010 deletes the scores that 0011's checks refuse, so that 0011 applies to
a database written before them (the embedded SQLite database checked nothing)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from scoring.models import DebtorScore
from tests.factories import DebtorFactory
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("scoring.migrations.0010_clear_scores_the_checks_refuse")


def _score_without_checks(client_id: int, debtor_id: int, model_id: int) -> None:
    """Write a score as a database from before 0011 could hold it: no trigger fires."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "INSERT INTO scoring_debtorscore (client_id, debtor_id, model_id, as_of, "
                "probability, points, band, reasons, created_at) "
                "VALUES (%s, %s, %s, '2026-06-30', 0.1, 500, 'C', '[]', now())",
                [client_id, debtor_id, model_id])
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_scores_the_checks_refuse_are_deleted_and_the_rest_kept(postgres_only) -> None:
    kept = DebtorScoreFactory()
    stranger = DebtorFactory()
    strangers_model = ScoringModelFactory(client=stranger.client)
    _score_without_checks(kept.client_id, stranger.pk, kept.model_id)  # another client's debtor
    _score_without_checks(kept.client_id, 10_000_000, kept.model_id)  # a debtor that is gone
    neighbour = DebtorFactory(client=stranger.client)
    _score_without_checks(stranger.client_id, neighbour.pk, kept.model_id)  # another's model
    _score_without_checks(stranger.client_id, stranger.pk, strangers_model.pk + 10_000)
    assert DebtorScore.objects.count() == 5

    MIGRATION.forwards(None, SimpleNamespace(connection=connection))

    assert list(DebtorScore.objects.values_list("pk", flat=True)) == [kept.pk]

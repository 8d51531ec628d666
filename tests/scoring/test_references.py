"""References of debtor scores, checked per statement by scoring's own triggers on both
databases (scoring migration 0011), whatever path writes the rows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from scoring.models import DebtorScore, ScoringModel
from tests.factories import ClientFactory, DebtorFactory
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db


def _raw_score(client_id: int, debtor_id: int, model_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_debtorscore (client_id, debtor_id, model_id, as_of, probability,"
            " points, band, reasons, created_at) "
            "VALUES (%s, %s, %s, '2026-06-30', 0.1, 500, 'C', '[]', %s)",
            [client_id, debtor_id, model_id, "2026-06-30 12:00:00+00:00"])


@pytest.mark.parametrize(("missing", "refused"), [
    ("client", "(debtor|model)_id, client_id"), ("debtor", "debtor_id, client_id"),
    ("model", "model_id, client_id")])
def test_a_score_naming_a_missing_row_is_refused(missing, refused) -> None:
    model = ScoringModelFactory()
    debtor = DebtorFactory(client=model.client)
    ids = {"client": model.client_id, "debtor": debtor.pk, "model": model.pk}
    ids[missing] += 10_000_000

    with pytest.raises(IntegrityError, match=rf"\({refused}\) names no row"), \
            transaction.atomic():
        _raw_score(ids["client"], ids["debtor"], ids["model"])

    assert not DebtorScore.objects.exists()


def test_a_score_of_another_clients_debtor_or_model_is_refused() -> None:
    model = ScoringModelFactory()
    stranger = DebtorFactory()
    strangers_model = ScoringModelFactory(client=stranger.client)

    with pytest.raises(IntegrityError, match="debtor_id, client_id"), transaction.atomic():
        _raw_score(model.client_id, stranger.pk, model.pk)
    with pytest.raises(IntegrityError, match="model_id, client_id"), transaction.atomic():
        _raw_score(model.client_id, DebtorFactory(client=model.client).pk, strangers_model.pk)

    score = DebtorScoreFactory(model=model, debtor=DebtorFactory(client=model.client))
    with pytest.raises(IntegrityError, match="debtor_id, client_id"), transaction.atomic():
        DebtorScore.objects.filter(pk=score.pk).update(debtor=stranger)
    # A change that leaves the references alone passes the check.
    DebtorScore.objects.filter(pk=score.pk).update(points=501)
    assert DebtorScore.objects.get(pk=score.pk).points == 501


def test_a_model_named_by_scores_cannot_move_to_another_client() -> None:
    score = DebtorScoreFactory()
    other = ClientFactory()

    with pytest.raises(IntegrityError, match="still named by scoring_debtorscore"), \
            transaction.atomic():
        ScoringModel.objects.filter(pk=score.model_id).update(client=other)

    assert ScoringModel.objects.get(pk=score.model_id).client_id == score.client_id


def test_deleting_a_model_still_named_by_scores_is_refused(postgres_only) -> None:
    # PostgreSQL only: on SQLite a parent's delete is the ORM's on_delete (PROTECT here),
    # see portfolio/statement_checks.py.
    score = DebtorScoreFactory()

    with pytest.raises(IntegrityError, match="still named by scoring_debtorscore"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM scoring_scoringmodel WHERE id = %s", [score.model_id])

    assert ScoringModel.objects.filter(pk=score.model_id).exists()


def test_deleting_a_debtor_deletes_its_scores_first() -> None:
    score = DebtorScoreFactory()

    score.debtor.delete()

    assert not DebtorScore.objects.filter(pk=score.pk).exists()


def _scoring_triggers(tables: str) -> list[tuple[str, str]]:
    """(table, trigger) of scoring's triggers on the tables whose names match `tables`."""
    if connection.vendor == "postgresql":
        sql = ("SELECT c.relname, t.tgname FROM pg_trigger t "
               "JOIN pg_class c ON c.oid = t.tgrelid "
               "WHERE NOT t.tgisinternal AND c.relname LIKE %s AND t.tgname LIKE %s")
    else:
        sql = ("SELECT tbl_name, name FROM sqlite_master "
               "WHERE type = 'trigger' AND tbl_name LIKE %s AND name LIKE %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [tables, "%scoring%"])
        return list(cursor.fetchall())


def test_scoring_puts_no_trigger_on_portfolios_tables() -> None:
    assert _scoring_triggers("scoring%")  # the query sees scoring's own triggers
    assert _scoring_triggers("portfolio%") == []

"""Training on a ledger, the registry, the champion, chunked batch scoring and stability."""

import datetime as dt
import itertools

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from access.errors import DomainError
from scoring.models import DebtorScore, ScoringModel
from scoring.selectors import debtor_score_latest, debtor_scores_latest
from scoring.services import (
    scoring_chunk_score,
    scoring_model_promote,
    scoring_model_train,
    scoring_run_plan,
)
from scoring.training import chunk_ranges
from tests.factories import ClientFactory
from tests.scoring.ledger import ledger_generate

TRAINED_ON = dt.date(2026, 6, 30)


@pytest.fixture
def trained(db, settings, tmp_path):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    client = ClientFactory()
    debtors = ledger_generate(client, debtors=150)
    models = scoring_model_train(client=client, training_date=TRAINED_ON)
    return client, debtors, models


def test_it_registers_both_models_with_out_of_time_metrics_and_a_proposal(trained):
    client, _debtors, models = trained
    assert {m.kind for m in models} == {"scorecard", "gbm"}
    for model in models:
        assert model.status == ScoringModel.Status.CHALLENGER
        assert model.train_to < model.validate_from <= model.validate_to
        assert model.validate_to <= TRAINED_ON - dt.timedelta(days=150)
        assert 0.7 < model.metrics["auc"] <= 1
        assert model.metrics["gini"] == pytest.approx(2 * model.metrics["auc"] - 1)
        assert {"ks", "brier", "n_train", "n_validate"} <= set(model.metrics)
        assert len(model.calibration) == 10
        assert len(model.artifact_sha256) == 64 and model.artifact_path.endswith(".skops")
        assert model.version == 1 and "dbt_avg_3m" in model.features
    assert sum(m.proposed for m in models) == 1
    again = scoring_model_train(client=client, training_date=TRAINED_ON)
    assert {m.version for m in again} == {2}
    assert ScoringModel.objects.filter(client=client, proposed=True).count() == 1


def test_it_scores_in_chunks_that_write_nothing_twice(trained, django_assert_max_num_queries):
    client, debtors, models = trained
    proposed = next(m for m in models if m.proposed)
    ranges = list(chunk_ranges(client_id=client.pk, size=40))
    assert len(ranges) == 4 and ranges[0][0] == 1
    assert sum(1 for d in debtors if ranges[0][0] <= d.pk <= ranges[0][1]) == 40

    plan = scoring_run_plan(client=client)
    assert {model_id for model_id, _lo, _hi in plan} == {proposed.pk}
    _model_id, lo, hi = plan[0]
    assert scoring_chunk_score(model=proposed, lo=lo, hi=hi, as_of=TRAINED_ON) == 150
    assert scoring_chunk_score(model=proposed, lo=lo, hi=hi, as_of=TRAINED_ON) == 0
    assert DebtorScore.objects.filter(model=proposed).count() == 150

    # A challenger's scores (even the proposed one's) reach no page until it is promoted.
    assert debtor_score_latest(debtor=debtors[0]) is None
    ScoringModel.objects.filter(pk=proposed.pk).update(status=ScoringModel.Status.CHAMPION)
    score = debtor_score_latest(debtor=debtors[0])
    assert score is not None
    assert score.model == proposed and score.as_of == TRAINED_ON
    assert score.band in "ABCDE" and 0 <= score.probability <= 1
    # Stored compactly ([code, impact, value, *extra]), worded when read.
    assert all(isinstance(stored, list) for stored in score.reasons)
    for reason in score.reason_lines:
        impact = reason["impact"]
        assert isinstance(impact, int | float) and impact < 0
        assert reason["text"] and reason["code"] in proposed.features
    with django_assert_max_num_queries(1):
        assert len(debtor_scores_latest(debtor_ids=[d.pk for d in debtors])) == 150

    # Stability measured on every debtor the run scored, counted once despite the retry.
    proposed.refresh_from_db()
    assert "score" in proposed.stability and "dbt_avg_3m" in proposed.stability["features"]
    assert proposed.stability["debtors"] == 150 and proposed.stability["chunks"] == 1
    assert proposed.stability["as_of"] == TRAINED_ON.isoformat()


def test_a_credit_manager_promotes_and_the_old_champion_retires(trained, personas):
    _client, _debtors, models = trained
    first, second = models
    with pytest.raises(DomainError):
        scoring_model_promote(model=first, user=personas.viewer_a)
    scoring_model_promote(model=first, user=personas.credit_manager)
    scoring_model_promote(model=second, user=personas.credit_manager)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("retired", "champion")
    assert second.promoted_by == personas.credit_manager
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModel.objects.filter(pk=first.pk).update(status="champion")


def test_the_commands_train_and_run(db, settings, tmp_path, capsys):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    client = ClientFactory()
    ledger_generate(client, debtors=120, seed=11)
    call_command("scoring_train", client=client.pk, as_of=TRAINED_ON)
    assert "proposed champion" in capsys.readouterr().out
    call_command("scoring_run", client=client.pk, as_of=TRAINED_ON)
    call_command("scoring_run", client=client.pk, as_of=TRAINED_ON)
    out = capsys.readouterr().out
    assert "120 scores written" in out and "0 scores written" in out
    assert DebtorScore.objects.filter(client=client).count() == 120


def test_it_refuses_to_train_without_enough_history(db, settings, tmp_path):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    client = ClientFactory()
    ledger_generate(client, debtors=3)
    with pytest.raises(DomainError) as refused:
        scoring_model_train(client=client, training_date=TRAINED_ON)
    assert refused.value.code == "not_enough_history"


def test_a_retried_chunk_fills_what_is_missing_and_writes_nothing_twice(trained):
    _client, debtors, models = trained
    proposed = next(m for m in models if m.proposed)
    lo, hi = debtors[0].pk, debtors[-1].pk
    assert scoring_chunk_score(model=proposed, lo=lo, hi=hi, as_of=TRAINED_ON) == 150
    first = {s.debtor_id: (s.pk, s.probability, s.reasons)
             for s in DebtorScore.objects.filter(model=proposed)}
    # A worker killed half-way through a later attempt: some rows of the chunk are missing.
    DebtorScore.objects.filter(model=proposed, debtor_id__in=[d.pk for d in debtors[:10]]
                               ).delete()

    assert scoring_chunk_score(model=proposed, lo=lo, hi=hi, as_of=TRAINED_ON) == 10
    assert scoring_chunk_score(model=proposed, lo=lo, hi=hi, as_of=TRAINED_ON) == 0
    again = {s.debtor_id: (s.pk, s.probability, s.reasons)
             for s in DebtorScore.objects.filter(model=proposed)}
    assert len(again) == DebtorScore.objects.filter(model=proposed).count() == 150
    # Untouched rows stay as written; refilled rows carry the same values.
    for debtor_id, (pk, probability, reasons) in again.items():
        assert (probability, reasons) == first[debtor_id][1:]
        if debtor_id not in {d.pk for d in debtors[:10]}:
            assert pk == first[debtor_id][0]


@pytest.mark.django_db
@pytest.mark.parametrize("segment", ["all", "consumer"])
def test_chunk_ranges_cover_each_debtor_of_the_client_and_segment_once(segment):
    from tests.factories import DebtorFactory

    client, other = ClientFactory(), ClientFactory()
    mine = []
    for k in range(23):
        mine.append(DebtorFactory(client=client, kind="consumer" if k % 2 else "business"))
        DebtorFactory(client=other)  # interleaved ids of another client
    wanted = sorted(d.pk for d in mine if segment == "all" or d.kind == segment)

    ranges = list(chunk_ranges(client_id=client.pk, segment=segment, size=5))

    covered = [[pk for pk in wanted if lo <= pk <= hi] for lo, hi in ranges]
    assert [len(ids) for ids in covered] == [5] * (len(wanted) // 5) + (
        [len(wanted) % 5] if len(wanted) % 5 else [])
    assert sorted(pk for ids in covered for pk in ids) == wanted
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    assert ranges[-1][1] == wanted[-1]
    assert list(chunk_ranges(client_id=ClientFactory().pk)) == []


def test_a_model_run_on_its_training_day_finds_the_population_it_was_trained_on(trained):
    client, _debtors, models = trained
    for model in models:
        for lo, hi in chunk_ranges(client_id=client.pk, segment=model.segment):
            scoring_chunk_score(model=model, lo=lo, hi=hi, as_of=TRAINED_ON)
        model.refresh_from_db()

        # The reference is the debtors as of the training date, scored by the model, in the
        # bins a run uses: nothing has moved since, so nothing reads as shifted.
        assert model.reference["as_of"] == TRAINED_ON.isoformat()
        assert model.reference["debtors"] == 150
        assert model.stability["score"] < 0.01
        assert max(model.stability["features"].values()) < 0.01

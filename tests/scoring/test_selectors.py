import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from scoring.models import ScoringModel
from scoring.selectors import debtor_score_latest, debtor_scores_latest
from tests.factories import DebtorFactory
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory

pytestmark = pytest.mark.django_db


def test_it_prefers_the_champion_of_the_debtors_segment_over_a_newer_challenger_score():
    debtor = DebtorFactory(kind="business")
    champion = ScoringModelFactory(client=debtor.client, segment="business", status="champion")
    challenger = ScoringModelFactory(client=debtor.client, segment="business")
    DebtorScoreFactory(debtor=debtor, model=champion, as_of=dt.date(2026, 1, 1))
    wanted = DebtorScoreFactory(debtor=debtor, model=champion, as_of=dt.date(2026, 2, 1))
    DebtorScoreFactory(debtor=debtor, model=challenger, as_of=dt.date(2026, 3, 1))

    assert debtor_score_latest(debtor=debtor) == wanted


def test_it_never_shows_a_challengers_score_nor_another_segments():
    debtor = DebtorFactory()
    other_segment_champion = ScoringModelFactory(client=debtor.client, segment="consumer",
                                                 status="champion")
    challenger = ScoringModelFactory(client=debtor.client, proposed=True)
    DebtorScoreFactory(debtor=debtor, model=other_segment_champion, as_of=dt.date(2026, 1, 1))
    DebtorScoreFactory(debtor=debtor, model=challenger, as_of=dt.date(2026, 2, 1))

    assert debtor_score_latest(debtor=debtor) is None

    all_debtors_champion = ScoringModelFactory(client=debtor.client, status="champion")
    wanted = DebtorScoreFactory(debtor=debtor, model=all_debtors_champion,
                                as_of=dt.date(2026, 1, 15))
    assert debtor_score_latest(debtor=debtor) == wanted
    assert debtor_score_latest(debtor=DebtorFactory()) is None


def test_it_reads_the_latest_scores_of_many_debtors_in_one_query(django_assert_num_queries):
    first = DebtorFactory()
    debtors = [first, *DebtorFactory.create_batch(2, client=first.client)]
    model = ScoringModelFactory(client=first.client, status="champion")
    expected = {}
    for debtor in debtors[:2]:
        DebtorScoreFactory(debtor=debtor, model=model, as_of=dt.date(2026, 1, 1))
        expected[debtor.pk] = DebtorScoreFactory(debtor=debtor, model=model,
                                                 as_of=dt.date(2026, 1, 2))

    with django_assert_num_queries(1):
        scores = debtor_scores_latest(debtor_ids=[d.pk for d in debtors])
        versions = {k: v.model.version for k, v in scores.items()}
    assert versions == dict.fromkeys(expected, model.version)
    assert scores == expected


def test_it_refuses_a_second_champion_for_the_same_client_and_segment():
    first = ScoringModelFactory(status=ScoringModel.Status.CHAMPION)
    ScoringModelFactory(client=first.client, segment="business",
                        status=ScoringModel.Status.CHAMPION)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModelFactory(client=first.client, status=ScoringModel.Status.CHAMPION)

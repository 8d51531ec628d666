"""The demo starts scored: `scoring_demo` trains and runs every client that has no model."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from access.roles import Role
from portfolio.demo import demo_portfolio_create
from scoring.models import DebtorScore, ScoringModel
from scoring.selectors import debtor_score_latest
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@override_settings(EMBEDDED=True)
def test_the_demo_client_gets_models_and_scores_once(tmp_path) -> None:
    (client,) = demo_portfolio_create(seed=5, today=timezone.localdate(), invoices=2_000,
                                      clients=["utility"])
    with override_settings(SCORING_ARTIFACT_DIR=tmp_path):
        call_command("scoring_demo")
        models = ScoringModel.objects.filter(client=client).count()
        scores = DebtorScore.objects.filter(model__client=client).count()

        call_command("scoring_demo")  # a second start trains nothing more

    assert models == 2  # the scorecard and its challenger
    assert scores > 0
    assert ScoringModel.objects.filter(client=client).count() == models


@override_settings(EMBEDDED=True)
def test_the_demo_starts_with_a_champion_whose_population_has_not_moved(tmp_path) -> None:
    (client,) = demo_portfolio_create(seed=5, today=timezone.localdate(), invoices=2_000,
                                      clients=["utility"])
    manager = user_with_role(Role.CREDIT_MANAGER, clients=(client,), username="demo_manager")
    with override_settings(SCORING_ARTIFACT_DIR=tmp_path):
        call_command("scoring_demo")

    champion = ScoringModel.objects.get(client=client, status=ScoringModel.Status.CHAMPION)
    assert champion.proposed and champion.promoted_by == manager
    assert champion.stability["score"] < 0.1  # trained minutes ago: nothing has shifted
    debtor = client.debtors.order_by("id").first()
    assert debtor is not None
    score = debtor_score_latest(debtor=debtor)
    assert score is not None and score.model == champion


@override_settings(EMBEDDED=False)
def test_outside_the_embedded_demo_it_refuses() -> None:
    with pytest.raises(CommandError, match="embedded demo"):
        call_command("scoring_demo")

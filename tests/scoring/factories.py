"""Factories of scoring's models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from scoring.models import DebtorScore, ScoringModel
from tests.factories import ClientFactory, DebtorFactory, ModelFactory


class ScoringModelFactory(ModelFactory[ScoringModel]):
    class Meta:
        model = ScoringModel

    client = factory.SubFactory(ClientFactory)
    segment = ScoringModel.Segment.ALL
    kind = ScoringModel.Kind.SCORECARD
    version = factory.Sequence(lambda n: n + 1)
    train_from = dt.date(2025, 1, 1)
    train_to = dt.date(2025, 6, 30)
    features = factory.LazyFunction(list)
    artifact_path = "scoring/none.skops"
    artifact_sha256 = "0" * 64


class ChampionModelFactory(ScoringModelFactory):
    """The client's champion for all debtors, one per client (pages show champions' scores)."""

    class Meta:
        model = ScoringModel
        django_get_or_create = ("client", "segment", "status")

    status = ScoringModel.Status.CHAMPION


class DebtorScoreFactory(ModelFactory[DebtorScore]):
    class Meta:
        model = DebtorScore

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    model = factory.SubFactory(ChampionModelFactory, client=factory.SelfAttribute("..client"))
    as_of = dt.date(2026, 1, 1)
    probability = Decimal("0.05000")
    points = 600
    band = DebtorScore.Band.B
    reasons = factory.LazyFunction(list)

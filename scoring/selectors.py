"""Read queries of scoring: latest scores, the registry, a model's detail."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, F, IntegerField, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from portfolio.models import Debtor
from scoring.models import DebtorScore, ScoringModel


def _latest_scores(debtor_ids: Iterable[int]) -> QuerySet[DebtorScore]:
    """Each debtor's best current score, in one query.

    Preference: the client's champion for the debtor's own segment (its kind), then the
    champion for all debtors, then any model; within each, the newest as_of and row.
    """
    preference = Case(
        When(model__status=ScoringModel.Status.CHAMPION, model__segment=F("debtor__kind"),
             then=Value(2)),
        When(model__status=ScoringModel.Status.CHAMPION,
             model__segment=ScoringModel.Segment.ALL, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        DebtorScore.objects.filter(debtor_id__in=list(debtor_ids))
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("debtor_id")],
                order_by=[preference.desc(), F("as_of").desc(), F("id").desc()],
            )
        )
        .filter(_rank=1)
        .select_related("model")
    )


def debtor_scores_latest(*, debtor_ids: Iterable[int]) -> dict[int, DebtorScore]:
    """The latest score of each debtor (champion first, else any model), in one query."""
    return {score.debtor_id: score for score in _latest_scores(debtor_ids)}


def debtor_score_latest(*, debtor: Debtor) -> DebtorScore | None:
    """The latest score of the client's champion model for the debtor's segment.

    Falls back to the latest score of any model when no champion has scored the debtor.
    """
    return debtor_scores_latest(debtor_ids=[debtor.pk]).get(debtor.pk)


def scoring_model_list(*, queryset: QuerySet[ScoringModel]) -> QuerySet[ScoringModel]:
    return queryset.select_related("client").order_by("client__name", "segment", "-created_at")

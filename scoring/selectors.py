"""Read queries of scoring: latest scores, the registry, a model's detail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from portfolio.models import Debtor
from scoring.models import PSI_STABLE, PSI_WARNING, DebtorScore, ScoringModel


def _latest_scores(debtor_ids: Iterable[int]) -> QuerySet[DebtorScore]:
    """Each debtor's current champion score, in one query.

    Only a champion's scores reach debtor pages, panels, queues and credit decisions: a
    challenger is scored beside it (or alone, before anyone promoted a model) so that a credit
    manager can compare, not so that its guesses reach the people who act on them. The
    champion for the debtor's own segment (its kind) comes first, then the champion for all
    debtors; within each, the newest as_of and row.
    """
    segment_first = Case(
        When(model__segment=F("debtor__kind"), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        DebtorScore.objects.filter(debtor_id__in=list(debtor_ids),
                                   model__status=ScoringModel.Status.CHAMPION)
        .filter(Q(model__segment=F("debtor__kind")) | Q(model__segment=ScoringModel.Segment.ALL))
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("debtor_id")],
                order_by=[segment_first.desc(), F("as_of").desc(), F("id").desc()],
            )
        )
        .filter(_rank=1)
        .select_related("model")
    )


def debtor_scores_latest(*, debtor_ids: Iterable[int]) -> dict[int, DebtorScore]:
    """The latest champion score of each debtor (none for a debtor no champion scored)."""
    return {score.debtor_id: score for score in _latest_scores(debtor_ids)}


def debtor_score_latest(*, debtor: Debtor) -> DebtorScore | None:
    """The latest score of the client's champion for the debtor's segment (else for all
    debtors); None when no champion has scored the debtor, whatever challengers said."""
    return debtor_scores_latest(debtor_ids=[debtor.pk]).get(debtor.pk)


def scoring_model_list_for_user(*, user: AnyUser) -> QuerySet[ScoringModel]:
    return scope_to_user(ScoringModel.objects.select_related("client"), user).order_by(
        "client__name", "segment", "-created_at", "-id")


def scoring_model_get_for_user(*, user: AnyUser, pk: object) -> ScoringModel:
    return object_get_for_user(ScoringModel.objects.select_related("client", "promoted_by"),
                               user, pk=pk)


def debtor_get_for_user(*, user: AnyUser, pk: object) -> Debtor:
    return object_get_for_user(Debtor.objects.select_related("client"), user, pk=pk)


@dataclass(frozen=True)
class StabilityRow:
    name: str
    psi: float
    warning: bool

    @property
    def level(self) -> str:
        """stable below 0.1, shifting to PSI_WARNING, shifted above (the usual reading)."""
        return "shifted" if self.warning else "shifting" if self.psi >= PSI_STABLE else "stable"


def stability_rows(model: ScoringModel) -> list[StabilityRow]:
    """The last run's PSI, the score first, then features from least to most stable."""
    stability = model.stability or {}
    rows = []
    if stability.get("score") is not None:
        rows.append(StabilityRow("score", stability["score"], stability["score"] > PSI_WARNING))
    features = sorted((stability.get("features") or {}).items(),
                      key=lambda item: -(item[1] or 0))
    rows.extend(StabilityRow(name, value, value > PSI_WARNING)
                for name, value in features if value is not None)
    return rows


def score_history(*, debtor: Debtor, limit: int = 12) -> QuerySet[DebtorScore]:
    """The debtor's scores by champions, past (retired: champions once) and present; never a
    challenger's."""
    return (debtor.scores.exclude(model__status=ScoringModel.Status.CHALLENGER)
            .select_related("model").order_by("-as_of", "-id")[:limit])

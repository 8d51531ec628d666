"""Read queries of scoring: latest scores, the registry, a model's detail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from portfolio.models import Debtor
from portfolio.sql import sql_literals
from scoring.models import PSI_STABLE, PSI_WARNING, DebtorScore, ScoringModel

# DebtorScore.probability's last decimal place.
PROBABILITY_STEP = Decimal("0.00001")


def _segment_first(kind: F | OuterRef) -> Case:
    return Case(When(model__segment=kind, then=Value(1)), default=Value(0),
                output_field=IntegerField())


def _champion_scores(kind: F | OuterRef) -> QuerySet[DebtorScore]:
    return (DebtorScore.objects.filter(model__status=ScoringModel.Status.CHAMPION)
            .filter(Q(model__segment=kind) | Q(model__segment=ScoringModel.Segment.ALL)))


def _latest_scores(debtor_ids: Iterable[int]) -> QuerySet[DebtorScore]:
    """Each debtor's current champion score, in one query.

    Only a champion's scores reach debtor pages, panels, queues and credit decisions: a
    challenger is scored beside it (or alone, before anyone promoted a model) so that a credit
    manager can compare, not so that its guesses reach the people who act on them. The
    champion for the debtor's own segment (its kind) comes first, then the champion for all
    debtors; within each, the newest as_of and row.
    """
    kind = F("debtor__kind")
    return (
        _champion_scores(kind).filter(debtor_id__in=list(debtor_ids))
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("debtor_id")],
                order_by=[_segment_first(kind).desc(), F("as_of").desc(), F("id").desc()],
            )
        )
        .filter(_rank=1)
        .select_related("model")
    )


def debtor_probability_latest_sql(*, debtor_id: str, kind: str) -> str:
    """The probability of the score _latest_scores would pick, as a scalar subquery of plain
    SQL both databases run, for the outer row whose debtor id and kind are the SQL
    expressions `debtor_id` and `kind` (column names in code, never input). For a few named
    rows (the case a contact re-prioritises) it is one index probe inside their own read.
    Among the champion scores of the debtor's segment or of all debtors, "not of all debtors"
    is "of the debtor's segment": the same order as _segment_first's. Read its value with
    `probability_read`."""
    return (
        "(SELECT s.probability FROM scoring_debtorscore s"  # noqa: S608 (column names, choices)
        " JOIN scoring_scoringmodel m ON m.id = s.model_id"
        f" WHERE s.debtor_id = {debtor_id} AND m.status = {_CHAMPION}"
        f" AND (m.segment = {kind} OR m.segment = {_SEGMENT_ALL})"
        f" ORDER BY CASE WHEN m.segment = {_SEGMENT_ALL} THEN 1 ELSE 0 END,"
        " s.as_of DESC, s.id DESC LIMIT 1)")


def probability_read(value: object) -> Decimal:
    """A probability as DebtorScore.probability holds it, from a subquery's value: SQLite
    hands a subquery's decimal back as a float."""
    return Decimal(str(value)).quantize(PROBABILITY_STEP)


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


# --- The score planning reads ------------------------------------------------------------------
# Caring's planner ranks and filters courtesy calls by risk inside SQL, at portfolio scale. It
# prefers the same scores as _latest_scores (the segment's champion, then the all-debtor
# champion; newest first) but, unlike the pages, falls back to any model's newest score, so
# that a client whose first model still waits for promotion gets a risk-ordered plan. Both
# forms below say the same thing, one as an ORM subquery, one as SQL text for raw statements;
# keep them together, and change them together.

def _planning_preference() -> Case:
    return Case(
        When(model__status=ScoringModel.Status.CHAMPION, model__segment=F("debtor__kind"),
             then=Value(2)),
        When(model__status=ScoringModel.Status.CHAMPION,
             model__segment=ScoringModel.Segment.ALL, then=Value(1)),
        default=Value(0), output_field=IntegerField(),
    )


def debtor_score_planning_subquery(field_name: str) -> Subquery:
    """The score field the planner uses for the row's debtor (`debtor_id`), as a correlated
    subquery so that band filters and priorities stay inside SQL."""
    return Subquery(
        DebtorScore.objects.filter(debtor_id=OuterRef("debtor_id"))
        .annotate(_pref=_planning_preference())
        .order_by("-_pref", "-as_of", "-id")
        .values(field_name)[:1]
    )


def debtor_probability_planning_sql(debtor_column: str) -> str:
    """The same score's probability as SQL text for `debtor_column`: a correlated subquery that
    reads a handful of rows through the score's debtor index."""
    return (
        "(SELECT s.probability FROM scoring_debtorscore s "  # noqa: S608 (column names, choices)
        " JOIN scoring_scoringmodel m ON m.id = s.model_id "
        " JOIN portfolio_debtor d ON d.id = s.debtor_id "
        f" WHERE s.debtor_id = {debtor_column} ORDER BY"
        f" CASE WHEN m.status = {_CHAMPION} AND m.segment = d.kind THEN 2"
        f"      WHEN m.status = {_CHAMPION} AND m.segment = {_SEGMENT_ALL} THEN 1 ELSE 0 END DESC,"
        " s.as_of DESC, s.id DESC LIMIT 1)"
    )


_CHAMPION = sql_literals(ScoringModel.Status.CHAMPION)
_SEGMENT_ALL = sql_literals(ScoringModel.Segment.ALL)

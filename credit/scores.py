"""The score as credit reads it: band, probability and model version, from scoring's selectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from credit.models import BANDS
from portfolio.models import Debtor
from scoring.selectors import debtor_score_latest, debtor_scores_latest


@dataclass(frozen=True)
class ScoreSnapshot:
    band: str
    probability: Decimal
    points: int
    model_version: str
    as_of: str
    reasons: list[dict[str, object]]

    @property
    def as_of_date(self) -> dt.date:
        """For display in the reader's date format (as_of is ISO, as the record stores it)."""
        return dt.date.fromisoformat(self.as_of[:10])

    def as_figures(self) -> dict[str, object]:
        return {"band": self.band, "probability": str(self.probability), "points": self.points,
                "model_version": self.model_version, "as_of": self.as_of}


def _snapshot(score: object) -> ScoreSnapshot:
    model = score.model  # type: ignore[attr-defined]
    return ScoreSnapshot(
        band=score.band,  # type: ignore[attr-defined]
        probability=score.probability,  # type: ignore[attr-defined]
        points=score.points,  # type: ignore[attr-defined]
        model_version=f"{model.pk}:{model.kind} v{model.version} ({model.segment})",
        as_of=score.as_of.isoformat(),  # type: ignore[attr-defined]
        reasons=score.reason_lines,  # type: ignore[attr-defined]
    )


def score_for_debtor(debtor: Debtor) -> ScoreSnapshot | None:
    score = debtor_score_latest(debtor=debtor)
    return None if score is None else _snapshot(score)


def scores_for_debtors(debtor_ids: Iterable[int]) -> dict[int, ScoreSnapshot]:
    return {debtor_id: _snapshot(score)
            for debtor_id, score in debtor_scores_latest(debtor_ids=debtor_ids).items()}


def bands_dropped(*, from_band: str, to_band: str) -> int:
    """How many bands worse `to_band` is than `from_band` (negative: better)."""
    return BANDS.index(to_band) - BANDS.index(from_band)

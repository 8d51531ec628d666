"""NPS, CES and CSAT arithmetic of SPEC §4, independent of where the answers come from.

Every NPS carries its n and a 95% adjusted-Wald interval (Rocks 2016): the interval adds
three pseudo-answers (0.75 promoter, 0.75 detractor, 1.5 passive) so that it stays honest on
small samples, where the plain Wald interval collapses to a point at 0 or 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96
# Below this many answers a screen says "not enough answers" instead of a score (SPEC §4).
MIN_ANSWERS = 30


def category(score: int) -> str:
    """promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


@dataclass(frozen=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """100 * (P - D) / n, or None without answers."""
        if not self.n:
            return None
        return 100 * (self.promoters - self.detractors) / self.n

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95% adjusted-Wald interval, clipped to [-100, 100]; None without answers."""
        if not self.n:
            return None
        n_adj = self.n + 3
        p = (self.promoters + 0.75) / n_adj
        d = (self.detractors + 0.75) / n_adj
        se = math.sqrt((p + d - (p - d) ** 2) / n_adj)
        low = 100 * ((p - d) - Z_95 * se)
        high = 100 * ((p - d) + Z_95 * se)
        return max(low, -100.0), min(high, 100.0)

    @property
    def enough(self) -> bool:
        """Whether the score may be shown as a headline figure."""
        return self.n >= MIN_ANSWERS


def nps_summary(scores: list[int] | None = None, *, promoters: int = 0, passives: int = 0,
                detractors: int = 0) -> NpsSummary:
    """A summary from raw 0-10 scores, or from counts already aggregated in SQL."""
    if scores is not None:
        for value in scores:
            if not 0 <= value <= 10:
                raise ValueError(f"NPS answer {value} is outside 0-10")
            kind = category(value)
            promoters += kind == "promoter"
            passives += kind == "passive"
            detractors += kind == "detractor"
    return NpsSummary(promoters, passives, detractors)


@dataclass(frozen=True)
class ScaleSummary:
    """CES (1-7, top box 5-7) or CSAT (1-5, top box 4-5): mean and top-box share."""

    n: int
    mean: float | None
    top_share: float | None


def scale_summary(values: list[int], top_from: int) -> ScaleSummary:
    if not values:
        return ScaleSummary(0, None, None)
    return ScaleSummary(len(values), sum(values) / len(values),
                        sum(1 for v in values if v >= top_from) / len(values))


def ces_summary(values: list[int]) -> ScaleSummary:
    return scale_summary(values, top_from=5)


def csat_summary(values: list[int]) -> ScaleSummary:
    return scale_summary(values, top_from=4)


def difference_interval(a: NpsSummary, b: NpsSummary) -> tuple[float, float] | None:
    """95% interval of NPS(a) - NPS(b) from the two adjusted-Wald variances (independent
    samples); None when either side has no answers."""
    if not a.n or not b.n:
        return None

    def adjusted(s: NpsSummary) -> tuple[float, float]:
        n_adj = s.n + 3
        p = (s.promoters + 0.75) / n_adj
        d = (s.detractors + 0.75) / n_adj
        return p - d, (p + d - (p - d) ** 2) / n_adj

    diff_a, var_a = adjusted(a)
    diff_b, var_b = adjusted(b)
    centre = diff_a - diff_b
    se = math.sqrt(var_a + var_b)
    return 100 * (centre - Z_95 * se), 100 * (centre + Z_95 * se)

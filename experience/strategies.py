"""The strategy comparison: do the contact strategies differ in cash, promises kept,
customers lost and NPS (DOMAIN step 6: the empathetic agency collected more *and* scored a
better NPS)?

The cohort of a strategy is the cases opened in the period with that strategy. Cases get their
strategy at random when they open (recovery/opening.py), so the cohorts are comparable.

For each strategy: cases, cash recovered and its rate over the placed balance (per currency;
experience.cohorts), the promise-kept rate by count (SPEC §3: kept / (kept + partially kept +
broken) over the cohort's judged promises), customers lost (count, value, share of cases) and
the transactional NPS of the cohort's answers.

Each strategy is compared with the first one (empathetic) with a 95% interval of the
difference:
- counted rates (promises kept, customers lost): Newcombe's hybrid score interval for a
  difference of two proportions (Newcombe 1998, method 10), honest on small samples;
- the cash recovery rate is a ratio of sums of money, not a count of successes: its interval
  comes from the ratio estimator's delta-method variance, from per-case sums of squares
  aggregated in SQL;
- NPS: experience.stats.difference_interval (adjusted Wald).
A verdict is written only when the interval excludes zero; otherwise the page says there is no
clear difference yet and roughly how many cases per strategy would make one this size clear.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from access.scoping import AnyUser, scope_to_user
from experience.cohorts import CohortFigures, cohort_aggregates, figures_from_row, with_case_figures
from experience.models import Kind, Response, nps_counts
from experience.reports import ReportFilter
from experience.stats import Z_95, NpsSummary, difference_interval
from portfolio.templatetags.formatting import number
from recovery.models import CollectionCase, PromiseToPay

NPS_KIND = Kind.TRANSACTIONAL
MEASURES = ("cash_rate", "promise_kept_rate", "customers_lost_rate", "nps")


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return centre - half, centre + half


def proportion_difference_interval(x_a: int, n_a: int, x_b: int, n_b: int,
                                   ) -> tuple[float, float] | None:
    """95% interval of x_a/n_a - x_b/n_b (Newcombe's hybrid score); None without data."""
    if not n_a or not n_b:
        return None
    p_a, p_b = x_a / n_a, x_b / n_b
    low_a, high_a = wilson(x_a, n_a)
    low_b, high_b = wilson(x_b, n_b)
    diff = p_a - p_b
    return (diff - math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2),
            diff + math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2))


@dataclass(frozen=True)
class RatioSums:
    """Per-case sums for a ratio estimator R = Σy / Σx (y cash, x placed balance)."""

    n: int
    sum_y: float
    sum_x: float
    sum_yy: float
    sum_xx: float
    sum_xy: float

    @property
    def ratio(self) -> float | None:
        return self.sum_y / self.sum_x if self.sum_x else None

    @property
    def variance(self) -> float | None:
        """Delta-method variance of R: Σ(y - R x)² / (n (n - 1) x̄²)."""
        ratio = self.ratio
        if ratio is None or self.n < 2:
            return None
        residual = self.sum_yy - 2 * ratio * self.sum_xy + ratio * ratio * self.sum_xx
        mean_x = self.sum_x / self.n
        return max(residual, 0.0) / (self.n * (self.n - 1) * mean_x * mean_x)


def ratio_difference_interval(a: RatioSums, b: RatioSums) -> tuple[float, float] | None:
    if a.ratio is None or b.ratio is None or a.variance is None or b.variance is None:
        return None
    diff = a.ratio - b.ratio
    half = Z_95 * math.sqrt(a.variance + b.variance)
    return diff - half, diff + half


@dataclass
class StrategyRow:
    strategy: str
    label: str
    cases: int
    money: list[CohortFigures]
    ratio_sums: dict[str, RatioSums]
    promises_judged: int
    promises_kept: int
    customers_lost: int
    nps: NpsSummary

    @property
    def promise_kept_rate(self) -> float | None:
        return self.promises_kept / self.promises_judged if self.promises_judged else None

    @property
    def lost_rate(self) -> float | None:
        return self.customers_lost / self.cases if self.cases else None


@dataclass
class Comparison:
    measure: str
    strategy: str
    baseline: str
    currency: str  # only for the cash rate, "" otherwise
    difference: float | None  # in points (NPS points or percentage points)
    interval: tuple[float, float] | None
    verdict: str
    cases_needed: int | None = None

    @property
    def clear(self) -> bool:
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)


@dataclass
class StrategyComparison:
    report: ReportFilter
    rows: list[StrategyRow]
    comparisons: list[Comparison] = field(default_factory=list)


def _cases(user: AnyUser, report: ReportFilter) -> QuerySet[CollectionCase]:
    cases = scope_to_user(CollectionCase.objects.all(), user).filter(
        opened_at__gte=report.start_at, opened_at__lt=report.end_at)
    if report.client is not None:
        cases = cases.filter(client=report.client)
    return cases


def _squares() -> dict[str, Any]:
    def total(expression: Any) -> Sum:
        return Sum(expression, output_field=FloatField())

    return {"sum_yy": total(F("_c_cash") * F("_c_cash")),
            "sum_xx": total(F("_c_placed") * F("_c_placed")),
            "sum_xy": total(F("_c_cash") * F("_c_placed"))}


def strategy_comparison(*, user: AnyUser, report: ReportFilter) -> StrategyComparison:
    """Four grouped queries: money per strategy and currency, promises, NPS, all in SQL."""
    cases = _cases(user, report)
    money_rows = (with_case_figures(cases).order_by().values("strategy", "currency")
                  .annotate(**cohort_aggregates(), **_squares()))
    promise_rows = (PromiseToPay.objects.filter(case__in=cases.values("pk"),
                                                status__in=PromiseToPay.EVALUATED)
                    .order_by().values("case__strategy")
                    .annotate(judged=Count("pk"),
                              kept=Count("pk", filter=Q(status=PromiseToPay.Status.KEPT))))
    nps_rows = (scope_to_user(Response.objects.all(), user)
                .filter(kind=NPS_KIND, case__in=cases.values("pk")).order_by()
                .values("case__strategy")
                .annotate(**nps_counts()))
    promises: dict[str, Mapping[str, Any]] = {row["case__strategy"]: row for row in promise_rows}
    answers: dict[str, Mapping[str, Any]] = {row["case__strategy"]: row for row in nps_rows}
    rows: dict[str, StrategyRow] = {
        value: StrategyRow(strategy=value, label=str(label), cases=0, money=[], ratio_sums={},
                           promises_judged=promises.get(value, {}).get("judged", 0),
                           promises_kept=promises.get(value, {}).get("kept", 0),
                           customers_lost=0,
                           nps=NpsSummary(**{part: answers.get(value, {}).get(part, 0)
                                             for part in ("promoters", "passives",
                                                          "detractors")}))
        for value, label in CollectionCase.Strategy.choices
    }
    for row in money_rows:
        strategy = rows[row["strategy"]]
        figures = figures_from_row(row, "currency")
        strategy.money.append(figures)
        strategy.cases += figures.cases
        strategy.customers_lost += figures.customers_lost
        strategy.ratio_sums[figures.currency] = RatioSums(
            n=figures.cases, sum_y=float(figures.cash_recovered),
            sum_x=float(figures.placed_balance), sum_yy=row["sum_yy"] or 0.0,
            sum_xx=row["sum_xx"] or 0.0, sum_xy=row["sum_xy"] or 0.0)
    ordered = list(rows.values())
    for each in ordered:
        each.money.sort(key=lambda figures: figures.currency)
    result = StrategyComparison(report=report, rows=ordered)
    baseline = ordered[0]
    for other in ordered[1:]:
        result.comparisons += _compare(baseline, other)
    return result


def _points(value: float) -> str:
    return number(round(value, 1), 1)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _points(value)


def _needed(n_a: int, n_b: int, difference: float, interval: tuple[float, float]) -> int | None:
    """Cases per strategy for an interval as wide as this one to exclude zero with a
    difference this size: the half-width shrinks as 1/sqrt(n)."""
    half = (interval[1] - interval[0]) / 2
    if not difference or not n_a or not n_b:
        return None
    return math.ceil((n_a + n_b) / 2 * (half / abs(difference)) ** 2)


_WINS = {
    # measure: (sentence when the strategy is better, whether higher is better)
    "cash_rate": (lambda s: _("The %(strategy)s strategy recovers more cash") % s, True),
    "promise_kept_rate": (lambda s: _("The %(strategy)s strategy keeps more promises") % s,
                          True),
    "customers_lost_rate": (lambda s: _("The %(strategy)s strategy loses fewer customers") % s,
                            False),
    "nps": (lambda s: _("The %(strategy)s strategy has a higher NPS") % s, True),
}


def _verdict(measure: str, a: StrategyRow, b: StrategyRow, difference: float | None,
             interval: tuple[float, float] | None, n_a: int, n_b: int,
             currency: str = "") -> Comparison:
    comparison = Comparison(measure=measure, strategy=a.strategy, baseline=b.strategy,
                            currency=currency, difference=difference, interval=interval,
                            verdict="")
    if difference is None or interval is None:
        comparison.verdict = _("Not enough data to compare yet.")
        return comparison
    low, high = interval
    if comparison.clear:
        sentence, higher_is_better = _WINS[measure]
        a_better = (difference > 0) == higher_is_better
        winner = a if a_better else b
        shown, shown_low, shown_high = ((difference, low, high) if winner is a
                                        else (-difference, -high, -low))
        unit = (_("%(difference)s points (95%% interval %(low)s to %(high)s)") if measure == "nps"
                else _("%(difference)s percentage points (95%% interval %(low)s to %(high)s)"))
        comparison.verdict = "{}: {}.".format(
            sentence({"strategy": winner.label.lower()}),
            unit % {"difference": _signed(shown), "low": _points(shown_low),
                    "high": _points(shown_high)})
        return comparison
    comparison.cases_needed = _needed(n_a, n_b, difference, interval)
    if comparison.cases_needed is None:
        comparison.verdict = _("No clear difference yet (95%% interval %(low)s to %(high)s).") % {
            "low": _points(low), "high": _points(high)}
    else:
        comparison.verdict = _(
            "No clear difference yet (95%% interval %(low)s to %(high)s): about %(n)s cases "
            "per strategy would be needed to tell a difference this size.") % {
            "low": _points(low), "high": _points(high), "n": number(comparison.cases_needed)}
    return comparison


def _scaled(interval: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if interval is None else (100 * interval[0], 100 * interval[1])


def _compare(baseline: StrategyRow, other: StrategyRow) -> list[Comparison]:
    """`baseline` - `other` for every measure (a positive cash difference: baseline recovers
    more)."""
    a, b = baseline, other
    found: list[Comparison] = []
    for currency in sorted(set(a.ratio_sums) | set(b.ratio_sums)):
        sums_a, sums_b = a.ratio_sums.get(currency), b.ratio_sums.get(currency)
        interval = (ratio_difference_interval(sums_a, sums_b)
                    if sums_a is not None and sums_b is not None else None)
        difference = (100 * (sums_a.ratio - sums_b.ratio)  # type: ignore[operator, union-attr]
                      if interval is not None else None)
        found.append(_verdict("cash_rate", a, b, difference, _scaled(interval),
                              sums_a.n if sums_a else 0, sums_b.n if sums_b else 0,
                              currency=currency))
    interval = proportion_difference_interval(a.promises_kept, a.promises_judged,
                                              b.promises_kept, b.promises_judged)
    difference = (100 * (a.promise_kept_rate - b.promise_kept_rate)  # type: ignore[operator]
                  if interval is not None else None)
    found.append(_verdict("promise_kept_rate", a, b, difference, _scaled(interval),
                          a.promises_judged, b.promises_judged))
    interval = proportion_difference_interval(a.customers_lost, a.cases,
                                              b.customers_lost, b.cases)
    difference = (100 * (a.lost_rate - b.lost_rate)  # type: ignore[operator]
                  if interval is not None else None)
    found.append(_verdict("customers_lost_rate", a, b, difference, _scaled(interval),
                          a.cases, b.cases))
    nps_interval = difference_interval(a.nps, b.nps)
    nps_difference = (a.nps.score - b.nps.score  # type: ignore[operator]
                      if nps_interval is not None else None)
    found.append(_verdict("nps", a, b, nps_difference, nps_interval, a.nps.n, b.nps.n))
    return found

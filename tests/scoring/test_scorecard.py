"""The scorecard's own arithmetic: points scaling, monotone WoE binning, wrong-sign pruning."""

import itertools
import math

import numpy as np
import pytest

from scoring.scorecard import (
    FACTOR,
    OFFSET,
    bin_index,
    fit_categorical_bins,
    fit_numeric_bins,
    fit_scorecard,
    points_from_probability,
    scorecard_attribute_points,
    scorecard_predict,
)


def test_it_gives_600_points_at_odds_of_19_to_1():
    assert points_from_probability(1 / 20) == pytest.approx(600)


def test_it_adds_50_points_each_time_the_odds_double():
    assert points_from_probability(1 / 39) == pytest.approx(650)  # 38:1
    assert points_from_probability(1 / 10.5) == pytest.approx(550)  # 9.5:1
    assert pytest.approx(50 / math.log(2)) == FACTOR
    assert pytest.approx(600 - 50 / math.log(2) * math.log(19)) == OFFSET


def _late_payers(seed=0, n=4000):
    rng = np.random.default_rng(seed)
    days_late = rng.gamma(2.0, 10.0, n)
    p = 1 / (1 + np.exp(-(days_late - 30) / 8))
    return days_late, (rng.random(n) < p).astype(int)


def test_it_bins_a_declared_increasing_characteristic_with_monotone_bad_rates():
    x, y = _late_payers()
    binning = fit_numeric_bins(x, y, monotone="increasing")
    rates = binning["bad_rates"][:-1]  # the last entry is the missing bin
    assert len(rates) >= 3
    assert all(a <= b for a, b in itertools.pairwise(rates))
    woe = binning["woe"]
    assert all(a >= b for a, b in itertools.pairwise(woe))


def test_it_merges_bins_until_monotone_even_on_a_u_shaped_relation():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 3000)
    y = (rng.random(3000) < 0.1 + 0.5 * x**2).astype(int)
    binning = fit_numeric_bins(x, y, monotone="decreasing")
    rates = binning["bad_rates"][:-1]
    assert all(a >= b for a, b in itertools.pairwise(rates))


def test_it_gives_missing_values_a_bin_of_their_own():
    x, y = _late_payers()
    x[:300] = np.nan
    binning = fit_numeric_bins(x, y, monotone="increasing")
    assert binning["counts"][-1] == 300
    assert next(iter(bin_index(binning, [np.nan, 0.0]))) == -1


def test_it_pools_rare_and_unseen_categories():
    values = ["a"] * 500 + ["b"] * 480 + ["rare"] * 20
    y = np.array([0] * 450 + [1] * 50 + [0] * 380 + [1] * 100 + [1] * 20)
    binning = fit_categorical_bins(values, y)
    assert binning["categories"] == ["a", "b"]
    assert list(bin_index(binning, ["rare", "never seen", "a"])) == [2, 2, 0]


def test_its_points_add_up_to_the_score_of_the_probability():
    x, y = _late_payers()
    rng = np.random.default_rng(3)
    columns = {"days_late": x, "sector": rng.choice(["x", "y", "z"], len(x)).astype(object)}
    card = fit_scorecard(columns, y, categorical={"sector"}, monotone={"days_late": "increasing"})
    p = scorecard_predict(card, columns)
    parts = scorecard_attribute_points(card, columns)
    total = card["base_points"] + sum(parts[n] for n in card["features"])
    assert np.allclose(total, points_from_probability(p), atol=1e-6)


def test_it_gives_the_safest_attribute_the_most_points():
    x, y = _late_payers()
    card = fit_scorecard({"days_late": x}, y, categorical=set(),
                         monotone={"days_late": "increasing"})
    points = card["points"]["days_late"]["bins"]
    assert points[0] == max(points)
    assert all(a >= b for a, b in itertools.pairwise(points))


def test_it_drops_a_characteristic_whose_coefficient_has_the_wrong_sign():
    x, y = _late_payers()
    rng = np.random.default_rng(5)
    # A near copy of days_late: collinear, so one of the two comes out with the wrong sign.
    twin = x + rng.normal(0, 0.5, len(x))
    card = fit_scorecard({"days_late": x, "twin": twin}, y, categorical=set(),
                         monotone={"days_late": "increasing", "twin": "increasing"})
    assert all(beta <= 0 for beta in card["regression"].coef_[0])

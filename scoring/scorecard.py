"""The points scorecard: weight-of-evidence binning, logistic regression on WoE, points.

Pure numpy and scikit-learn, no Django: the same code fits the ledger models and the
`scoring_evaluate` command's CSV models, and is unit-tested on its own.

Binning (fitted here, not by a library):
- numeric columns start from up to 10 quantile bins of the non-missing values; adjacent bins
  are merged until the bad rate is monotone (in the declared direction, or in the direction of
  the overall trend when none is declared), then bins holding less than 5% of the rows are
  merged into their closest neighbour; missing values get a bin of their own;
- categorical columns get a bin per category; categories below 5% of the rows share one
  "other" bin, which also takes categories never seen in training.

WoE of a bin = ln(share of goods in the bin / share of bads in the bin), with 0.5 added to each
count so that a bin without bads or goods stays finite. Positive WoE = safer than average.

Points scaling (documented in docs/scoring.md): 600 points at odds of 19 goods to 1 bad, and
50 points to double the odds (PDO). points = OFFSET + FACTOR * ln(odds good:bad), with
FACTOR = 50 / ln 2 and OFFSET = 600 - FACTOR * ln 19. A scorecard's total is its base points
plus one attribute's points per characteristic; the attribute points are
-FACTOR * coefficient * WoE.

A fitted scorecard is a plain dict of lists, floats and strings plus one LogisticRegression, so
that skops stores it without trusting any class of ours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

# One feature's values: a list as read from the database, or a numpy column after encoding.
Values = Sequence[Any] | np.ndarray

TARGET_POINTS = 600
TARGET_ODDS = 19.0
PDO = 50
FACTOR = PDO / math.log(2)
OFFSET = TARGET_POINTS - FACTOR * math.log(TARGET_ODDS)

MAX_BINS = 10
MIN_BIN_SHARE = 0.05
OTHER = "__other__"
MISSING = "__missing__"


# A stored probability keeps this many decimals (DebtorScore.probability).
PROBABILITY_PLACES = 5


def points_for_stability(probability: np.ndarray) -> np.ndarray:
    """The score that stability bins: points of the probability as batch scoring stores it.

    The training reference and every run must put a debtor in the same bin: computed from
    the unrounded probability at training and the rounded one in a run, a crowd of debtors
    sharing one score (the best-behaved, tied at the top) sat on one side of a decile edge
    in the reference and on the other in the run, and the PSI of a model trained minutes
    earlier read as a shifted population.
    """
    return points_from_probability(np.round(np.asarray(probability, dtype=float),
                                            PROBABILITY_PLACES))


def points_from_probability(probability: np.ndarray | float) -> np.ndarray:
    """Points for a probability of bad: OFFSET + FACTOR * ln((1 - p) / p)."""
    p = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
    return OFFSET + FACTOR * np.log((1 - p) / p)


def _woe(good: np.ndarray, bad: np.ndarray) -> np.ndarray:
    total_good, total_bad = good.sum(), bad.sum()
    return np.log(((good + 0.5) / (total_good + 0.5)) / ((bad + 0.5) / (total_bad + 0.5)))


def _merge(counts: list[list[float]], i: int) -> None:
    """Merge bin i+1 into bin i; counts rows are [n, bad, upper_edge]."""
    counts[i][0] += counts[i + 1][0]
    counts[i][1] += counts[i + 1][1]
    counts[i][2] = counts[i + 1][2]
    del counts[i + 1]


def _rate(row: list[float]) -> float:
    return row[1] / row[0] if row[0] else 0.0


def fit_numeric_bins(x: np.ndarray, y: np.ndarray, *, monotone: str | None = None,
                     max_bins: int = MAX_BINS, min_share: float = MIN_BIN_SHARE
                     ) -> dict[str, Any]:
    """Quantile bins merged until the bad rate is monotone; returns a plain-dict binning.

    monotone: "increasing" (bad rate grows with the value), "decreasing", or None (follow the
    overall trend of the values against the target).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=int)
    present = ~np.isnan(x)
    xs, ys = x[present], y[present]
    rows: list[list[float]] = []
    if xs.size:
        quantiles = np.quantile(xs, np.linspace(0, 1, max_bins + 1)[1:-1])
        edges = np.unique(quantiles)
        index = np.searchsorted(edges, xs, side="right")
        for b in range(len(edges) + 1):
            mask = index == b
            if mask.any():
                upper = float(edges[b]) if b < len(edges) else math.inf
                rows.append([float(mask.sum()), float(ys[mask].sum()), upper])
    direction = monotone
    if direction is None and len(rows) > 1 and xs.size > 2 and np.std(xs) > 0 and np.std(ys) > 0:
        direction = "increasing" if np.corrcoef(xs, ys)[0, 1] >= 0 else "decreasing"
    if direction is not None:
        sign = 1 if direction == "increasing" else -1
        merged = True
        while merged and len(rows) > 1:
            merged = False
            for i in range(len(rows) - 1):
                if sign * (_rate(rows[i + 1]) - _rate(rows[i])) < 0:
                    _merge(rows, i)
                    merged = True
                    break
    minimum = min_share * len(x)
    while len(rows) > 1:
        small = [i for i, row in enumerate(rows) if row[0] < minimum]
        if not small:
            break
        i = small[0]
        if i == len(rows) - 1:
            _merge(rows, i - 1)
        elif i == 0:
            _merge(rows, 0)
        else:
            left = abs(_rate(rows[i - 1]) - _rate(rows[i]))
            right = abs(_rate(rows[i + 1]) - _rate(rows[i]))
            _merge(rows, i - 1 if left <= right else i)
    n = np.array([r[0] for r in rows] + [float((~present).sum())])
    bad = np.array([r[1] for r in rows] + [float(y[~present].sum())])
    woe = _woe(n - bad, bad)
    missing_woe = float(woe[-1]) if (~present).any() else 0.0
    return {
        "type": "numeric",
        "monotone": direction or "",
        "edges": [r[2] for r in rows[:-1]],
        "woe": [float(w) for w in woe[:-1]],
        "missing_woe": missing_woe,
        "counts": [int(c) for c in n],
        "bad_rates": [float(b / c) if c else 0.0 for b, c in zip(bad, n, strict=True)],
    }


def fit_categorical_bins(x: Values, y: np.ndarray, *,
                         min_share: float = MIN_BIN_SHARE) -> dict[str, Any]:
    """One bin per category; rare and unseen categories share the "other" bin."""
    values = np.array([MISSING if v is None or v == "" else str(v) for v in x], dtype=object)
    y = np.asarray(y, dtype=int)
    categories, counts = np.unique(values, return_counts=True)
    frequent = [str(c) for c, n in zip(categories, counts, strict=True)
                if n >= min_share * len(values)]
    labels = [*frequent, OTHER]
    index = np.array([labels.index(v) if v in frequent else len(frequent) for v in values])
    n = np.bincount(index, minlength=len(labels)).astype(float)
    bad = np.bincount(index, weights=y, minlength=len(labels)).astype(float)
    woe = _woe(n - bad, bad)
    if n[-1] == 0:
        woe[-1] = 0.0  # no rare category in training: an unseen one is neutral
    return {
        "type": "categorical",
        "categories": frequent,
        "woe": [float(w) for w in woe],
        "counts": [int(c) for c in n],
        "bad_rates": [float(b / c) if c else 0.0 for b, c in zip(bad, n, strict=True)],
    }


def bin_index(binning: dict[str, Any], x: Values) -> np.ndarray:
    """The bin of each value; for numeric binnings -1 means missing."""
    if binning["type"] == "numeric":
        values = np.asarray(x, dtype=float)
        index = np.searchsorted(np.asarray(binning["edges"], dtype=float), values, side="right")
        return np.where(np.isnan(values), -1, index)
    categories = {c: i for i, c in enumerate(binning["categories"])}
    other = len(binning["categories"])
    return np.array([categories.get(MISSING if v is None or v == "" else str(v), other)
                     for v in x], dtype=int)


def woe_transform(binning: dict[str, Any], x: Values) -> np.ndarray:
    index = bin_index(binning, x)
    woe = np.asarray(binning["woe"], dtype=float)
    if binning["type"] == "numeric":
        return np.where(index < 0, binning["missing_woe"], woe[np.clip(index, 0, len(woe) - 1)])
    return woe[index]


def fit_scorecard(columns: Mapping[str, Values], y: np.ndarray, *,
                  categorical: set[str], monotone: dict[str, str] | None = None,
                  ) -> dict[str, Any]:
    """Bin every column, fit a logistic regression on the WoE, scale to points."""
    monotone = monotone or {}
    y = np.asarray(y, dtype=int)
    names = list(columns)
    binnings = {}
    for name in names:
        if name in categorical:
            binnings[name] = fit_categorical_bins(columns[name], y)
        else:
            binnings[name] = fit_numeric_bins(np.asarray(columns[name], dtype=float), y,
                                              monotone=monotone.get(name))
    woe = {n: woe_transform(binnings[n], columns[n]) for n in names}
    # A characteristic whose coefficient comes out with the wrong sign (collinear with another)
    # would give its safest attribute the fewest points; it is dropped and the rest refitted,
    # so that every attribute's points rise as its bad rate falls.
    while True:
        regression = LogisticRegression(C=1.0, max_iter=1000)
        regression.fit(np.column_stack([woe[n] for n in names]), y)
        coefficients = regression.coef_[0]
        wrong = [n for n, beta in zip(names, coefficients, strict=True) if beta > 0]
        if not wrong or len(names) == 1:
            break
        names = [n for n in names if n not in wrong]
    points = {}
    for name, beta in zip(names, coefficients, strict=True):
        b = binnings[name]
        attribute = [float(-FACTOR * beta * w) for w in b["woe"]]
        missing = float(-FACTOR * beta * b.get("missing_woe", 0.0))
        points[name] = {"bins": attribute, "missing": missing,
                        "best": max([*attribute, missing] if b["type"] == "numeric"
                                    and b["counts"][-1] else attribute)}
    return {
        "features": names,
        "categorical": sorted(categorical & set(names)),
        "binnings": binnings,
        "regression": regression,
        "points": points,
        "base_points": float(OFFSET - FACTOR * regression.intercept_[0]),
    }


def scorecard_woe_matrix(card: dict[str, Any], columns: Mapping[str, Values]) -> np.ndarray:
    return np.column_stack([woe_transform(card["binnings"][n], columns[n])
                            for n in card["features"]])


def scorecard_predict(card: dict[str, Any], columns: Mapping[str, Values]) -> np.ndarray:
    """Probability of bad for each row."""
    return card["regression"].predict_proba(scorecard_woe_matrix(card, columns))[:, 1]


def scorecard_attribute_points(card: dict[str, Any],
                               columns: Mapping[str, Values]) -> dict[str, np.ndarray]:
    """Each row's points per characteristic (the attribute its value falls in)."""
    result = {}
    for name in card["features"]:
        index = bin_index(card["binnings"][name], columns[name])
        table = card["points"][name]
        bins = np.asarray(table["bins"], dtype=float)
        if card["binnings"][name]["type"] == "numeric":
            result[name] = np.where(index < 0, table["missing"],
                                    bins[np.clip(index, 0, len(bins) - 1)])
        else:
            result[name] = bins[index]
    return result

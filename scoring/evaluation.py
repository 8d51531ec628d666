"""Model quality and stability measures, and the two model kinds fitted on plain columns.

Pure functions on numpy arrays (no Django): AUC, Gini, KS, Brier, the calibration table, the
population stability index, and `fit_model` / `predict_model` for the scorecard and the
gradient-boosting challenger. The ledger training and the CSV evaluation both use them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import RepeatedStratifiedKFold

from scoring.scorecard import Values, fit_scorecard, scorecard_predict

KIND_SCORECARD = "scorecard"
KIND_GBM = "gbm"


def discrimination(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, Gini (2*AUC - 1), KS (max distance between the bads' and goods' score CDFs), Brier."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if len(np.unique(y)) < 2:
        return {"auc": float("nan"), "gini": float("nan"), "ks": float("nan"),
                "brier": float(brier_score_loss(y, p, labels=[0, 1]))}
    auc = float(roc_auc_score(y, p))
    fpr, tpr, _ = roc_curve(y, p)
    return {"auc": auc, "gini": 2 * auc - 1, "ks": float(np.max(tpr - fpr)),
            "brier": float(brier_score_loss(y, p))}


def calibration_table(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted against observed bad rate per decile of prediction."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if not len(p):
        return []
    order = np.argsort(p, kind="stable")
    table = []
    for i, chunk in enumerate(np.array_split(order, min(bins, len(p)))):
        if len(chunk):
            table.append({"bin": i + 1, "predicted": float(p[chunk].mean()),
                          "observed": float(y[chunk].mean()), "count": len(chunk)})
    return table


def reference_distribution(values: Values, *, categorical: bool = False,
                           bins: int = 10) -> dict[str, Any]:
    """The training distribution kept for PSI: decile edges (or categories) and their shares."""
    if categorical:
        counted = _category_counts(values)
        total = max(sum(counted.values()), 1)
        return {"categories": list(counted),
                "shares": [float(n / total) for n in counted.values()]}
    x = np.asarray(values, dtype=float)
    present = x[~np.isnan(x)]
    edges = (np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])).tolist()
             if present.size else [])
    return {"edges": [float(e) for e in edges], "shares": _shares(edges, x)}


def _shares(edges: list[float], x: np.ndarray) -> list[float]:
    """Shares per bin (+ a last bin for missing values)."""
    return (_bin_counts(edges, x) / max(len(x), 1)).tolist()


def _bin_counts(edges: Sequence[float], x: np.ndarray) -> np.ndarray:
    """Counts per bin between the edges, and a last bin for missing values."""
    index = np.searchsorted(np.asarray(edges, dtype=float), x, side="right")
    index = np.where(np.isnan(x), len(edges) + 1, index)
    return np.bincount(index, minlength=len(edges) + 2)


def _category_counts(values: Values) -> dict[str, int]:
    """Counts per category (each value as text), in sorted order."""
    counts = Counter(map(str, values))
    return {label: counts[label] for label in sorted(counts)}


def distribution_counts(reference: dict[str, Any], values: Values) -> dict[str, int]:
    """How many `values` fall in each of the reference's bins (or categories).

    Counts, not shares, so that the counts of a run's chunks add up to the run's: a batch run
    measures stability on every debtor it scores, chunk by chunk (`psi_from_counts`).
    Numeric bins are keyed by their index as text (the last one is "missing").
    """
    if "categories" in reference:
        return _category_counts(values)
    counts = _bin_counts(reference["edges"], np.asarray(values, dtype=float))
    return {str(i): int(n) for i, n in enumerate(counts) if n}


def counts_added(into: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    for key, n in counts.items():
        into[key] = into.get(key, 0) + int(n)
    return into


def psi_from_counts(reference: dict[str, Any], counts: dict[str, int]) -> float:
    """Population stability index of a population given by its `distribution_counts`.

    PSI = sum of (actual - expected) * ln(actual / expected), shares floored at 0.0001. Read as:
    < 0.1 stable, 0.1 to 0.25 shifting, > 0.25 the population has moved (the model page warns).
    """
    n = max(sum(counts.values()), 1)
    if "categories" in reference:
        expected = dict(zip(reference["categories"], reference["shares"], strict=True))
        keys = sorted(set(expected) | set(counts))
        e = np.array([expected.get(k, 0.0) for k in keys])
    else:
        e = np.asarray(reference["shares"], dtype=float)
        keys = [str(i) for i in range(len(e))]
    a = np.array([counts.get(k, 0) / n for k in keys])
    e = np.maximum(e, 1e-4)
    a = np.maximum(a, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(reference: dict[str, Any], values: Values) -> float:
    """Population stability index of `values` against a reference distribution."""
    return psi_from_counts(reference, distribution_counts(reference, values))


# --- the two model kinds on plain columns ------------------------------------------------------

def _gbm_encode(columns: Mapping[str, Values], names: list[str], categorical: set[str],
                codes: dict[str, list[str]]) -> np.ndarray:
    """A float matrix: numeric columns as they are, categories as their training code (NaN if
    unseen, which the booster treats as missing)."""
    out = []
    for name in names:
        if name in categorical:
            lookup = {c: float(i) for i, c in enumerate(codes[name])}
            out.append(np.array([lookup.get(str(v), np.nan) for v in columns[name]]))
        else:
            out.append(np.asarray(columns[name], dtype=float))
    return np.column_stack(out)


def fit_model(kind: str, columns: Mapping[str, Values], y: np.ndarray, *,
              categorical: set[str], monotone: dict[str, str] | None = None,
              random_state: int = 0) -> dict[str, Any]:
    """Fit a scorecard or a gradient-boosting model; the result is a plain dict (skops-safe)."""
    if kind == KIND_SCORECARD:
        return {"kind": kind, "scorecard": fit_scorecard(columns, y, categorical=categorical,
                                                          monotone=monotone)}
    names = list(columns)
    codes = {n: sorted({str(v) for v in columns[n]})[:250] for n in names if n in categorical}
    matrix = _gbm_encode(columns, names, categorical, codes)
    booster = HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=100, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=False, random_state=random_state,
        categorical_features=[n in categorical for n in names],
    )
    booster.fit(matrix, np.asarray(y, dtype=int))
    return {"kind": kind, "features": names, "categorical": sorted(categorical & set(names)),
            "codes": codes, "booster": booster}


def predict_model(model: dict[str, Any], columns: Mapping[str, Values]) -> np.ndarray:
    if model["kind"] == KIND_SCORECARD:
        return scorecard_predict(model["scorecard"], columns)
    matrix = _gbm_encode(columns, model["features"], set(model["categorical"]), model["codes"])
    return model["booster"].predict_proba(matrix)[:, 1]


def cross_validate(columns: Mapping[str, Values], y: np.ndarray, *, categorical: set[str],
                   kinds: Sequence[str] = (KIND_SCORECARD, KIND_GBM), n_splits: int = 5,
                   n_repeats: int = 3, random_state: int = 0) -> dict[str, dict[str, Any]]:
    """Repeated stratified k-fold; binning and encodings are fitted inside each fold only.

    Returns, per kind, the mean and standard deviation of each measure over the folds.
    """
    y = np.asarray(y, dtype=int)
    folds = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats,
                                    random_state=random_state)
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    arrays = {n: np.asarray(v, dtype=object if n in categorical else float)
              for n, v in columns.items()}
    for train, test in folds.split(np.zeros(len(y)), y):
        train_columns = {n: v[train] for n, v in arrays.items()}
        test_columns = {n: v[test] for n, v in arrays.items()}
        for kind in kinds:
            model = fit_model(kind, train_columns, y[train], categorical=categorical)
            results[kind].append(discrimination(y[test], predict_model(model, test_columns)))
    summary: dict[str, dict[str, Any]] = {}
    for kind, rows in results.items():
        summary[kind] = {
            m: {"mean": float(np.mean([r[m] for r in rows])),
                "std": float(np.std([r[m] for r in rows])), "folds": len(rows)}
            for m in ("auc", "gini", "ks", "brier")
        }
    return summary


# Words that name a protected characteristic (or a close proxy): such a column is never a
# feature, in the ledger models or in a CSV evaluation.
PROTECTED_WORDS = frozenset({
    "gender", "sex", "age", "birth", "birthdate", "dob", "nationality", "citizenship",
    "foreign", "ethnicity", "ethnic", "race", "religion", "health", "disability", "pregnancy",
    "marital", "personal",
})


def is_protected(name: str) -> bool:
    import re

    return bool(PROTECTED_WORDS.intersection(re.split(r"[^a-z0-9]+", name.lower())))


def read_table(path: str, *, target: str, bad: str
               ) -> tuple[dict[str, np.ndarray], np.ndarray, set[str], list[str]]:
    """Read a CSV: columns (numeric when every non-empty value parses as a number, else
    categorical), the 0/1 target (1 = `bad`), the categorical names, and the protected columns
    that were left out."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or target not in rows[0]:
        raise ValueError(f"the file has no column named {target!r}")
    y = np.array([1 if row[target].strip() == bad else 0 for row in rows], dtype=int)
    columns: dict[str, np.ndarray] = {}
    categorical: set[str] = set()
    dropped = []
    for name in rows[0]:
        if name == target:
            continue
        if is_protected(name):
            dropped.append(name)
            continue
        raw = [row[name].strip() for row in rows]
        try:
            columns[name] = np.array([float(v) if v else np.nan for v in raw])
        except ValueError:
            columns[name] = np.array(raw, dtype=object)
            categorical.add(name)
    return columns, y, categorical, dropped

"""Training on the ledger: snapshots, out-of-time validation, the champion proposal.

Snapshots are monthly as_of dates ending at the last date whose outcomes are all known by the
training date (`target.latest_labelled_as_of`). The latest `VALIDATE_SNAPSHOTS` form the
out-of-time validation window; the `TRAIN_SNAPSHOTS` before them the training window. A debtor
appears once per snapshot in which it is labelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from portfolio.models import Debtor
from scoring.evaluation import (
    KIND_GBM,
    KIND_SCORECARD,
    calibration_table,
    discrimination,
    fit_model,
    predict_model,
    reference_distribution,
)
from scoring.features import CATEGORICAL, FEATURE_NAMES, MONOTONE, debtor_features
from scoring.scorecard import points_for_stability
from scoring.target import align_labels, debtor_labels, latest_labelled_as_of

SNAPSHOT_STEP_DAYS = 30
TRAIN_SNAPSHOTS = 9
VALIDATE_SNAPSHOTS = 3
# Debtors per chunk: per batch task, and per feature query in training. A batch chunk reads
# its features in parts (scoring/prefetch.py) while it scores and writes the parts already
# read; only its start (the first part read) and its end (the statement's reference check,
# the commit) cannot overlap, about 60 ms a chunk. At 50,000 debtors that is 8% of a chunk
# (at 20,000 it was 20%: a 100,000-debtor run took 1.6 s instead of 1.45 s), a chunk takes
# under a second at 10 invoices per debtor and raises a worker's peak memory by 20 MiB, and a
# client of 1,000,000 debtors still makes 20 tasks for the workers to share
# (bench/scoring_batch.py).
CHUNK_SIZE = 50000
MIN_BADS = 10
# The proposal prefers the better Brier score when validation AUCs are this close.
AUC_TIE = 0.01


def chunk_ranges(*, client_id: int, segment: str = "all",
                 size: int = CHUNK_SIZE) -> Iterator[tuple[int, int]]:
    """Keyset ranges (lo, hi) of `size` debtor ids each, from one query.

    The query numbers the client's debtor ids in order and returns only every `size`-th one
    and the last: the chunk boundaries, not the ids (one query however many chunks). The last
    id comes from MAX, not from a count of all rows over the window: that count kept every row
    until the end, on disk past work_mem.
    """
    debtors = Debtor.objects.filter(client_id=client_id).order_by()  # no default ordering
    if segment != "all":
        debtors = debtors.filter(kind=segment)
    ids_sql, params = debtors.values_list("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n "  # noqa: S608
            f"FROM ({ids_sql}) ids) numbered WHERE n %% %s = 0 "
            f"UNION SELECT MAX(id) FROM ({ids_sql}) every_id ORDER BY 1",
            [*params, int(size), *params])
        bounds = [row[0] for row in cursor.fetchall() if row[0] is not None]
    last = 0
    for bound in bounds:
        yield last + 1, bound
        last = bound


def snapshot_dates(training_date: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """(training snapshots, validation snapshots), oldest first."""
    last = latest_labelled_as_of(training_date)
    dates = [last - dt.timedelta(days=SNAPSHOT_STEP_DAYS * k)
             for k in range(TRAIN_SNAPSHOTS + VALIDATE_SNAPSHOTS)][::-1]
    return dates[:TRAIN_SNAPSHOTS], dates[TRAIN_SNAPSHOTS:]


@dataclass
class Dataset:
    columns: dict[str, list[np.ndarray]] = field(default_factory=dict)
    labels: list[np.ndarray] = field(default_factory=list)

    def add(self, features: dict[str, np.ndarray], mask: np.ndarray, y: np.ndarray) -> None:
        for name in (*FEATURE_NAMES, "late_count_12m", "due_count_12m"):
            self.columns.setdefault(name, []).append(features[name][mask])
        self.labels.append(y)

    def arrays(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        if not self.labels:
            return {}, np.zeros(0, dtype=int)
        return ({n: np.concatenate(v) for n, v in self.columns.items()},
                np.concatenate(self.labels))


def dataset_build(*, client_id: int, segment: str, dates: list[dt.date]
                  ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    data = Dataset()
    for as_of in dates:
        for lo, hi in chunk_ranges(client_id=client_id, segment=segment):
            features = debtor_features(client_id=client_id, lo=lo, hi=hi, as_of=as_of,
                                       segment=segment)
            labels = debtor_labels(client_id=client_id, lo=lo, hi=hi, as_of=as_of)
            mask, y = align_labels(features["debtor_id"], labels)
            if mask.any():
                data.add(features, mask, y)
    return data.arrays()


@dataclass
class Fitted:
    kind: str
    model: dict[str, Any]
    metrics: dict[str, float]
    calibration: list[dict[str, float]]
    reference: dict[str, Any]


def population_features(*, client_id: int, segment: str, as_of: dt.date
                        ) -> dict[str, np.ndarray]:
    """Every debtor of the segment as of a date, read as a batch run reads them (no labels):
    the population a model meets on its training date, the reference of its stability."""
    parts = [debtor_features(client_id=client_id, lo=lo, hi=hi, as_of=as_of, segment=segment)
             for lo, hi in chunk_ranges(client_id=client_id, segment=segment)]
    if not parts:
        return {}
    return {n: np.concatenate([part[n] for part in parts]) for n in FEATURE_NAMES}


def models_fit(train: dict[str, np.ndarray], y_train: np.ndarray,
               validate: dict[str, np.ndarray], y_validate: np.ndarray,
               population: dict[str, np.ndarray] | None = None) -> list[Fitted]:
    """Fit the scorecard and the booster on the training window, measure on validation.

    Each model's stability reference is the score and feature distributions of `population`
    (the debtors as of the training date, scored by the model) when given, else of the
    training window. Why the population and not the training window: the window's snapshots
    are months old by construction (outcomes must be known), so tenure, invoice counts and
    the score itself differ from today's debtors however stable the portfolio is; against
    them a model trained minutes earlier reads as shifted. Drift is change since training.
    """
    columns = {n: train[n] for n in FEATURE_NAMES}
    validation_columns = {n: validate[n] for n in FEATURE_NAMES}
    reference_columns = (population if population and len(population[FEATURE_NAMES[0]])
                         else columns)
    fitted = []
    scorecard = None
    for kind in (KIND_SCORECARD, KIND_GBM):
        model = fit_model(kind, columns, y_train, categorical=set(CATEGORICAL),
                          monotone=MONOTONE)
        if kind == KIND_SCORECARD:
            scorecard = model["scorecard"]
        else:
            # The booster's reasons come from the scorecard of the same run.
            model["scorecard"] = scorecard
        p_validate = predict_model(model, validation_columns)
        p_train = predict_model(model, columns)
        metrics = discrimination(y_validate, p_validate)
        metrics.update({"n_train": len(y_train), "n_validate": len(y_validate),
                        "bad_rate_train": float(np.mean(y_train)),
                        "bad_rate_validate": float(np.mean(y_validate))})
        p_reference = (p_train if reference_columns is columns
                       else predict_model(model, reference_columns))
        reference = {
            "score": reference_distribution(points_for_stability(p_reference)),
            "features": {n: reference_distribution(reference_columns[n],
                                                   categorical=n in CATEGORICAL)
                         for n in FEATURE_NAMES},
            "debtors": len(p_reference),
            "basis": "population" if reference_columns is not columns else "training",
        }
        fitted.append(Fitted(kind, model, metrics, calibration_table(y_validate, p_validate),
                             reference))
    return fitted


def champion_proposal(fitted: list[Fitted]) -> Fitted:
    """Highest validation AUC; when two are within AUC_TIE, the better calibrated (Brier)."""
    ranked = sorted(fitted, key=lambda f: -f.metrics["auc"])
    best = ranked[0]
    for other in ranked[1:]:
        if (best.metrics["auc"] - other.metrics["auc"] < AUC_TIE
                and other.metrics["brier"] < best.metrics["brier"]):
            best = other
    return best

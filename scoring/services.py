"""Write use cases of scoring: train, promote, plan a run, score a chunk.

Training and scoring run in commands and Celery tasks, never in a web request; the pages and
the API only enqueue them (or promote, which is a small write).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from threadpoolctl import ThreadpoolController, threadpool_limits

from access.errors import DomainError
from portfolio.models import Client
from scoring.artifacts import artifact_load, artifact_save
from scoring.evaluation import (
    counts_added,
    distribution_counts,
    predict_model,
    psi_from_counts,
)
from scoring.features import FEATURE_NAMES, debtor_features
from scoring.models import DebtorScore, ScoringModel, StabilityCounts
from scoring.prefetch import PartsReadAhead, features_read_ahead, id_parts
from scoring.reasons import reasons_compact
from scoring.scorecard import (
    PROBABILITY_PLACES,
    points_for_stability,
    points_from_probability,
    scorecard_attribute_points,
)
from scoring.training import (
    MIN_BADS,
    champion_proposal,
    chunk_ranges,
    dataset_build,
    models_fit,
    population_features,
    snapshot_dates,
)

# Bands by probability of a bad outcome in the next 90 days (upper bounds, A = lowest risk).
BAND_LIMITS = (("A", 0.02), ("B", 0.05), ("C", 0.10), ("D", 0.20))
Status = ScoringModel.Status


def _artifact_name(client_id: int, segment: str, kind: str, version: int) -> str:
    return f"client-{client_id}/{segment}-{kind}-v{version}.skops"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def scoring_model_train(*, client: Client, training_date: dt.date | None = None,
                        segment: str = ScoringModel.Segment.ALL) -> list[ScoringModel]:
    """Fit a scorecard and a booster on the client's ledger; register both as challengers.

    The one with the better out-of-time validation (AUC, then Brier when close) is marked as
    the proposed champion; a credit manager promotes it.
    """
    training_date = training_date or timezone.localdate()
    train_dates, validate_dates = snapshot_dates(training_date)
    train, y_train = dataset_build(client_id=client.pk, segment=segment, dates=train_dates)
    validate, y_validate = dataset_build(client_id=client.pk, segment=segment,
                                         dates=validate_dates)
    for name, y in (("training", y_train), ("validation", y_validate)):
        if int(y.sum()) < MIN_BADS or int(len(y) - y.sum()) < MIN_BADS:
            raise DomainError(
                f"Not enough history to train: the {name} window has {int(y.sum())} bad and "
                f"{int(len(y) - y.sum())} good debtors (at least {MIN_BADS} of each needed).",
                code="not_enough_history")
    population = population_features(client_id=client.pk, segment=segment, as_of=training_date)
    # One thread: training runs in a worker beside others; OpenMP across busy cores is slower.
    with threadpool_limits(limits=1):
        fitted = models_fit(train, y_train, validate, y_validate, population)
    for each in fitted:
        each.reference["as_of"] = training_date.isoformat()
    proposed = champion_proposal(fitted)
    created = []
    with transaction.atomic():
        ScoringModel.objects.filter(client=client, segment=segment, proposed=True).update(
            proposed=False)
        for each in fitted:
            version = (ScoringModel.objects.filter(client=client, segment=segment,
                                                   kind=each.kind)
                       .aggregate(v=Max("version"))["v"] or 0) + 1
            path = _artifact_name(client.pk, segment, each.kind, version)
            sha256 = artifact_save({"kind": each.kind, "features": list(FEATURE_NAMES),
                                    "model": each.model}, path)
            created.append(ScoringModel.objects.create(
                client=client, segment=segment, kind=each.kind, version=version,
                train_from=train_dates[0], train_to=train_dates[-1],
                validate_from=validate_dates[0], validate_to=validate_dates[-1],
                features=list(FEATURE_NAMES), metrics=_json_safe(each.metrics),
                calibration=each.calibration, reference=_json_safe(each.reference),
                proposed=each is proposed, artifact_path=path, artifact_sha256=sha256,
            ))
    return created


def _may(user: User | AnonymousUser, permission: str) -> bool:
    return bool(user.is_authenticated and user.has_perm(permission))


def scoring_model_promote(*, model: ScoringModel,
                          user: User | AnonymousUser) -> ScoringModel:
    """Make `model` its client and segment's champion; the previous champion retires."""
    if not _may(user, "scoring.promote_scoringmodel"):
        raise DomainError("Only a credit manager may promote a model.", code="forbidden")
    with transaction.atomic():
        # Lock the client's models of that segment in id order: two promotions at once wait
        # for each other instead of tripping the one-champion constraint.
        rows = list(ScoringModel.objects.select_for_update()
                    .filter(client_id=model.client_id, segment=model.segment).order_by("id"))
        target = next(row for row in rows if row.pk == model.pk)
        if target.status == Status.RETIRED:
            raise DomainError("A retired model cannot be promoted.", code="retired")
        if target.status == Status.CHAMPION:
            return target
        ScoringModel.objects.filter(pk__in=[r.pk for r in rows if r.status == Status.CHAMPION]
                                    ).update(status=Status.RETIRED)
        target.status = Status.CHAMPION
        target.promoted_by = user if user.is_authenticated else None
        target.promoted_at = timezone.now()
        target.save(update_fields=["status", "promoted_by", "promoted_at"])
    return target


def models_to_run(*, client_id: int) -> list[ScoringModel]:
    """The champion of each segment; where a segment has none, its proposed model."""
    models = list(ScoringModel.objects.filter(client_id=client_id)
                  .exclude(status=Status.RETIRED).order_by("segment", "-created_at"))
    chosen: dict[str, ScoringModel] = {}
    for model in models:
        if model.status == Status.CHAMPION:
            chosen[model.segment] = model
    for model in models:
        if model.segment not in chosen and model.proposed:
            chosen[model.segment] = model
    return list(chosen.values())


@functools.cache
def _threadpools() -> ThreadpoolController:
    """The process's thread pools, found once: `threadpool_limits` looks for them again on
    every call (2 ms, twice a chunk); the controller's `limit` costs 0.03 ms. Made after
    scikit-learn has loaded its OpenMP runtime (this module imports it)."""
    return ThreadpoolController()


def _predict(model: ScoringModel, features: dict[str, np.ndarray]
             ) -> tuple[np.ndarray, dict[str, Any]]:
    artifact = artifact_load(model.artifact_path, model.artifact_sha256)
    columns = {n: features[n] for n in artifact["features"]}
    # Workers are the parallelism of a run: one thread each, no OpenMP oversubscription.
    with _threadpools().limit(limits=1):
        return predict_model(artifact["model"], columns), artifact


def scoring_run_plan(*, client: Client) -> list[tuple[int, int, int]]:
    """The chunks of a batch run, (model id, lo, hi): each model to run over its segment.

    Stability is measured by the chunks themselves (`stability_counts`), on every debtor.
    """
    plan: list[tuple[int, int, int]] = []
    for model in models_to_run(client_id=client.pk):
        plan.extend((model.pk, lo, hi)
                    for lo, hi in chunk_ranges(client_id=client.pk, segment=model.segment))
    return plan


def stability_counts(model: ScoringModel, features: dict[str, np.ndarray],
                     probability: np.ndarray) -> dict[str, Any]:
    """Where a chunk's debtors fall in the model's reference bins: score and each feature."""
    reference = model.reference or {}
    counts: dict[str, Any] = {"features": {}}
    if "score" in reference:
        counts["score"] = distribution_counts(reference["score"],
                                              points_for_stability(probability))
    for name, ref in reference.get("features", {}).items():
        if name in features:
            counts["features"][name] = distribution_counts(ref, features[name])
    return counts


def _stability_record(*, model: ScoringModel, as_of: dt.date, first_debtor_id: int,
                      debtors: int, counts: dict[str, Any]) -> None:
    """Keep a chunk's counts (once) and recompute the model's stability from its run's sum.

    Called inside the chunk's transaction. The model row is locked FOR NO KEY UPDATE: chunks
    finishing together add up one after another, while other chunks' score inserts (which
    key-share lock the model) go on. A run for an earlier date than the latest leaves the
    model's stability alone.
    """
    ScoringModel.objects.select_for_update(no_key=True).filter(pk=model.pk).exists()
    StabilityCounts.objects.bulk_create(
        [StabilityCounts(model=model, as_of=as_of, first_debtor_id=first_debtor_id,
                         debtors=debtors, counts=counts)], ignore_conflicts=True)
    if StabilityCounts.objects.filter(model=model, as_of__gt=as_of).exists():
        return
    StabilityCounts.objects.filter(model=model, as_of__lt=as_of).delete()
    score: dict[str, int] = {}
    features: dict[str, dict[str, int]] = {}
    total = chunks = 0
    for n, chunk in StabilityCounts.objects.filter(model=model, as_of=as_of).values_list(
            "debtors", "counts"):
        total, chunks = total + n, chunks + 1
        counts_added(score, chunk.get("score", {}))
        for name, bins in chunk.get("features", {}).items():
            counts_added(features.setdefault(name, {}), bins)
    reference = model.reference or {}
    result: dict[str, Any] = {"as_of": as_of.isoformat(), "debtors": total, "chunks": chunks,
                              "features": {}}
    if "score" in reference and score:
        result["score"] = psi_from_counts(reference["score"], score)
    for name, ref in reference.get("features", {}).items():
        if name in features:
            result["features"][name] = psi_from_counts(ref, features[name])
    ScoringModel.objects.filter(pk=model.pk).update(stability=_json_safe(result))


def bands_for(probability: np.ndarray) -> list[str]:
    """Each probability's band: the first whose limit it is under, E above them all."""
    limits = np.array([limit for _band, limit in BAND_LIMITS])
    letters = np.array([band for band, _limit in BAND_LIMITS] + ["E"])
    return letters[np.searchsorted(limits, probability, side="right")].tolist()


@dataclass
class _ScoredPart:
    """One part of a chunk, scored: its rows' values and its stability counts."""

    debtor_ids: np.ndarray
    probability: np.ndarray
    points: np.ndarray
    bands: list[str]
    reasons: list[str]
    counts: dict[str, Any]


def _part_scored(model: ScoringModel, features: dict[str, np.ndarray]) -> _ScoredPart:
    """Probability (5 places), points, band, compact reasons (JSON text) and stability counts
    of each row."""
    probability, artifact = _predict(model, features)
    probability = np.round(probability, PROBABILITY_PLACES)
    card = artifact["model"]["scorecard"]
    attribute = scorecard_attribute_points(card, {n: features[n] for n in card["features"]})
    impacts = {n: attribute[n] - card["points"][n]["best"] for n in card["features"]}
    return _ScoredPart(debtor_ids=features["debtor_id"], probability=probability,
                       points=np.rint(points_from_probability(probability)).astype(int),
                       bands=bands_for(probability),
                       reasons=reasons_compact(impacts, features),
                       counts=stability_counts(model, features, probability))


def _chunk_features(*, model: ScoringModel, lo: int, hi: int, as_of: dt.date,
                    read_ahead: bool) -> PartsReadAhead | Iterator[dict[str, np.ndarray]]:
    """The chunk's features, in parts read ahead by the reader threads where that is possible.

    `read_ahead` (PostgreSQL outside a caller's transaction: a Celery task, the run command):
    the parts are queued to `features_read_ahead` at once and read while this thread scores
    and streams the ones read. Inside a transaction (a test, a caller's atomic block) a reader
    could not see its uncommitted rows, and SQLite is the single-user demo: one read, here,
    before the COPY holds the connection.
    """
    if read_ahead:
        return features_read_ahead(client_id=model.client_id, parts=id_parts(lo, hi),
                                   as_of=as_of, segment=model.segment)
    return iter([debtor_features(client_id=model.client_id, lo=lo, hi=hi, as_of=as_of,
                                 segment=model.segment)])


def scoring_chunk_score(*, model: ScoringModel, lo: int, hi: int, as_of: dt.date) -> int:
    """Score the model's debtors with lo <= id <= hi as of a date; returns rows written.

    Safe to run twice: the (model, debtor, as_of) constraint with ignore_conflicts (SQLite)
    or ON CONFLICT DO NOTHING (PostgreSQL) makes a retried chunk write nothing new, and its
    stability counts are kept once per (model, as_of, chunk). Scores and counts commit
    together.
    """
    # Decided here, before this function's own transaction begins.
    read_ahead = connection.vendor == "postgresql" and not connection.in_atomic_block
    features = _chunk_features(model=model, lo=lo, hi=hi, as_of=as_of, read_ahead=read_ahead)
    # Read ahead, the parts still queued are cancelled (or waited for) when scoring stops.
    with closing(features) if isinstance(features, PartsReadAhead) else nullcontext():
        # The model loads (once per process) while the first parts are read.
        artifact_load(model.artifact_path, model.artifact_sha256)
        scored: Iterator[_ScoredPart] = (
            _part_scored(model, part) for part in features if len(part["debtor_id"]))
        if not read_ahead:
            scored = iter(list(scored))  # scored before the transaction takes its locks
        with transaction.atomic():
            if connection.vendor == "postgresql":
                written, parts = _scores_copy(model=model, as_of=as_of, scored=scored)
            else:
                parts = list(scored)
                written = _scores_bulk(model=model, as_of=as_of, lo=lo, hi=hi, parts=parts)
            debtors = sum(len(part.debtor_ids) for part in parts)
            if debtors:
                _stability_record(model=model, as_of=as_of, first_debtor_id=lo,
                                  debtors=debtors,
                                  counts=_counts_summed([part.counts for part in parts]))
    return written


def _counts_summed(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The parts' `stability_counts` added up into the chunk's."""
    total: dict[str, Any] = {"features": {}}
    for part in counts:
        if "score" in part:
            counts_added(total.setdefault("score", {}), part["score"])
        for name, bins in part["features"].items():
            counts_added(total["features"].setdefault(name, {}), bins)
    return total


def _scores_bulk(*, model: ScoringModel, as_of: dt.date, lo: int, hi: int,
                 parts: list[_ScoredPart]) -> int:
    """SQLite (the embedded demo): the ORM's bulk insert, rows already there skipped."""
    rows = [
        DebtorScore(client_id=model.client_id, debtor_id=int(debtor_id), model_id=model.pk,
                    as_of=as_of, probability=Decimal(f"{p:.5f}"), points=int(pts),
                    band=band, reasons=json.loads(why))
        for part in parts
        for debtor_id, p, pts, band, why in zip(part.debtor_ids, part.probability,
                                                part.points, part.bands, part.reasons,
                                                strict=True)
    ]
    before = DebtorScore.objects.filter(model=model, as_of=as_of, debtor_id__gte=lo,
                                        debtor_id__lte=hi).count()
    DebtorScore.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    after = DebtorScore.objects.filter(model=model, as_of=as_of, debtor_id__gte=lo,
                                       debtor_id__lte=hi).count()
    return after - before


def scores_copy_text(*, model: ScoringModel, as_of: dt.date, debtor_ids: np.ndarray,
                     probability: np.ndarray, points: np.ndarray, bands: list[str],
                     reasons: list[str], created_at: dt.datetime) -> str:
    """The chunk's score rows in COPY text format, built in one pass (no per-value adapter).

    Only the reasons can hold a backslash (JSON escapes); tabs and newlines inside JSON strings
    are escaped by JSON itself.
    """
    fixed_head = f"{model.client_id}\t"
    fixed_mid = f"\t{model.pk}\t{as_of.isoformat()}\t"
    tail = f"\t{created_at.isoformat()}\n"
    return "".join(
        f"{fixed_head}{debtor_id}{fixed_mid}{p:.5f}\t{pts}\t{band}\t{_copy_escaped(why)}{tail}"
        for debtor_id, p, pts, band, why in zip(debtor_ids.tolist(), probability.tolist(),
                                                points.tolist(), bands, reasons, strict=True))


def _copy_escaped(text: str) -> str:
    """COPY's text format reads a backslash as an escape: a literal one is written doubled."""
    return text.replace("\\", "\\\\") if "\\" in text else text


SCORE_COLUMNS = ("client_id, debtor_id, model_id, as_of, probability, points, band, reasons, "
                 "created_at")


def _scores_copy(*, model: ScoringModel, as_of: dt.date, scored: Iterator[_ScoredPart]
                 ) -> tuple[int, list[_ScoredPart]]:
    """PostgreSQL: stream each part, as soon as it is scored, in one COPY straight into the
    score table; returns (rows written, the parts). When any row is already there (a retried
    chunk), fall back to COPY into a temporary table and one INSERT ... ON CONFLICT DO NOTHING
    on the (model, debtor, as_of) constraint: the same idempotency as
    bulk_create(ignore_conflicts=True), and the first run writes each row once instead of
    twice."""
    from psycopg.errors import UniqueViolation  # PostgreSQL only, as is this function

    created_at = timezone.now()
    parts: list[_ScoredPart] = []
    texts: list[str] = []

    def taken(part: _ScoredPart) -> str:
        parts.append(part)
        texts.append(scores_copy_text(
            model=model, as_of=as_of, debtor_ids=part.debtor_ids,
            probability=part.probability, points=part.points, bands=part.bands,
            reasons=part.reasons, created_at=created_at))
        return texts[-1]

    try:
        # A savepoint: a refused COPY leaves the transaction usable for the fallback.
        with transaction.atomic(), connection.cursor() as cursor, cursor.copy(
                f"COPY scoring_debtorscore ({SCORE_COLUMNS}) FROM STDIN") as copy:
            for part in scored:
                copy.write(taken(part))
        return sum(len(part.debtor_ids) for part in parts), parts
    except UniqueViolation:
        pass  # a retried chunk: some of its rows are already written
    for part in scored:  # the parts not streamed yet, if the COPY stopped early
        taken(part)
    return _scores_insert_missing("".join(texts)), parts


def _scores_insert_missing(text: str) -> int:
    """The chunk's rows through a temporary table, those already written skipped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS scoring_chunk_in (client_id bigint, "
            "debtor_id bigint, model_id bigint, as_of date, probability numeric(6, 5), "
            "points integer, band varchar(1), reasons jsonb, created_at timestamptz) "
            "ON COMMIT DELETE ROWS")
        # Empty even inside an outer transaction (tests, a caller's atomic block).
        cursor.execute("TRUNCATE scoring_chunk_in")
        with cursor.copy(f"COPY scoring_chunk_in ({SCORE_COLUMNS}) FROM STDIN") as copy:
            copy.write(text)
        cursor.execute(
            f"INSERT INTO scoring_debtorscore ({SCORE_COLUMNS}) "  # noqa: S608
            f"SELECT {SCORE_COLUMNS} FROM scoring_chunk_in "
            "ON CONFLICT ON CONSTRAINT scoring_debtorscore_once DO NOTHING")
        return cursor.rowcount

"""Models are skops files: round trip, an explicit trusted list, a checksum that is checked."""

import numpy as np
import pytest
import skops.io

from access.errors import DomainError
from scoring.artifacts import TRUSTED_TYPES, artifact_load, artifact_save
from scoring.evaluation import fit_model, predict_model


@pytest.fixture
def columns_and_target():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 600)
    kind = rng.choice(["business", "consumer"], 600).astype(object)
    y = (rng.random(600) < 1 / (1 + np.exp(-2 * x))).astype(int)
    return {"x": x, "kind": kind}, y


@pytest.mark.parametrize("kind", ["scorecard", "gbm"])
def test_it_round_trips_a_model_through_skops_with_the_same_predictions(
        kind, columns_and_target, settings, tmp_path):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    columns, y = columns_and_target
    model = fit_model(kind, columns, y, categorical={"kind"})
    sha = artifact_save({"kind": kind, "features": ["x", "kind"], "model": model},
                        f"t/{kind}.skops")
    data = (tmp_path / "t" / f"{kind}.skops").read_bytes()
    assert set(skops.io.get_untrusted_types(data=data)) <= set(TRUSTED_TYPES)
    assert b"pickle" not in data[:4]
    loaded = artifact_load(f"t/{kind}.skops", sha)
    assert np.allclose(predict_model(loaded["model"], columns), predict_model(model, columns))


def test_it_refuses_a_model_file_that_does_not_match_its_checksum(settings, tmp_path):
    settings.SCORING_ARTIFACT_DIR = tmp_path
    sha = artifact_save({"kind": "none", "features": [], "model": {}}, "t/x.skops")
    with pytest.raises(DomainError) as refused:
        artifact_load("t/x.skops", "0" * 64)
    assert refused.value.code == "artifact_tampered"
    assert artifact_load("t/x.skops", sha)["kind"] == "none"

"""Trained models as versioned skops files: write with their sha256, load only trusted types.

Never pickle: a pickle runs code on load. skops refuses any type not named in `TRUSTED_TYPES`;
the list is explicit and complete for the two model kinds (a test saves both and checks that
skops reports no other untrusted type).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import skops.io
from django.conf import settings

from access.errors import DomainError

# Beyond skops' own defaults (numpy, builtins and most scikit-learn estimators, among them
# LogisticRegression and HistGradientBoostingClassifier), the booster needs these three.
TRUSTED_TYPES = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
    "functools.partial",
]


def artifact_dir() -> Path:
    return Path(settings.SCORING_ARTIFACT_DIR)


def artifact_save(obj: dict[str, Any], relative_path: str) -> str:
    """Write the artifact under SCORING_ARTIFACT_DIR; returns its sha256."""
    path = artifact_dir() / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    data = skops.io.dumps(obj)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()


_cache: dict[tuple[str, str], dict[str, Any]] = {}
_cache_lock = threading.Lock()


def artifact_load(relative_path: str, sha256: str) -> dict[str, Any]:
    """Load an artifact after checking its sha256; cached per process (chunks reuse it)."""
    key = (relative_path, sha256)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    path = artifact_dir() / relative_path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DomainError(f"The model file {relative_path} is missing.",
                          code="artifact_missing") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DomainError(f"The model file {relative_path} does not match its checksum.",
                          code="artifact_tampered")
    obj = skops.io.loads(data, trusted=TRUSTED_TYPES)
    with _cache_lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = obj
    return obj

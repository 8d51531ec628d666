"""The mypy baseline only goes down: `.ci/typecheck` counts errors per file, fails on a file
over its allowance (a new file is allowed none), and refuses a malformed baseline by line."""

from __future__ import annotations

import importlib.util
from collections import Counter
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _typecheck():
    loader = SourceFileLoader("fido_typecheck", str(ROOT / ".ci" / "typecheck"))
    spec = importlib.util.spec_from_loader("fido_typecheck", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


typecheck = _typecheck()

OUTPUT = """\
portfolio/models.py:90: error: Argument 4 to "DecimalField" has incompatible type  [arg-type]
portfolio/models.py:90: note: "dict" is invariant
caring/views.py:53:7: error: "HttpRequest" has no attribute "htmx"  [attr-defined]
caring/views.py:192: error: "HttpRequest" has no attribute "htmx"  [attr-defined]
Found 3 errors in 2 files (checked 394 source files)
"""


def test_it_counts_errors_per_file_and_not_notes():
    assert typecheck.count_errors(OUTPUT) == Counter(
        {"portfolio/models.py": 1, "caring/views.py": 2})


def test_a_file_over_its_allowance_and_a_new_file_with_errors_fail():
    counts = Counter({"caring/views.py": 3, "insights/kpis.py": 1, "portfolio/models.py": 1})
    worse, better = typecheck.compare(counts, {"caring/views.py": 2, "portfolio/models.py": 5})
    assert worse == ["caring/views.py: 3 errors, baseline allows 2",
                     "insights/kpis.py: 1 errors, baseline allows 0"]
    assert better == ["portfolio/models.py: 1 errors, baseline allows 5"]


def test_fewer_errors_pass_and_the_baseline_round_trips():
    counts = Counter({"caring/views.py": 1, "access/api.py": 4})
    worse, better = typecheck.compare(counts, {"caring/views.py": 2, "access/api.py": 4,
                                               "gone.py": 3})
    assert worse == []
    assert better == ["caring/views.py: 1 errors, baseline allows 2",
                      "gone.py: 0 errors, baseline allows 3"]
    assert typecheck.read_baseline(typecheck.render_baseline(counts)) == {
        "access/api.py": 4, "caring/views.py": 1}


def test_a_malformed_baseline_line_is_refused_by_number():
    with pytest.raises(ValueError, match="line 3"):
        typecheck.read_baseline("# header\n4 access/api.py\nmany caring/views.py\n")


def test_the_recorded_baseline_is_well_formed_and_sorted():
    allowed = typecheck.read_baseline((ROOT / "mypy-baseline.txt").read_text())
    assert list(allowed) == sorted(allowed)
    assert all(count > 0 for count in allowed.values())
    assert all((ROOT / path).is_file() for path in allowed), "baseline names a missing file"

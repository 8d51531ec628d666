"""No dead functions: every module-level function of the project is named somewhere besides its
own definition (code, tests, templates). A decorated function is exempt: the decorator
registers it (a Celery task, a system check, a signal receiver, a template filter).

A cheap, vulture-style check by word count: a name that is only defined is certainly unused;
a name that also appears elsewhere may still be, which review has to catch.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "var", "staticfiles", ".git"}
# Called by name from outside Python's import graph.
CALLED_BY_FRAMEWORK = {"main", "application"}
# Written ahead of their callers, which are being built now: the survey links that the
# experience app's sending of surveys will use. Remove an entry once its caller lands.
AHEAD_OF_CALLERS: set[str] = set()


def _project_files(*suffixes: str) -> list[Path]:
    return [path for path in ROOT.rglob("*") if path.suffix in suffixes
            and not SKIP.intersection(path.relative_to(ROOT).parts) and path.is_file()]


def test_every_module_level_function_is_used_somewhere():
    words: Counter[str] = Counter()
    for path in _project_files(".py", ".html", ".txt", ".js"):
        words.update(re.findall(r"\w+", path.read_text(errors="replace")))
    unused: list[str] = []
    for path in _project_files(".py"):
        relative = path.relative_to(ROOT)
        if (relative.parts[0] == "tests" or "migrations" in relative.parts
                or relative.as_posix() in AHEAD_OF_CALLERS):
            continue
        unused.extend(
            f"{relative}:{node.lineno} {node.name}" for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and not node.decorator_list and node.name not in CALLED_BY_FRAMEWORK
            and words[node.name] <= 1)
    assert unused == []

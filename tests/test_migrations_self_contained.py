"""A migration holds its own SQL text and imports no project code, not even another migration:
what it runs must not change when a module it borrowed from is edited later.

The one exception is Django's own: a field whose default is a callable is recorded by its
import path (caring 0001, `caring.models.control_seed_new`), so that model function stays.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLABLE_DEFAULTS = {("caring/migrations/0001_courtesy_calls.py", "caring.models")}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif (isinstance(node, ast.Attribute) and node.attr == "import_module"):
            names.append("importlib.import_module")
    return names


def test_migrations_import_only_django_and_the_standard_library():
    project = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"config"}
    assert "portfolio" in project
    offending = []
    for path in sorted(ROOT.glob("*/migrations/[0-9]*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for name in _imports(ast.parse(path.read_text())):
            top = name.split(".")[0]
            if (relative, name) in CALLABLE_DEFAULTS:
                continue
            if (top in project or name == "importlib.import_module"
                    or (top not in sys.stdlib_module_names and top != "django")):
                offending.append(f"{relative}: {name}")
    assert offending == []

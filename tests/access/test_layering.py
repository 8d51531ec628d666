"""The apps depend one way (docs/architecture.md, "Apps and their dependency direction"):
`access` ← `portfolio` ← `compliance`, `scoring`, `credit` ← `caring`, `recovery` ←
`experience` ← `insights`. An app may import its own level and the levels below; a higher app
that must show on a lower one's page registers into it (portfolio/panels.py) instead.

Every import statement is read from the source with ast, including imports inside functions
(a late import is still a dependency), in every module of the apps but their migrations and
the tests. `config/` is the composition root (settings, URLs, the Celery app) and may import
any app.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
LEVELS = {
    "access": 0,
    "portfolio": 1,
    "compliance": 2, "scoring": 2, "credit": 2,
    "caring": 3, "recovery": 3,
    "experience": 4,
    "insights": 5,
}
# Imports upwards that could not go yet, as "importing module -> imported module": the reason.
# None today; an entry is a debt to pay, not a way around the rule.
KNOWN_EXCEPTIONS: dict[str, str] = {}


def _app_modules(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py")
                  if "migrations" not in path.relative_to(ROOT).parts)


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def upward_imports(app: str) -> list[str]:
    """"module -> imported module" for every import of `app` that names a higher app."""
    found = []
    for path in _app_modules(app):
        for name in _imported_modules(path):
            target = name.split(".")[0]
            if LEVELS.get(target, -1) > LEVELS[app]:
                found.append(f"{_module_name(path)} -> {name}")
    return found


def test_every_app_of_the_project_has_a_level():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == set(LEVELS)


def test_access_imports_no_other_app():
    other_apps = set(LEVELS) - {"access"}
    imports = [f"{_module_name(path)} -> {name}" for path in _app_modules("access")
               for name in _imported_modules(path) if name.split(".")[0] in other_apps]
    assert imports == []


@pytest.mark.parametrize("app", sorted(LEVELS))
def test_no_app_imports_a_higher_one(app):
    found = [each for each in upward_imports(app) if each not in KNOWN_EXCEPTIONS]
    assert found == []


def test_every_known_exception_is_still_needed():
    every = {each for app in LEVELS for each in upward_imports(app)}
    assert set(KNOWN_EXCEPTIONS) <= every

"""No choice value written by hand in raw SQL: a status or kind in SQL text comes from the
model's TextChoices through portfolio/sql.py (`sql_literals`, `INVOICE_PAYABLE` …), so that
renaming a choice cannot leave behind a literal that silently matches nothing.

Every string constant of the apps (f-strings' constant parts too) that reads as SQL is searched
for a quoted word that is a choice value of one of the project's models.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
APPS = ("access", "portfolio", "compliance", "scoring", "credit", "caring", "recovery",
        "experience", "insights", "config")
_SQL = re.compile(r"\b(SELECT|UPDATE|INSERT|DELETE)\b")
_QUOTED = re.compile(r"'([^'\s]*)'")
# (module, word): a quoted word that is not a model's choice, although some model has one
# spelt the same.
NOT_A_CHOICE = {
    # The import's staging tables classify their rows as new, updated, unchanged, conflict.
    ("portfolio/imports/writers.py", "new"),
}


def _choice_values() -> set[str]:
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for model_field in model._meta.get_fields():
            for value, _label in getattr(model_field, "choices", None) or []:
                if isinstance(value, str) and value:
                    values.add(value)
    return values


def _sql_texts(path: Path) -> list[tuple[int, str]]:
    texts: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values
                           if isinstance(part, ast.Constant) and isinstance(part.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if _SQL.search(text):
            texts.append((node.lineno, text))
    return texts


def test_the_models_choices_are_known():
    assert {"open", "partially_paid", "write_off", "payment_date"} <= _choice_values()


def test_raw_sql_names_no_choice_value_by_hand():
    choices = _choice_values()
    found: list[str] = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            for line, text in _sql_texts(path):
                found.extend(f"{relative}:{line} '{word}'" for word in _QUOTED.findall(text)
                             if word in choices
                             and (relative.as_posix(), word) not in NOT_A_CHOICE)
    assert found == []

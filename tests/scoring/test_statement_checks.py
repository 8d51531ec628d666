"""Scoring migration 0011 holds a copy of the SQL that scoring/statement_checks.py generates;
the copy must stay what the generator produces, or the tests and the database would check
different rules."""

from __future__ import annotations

import importlib

import pytest

from portfolio.statement_checks import create_sql, drop_sql
from scoring.statement_checks import SCORING_CHECKS

MIGRATION = importlib.import_module("scoring.migrations.0011_score_checks_on_scorings_tables")


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_migrations_copy_is_what_the_generator_produces(vendor) -> None:
    created = [sql for check in SCORING_CHECKS for sql in create_sql(check, vendor)]
    dropped = [sql for check in SCORING_CHECKS for sql in drop_sql(check, vendor)]

    assert MIGRATION._CHECKS[vendor] == created
    assert MIGRATION._DROP_CHECKS[vendor] == dropped


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_a_check_on_a_lower_apps_table_creates_nothing_there(vendor) -> None:
    for check in SCORING_CHECKS:
        assert check.table.startswith("scoring_"), check
        triggers_on_parent = [sql for sql in create_sql(check, vendor)
                              if sql.startswith("CREATE TRIGGER") and f" ON {check.parent} " in sql]
        if check.parent.startswith("scoring_"):
            assert triggers_on_parent, check  # the model's side is guarded
        else:
            assert triggers_on_parent == [], check

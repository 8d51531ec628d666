"""Caring migration 0008 holds a copy of the SQL that caring/statement_checks.py generates;
the copy must stay what the generator produces, or the tests and the database would check
different rules."""

from __future__ import annotations

import importlib

import pytest

from caring.statement_checks import CARING_CHECKS
from portfolio.statement_checks import RowsExistIn, create_sql, drop_sql

MIGRATION = importlib.import_module("caring.migrations.0008_references_as_foreign_keys")


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_migrations_copy_is_what_the_generator_produces(vendor) -> None:
    created = [sql for check in CARING_CHECKS for sql in create_sql(check, vendor)]
    dropped = [sql for check in CARING_CHECKS for sql in drop_sql(check, vendor)]

    assert MIGRATION._CHECKS[vendor] == created
    assert MIGRATION._DROP_CHECKS[vendor] == dropped


def test_every_check_stays_within_caring() -> None:
    for check in CARING_CHECKS:
        assert check.table.startswith("caring_") and check.parent.startswith("caring_"), check


def test_columns_that_do_not_pair_up_are_refused() -> None:
    with pytest.raises(ValueError, match="must pair up"):
        RowsExistIn(name="bad", table="caring_courtesycall", columns=("policy_id", "client_id"),
                    parent="caring_caringpolicy", parent_columns=("id",))


def test_an_unknown_database_is_refused() -> None:
    with pytest.raises(ValueError, match="not 'oracle'"):
        create_sql(CARING_CHECKS[0], "oracle")

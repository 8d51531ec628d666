"""What a migrated PostgreSQL database runs to keep the ledger's references is what
portfolio/ledger_checks.py says: the migrations hold their own copies of that SQL, and a copy
that drifted from the module (or a module edited without a migration) fails here."""

from __future__ import annotations

import pytest
from django.db import connection

from portfolio import ledger_checks


def _rows(sql: str, params: list[str | list[str]]) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@pytest.mark.parametrize("name", sorted(ledger_checks.functions()))
def test_each_function_runs_the_modules_text(postgres_only, name) -> None:
    found = _rows("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])

    assert found == [(ledger_checks.functions()[name],)]


def test_each_trigger_is_declared_as_the_module_says(postgres_only) -> None:
    declared = {(name, table): f"CREATE TRIGGER {name} {definition}"
                for name, table, definition in ledger_checks.triggers()}
    found = {
        (name, table): definition.replace(f" ON public.{table} ", f" ON {table} ")
        for name, table, definition in _rows(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND p.proname = ANY(%s)",
            [list(ledger_checks.functions())])}

    assert found == declared


def test_the_rows_check_reads_the_rows_it_is_given() -> None:
    # The update check differs from the insert check only by the rows it reads.
    inserted = ledger_checks.rows_check_body("fido_new_rows")
    updated = ledger_checks.rows_check_body(ledger_checks.CHANGED_ROWS)

    assert "FROM fido_new_rows s" in inserted
    assert inserted.replace("fido_new_rows", ledger_checks.CHANGED_ROWS) == updated

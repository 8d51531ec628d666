"""SQL of the consistency checks a foreign key cannot declare cheaply: "every row of table T's
(a, b) exists in table U's (x, y)", for PostgreSQL and SQLite.

Used where a per-row foreign key would cost a bulk writer too much, or where the reference is
composite (a call's policy must be a policy *of the call's client*). This module is the one
place the SQL is written. A migration never imports it: it holds a literal copy of what
`create_sql` returned when the migration was written, and a test compares that copy with what
this module produces today, so the two cannot drift apart unnoticed.

On PostgreSQL the child table gets statement-level triggers: after an INSERT, and after an
UPDATE that changed the referencing columns, the distinct (a, b) pairs of the new rows are
counted and so are the parent rows found for them, locked FOR SHARE (a concurrent delete or
change of those parent rows waits, then sees the new rows): a difference means a missing or
mismatched parent and the whole statement is refused. SQLite has no statement-level triggers,
so there the same rule is a row-level trigger. On both, the parent table gets a row-level
trigger refusing to delete a row (PostgreSQL only: see `_sqlite_create`), or to change its
referenced columns, while a child row still names it. So a check puts triggers on both
tables: use one only where the parent is a table of the child's own app (an app writes no
trigger on a lower app's table; a reference to a lower app's table is a real foreign key).
"""

# ruff: noqa: S608 -- the SQL is composed from table and column names in code, never from input

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowsExistIn:
    """Every row of `table`'s `columns` names a row of `parent` by its `parent_columns`.

    `name` is the stem of every trigger and function the check creates (unique per check).
    Columns must be NOT NULL (a foreign key would skip NULLs; this check does not), and the
    child table's primary key must be `id` (an UPDATE is checked for the rows it changed).
    """

    name: str
    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.parent_columns) or not self.columns:
            raise ValueError(f"{self.name}: columns {self.columns} and parent columns "
                             f"{self.parent_columns} must pair up one to one")

    @property
    def message(self) -> str:
        return (f"{self.table} ({', '.join(self.columns)}) names no row of "
                f"{self.parent} ({', '.join(self.parent_columns)})")

    @property
    def parent_message(self) -> str:
        return f"{self.parent} row is still named by {self.table}"


def create_sql(check: RowsExistIn, vendor: str) -> list[str]:
    """The statements creating `check` on `vendor` ("postgresql" or "sqlite"), in order."""
    if vendor == "postgresql":
        return _postgresql_create(check)
    if vendor == "sqlite":
        return _sqlite_create(check)
    raise ValueError(f"statement checks are written for postgresql and sqlite, not {vendor!r}")


def drop_sql(check: RowsExistIn, vendor: str) -> list[str]:
    """The statements removing everything `create_sql` created."""
    triggers = [(f"{check.name}_insert", check.table), (f"{check.name}_update", check.table),
                (f"{check.name}_parent", check.parent)]
    if vendor == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS {trigger} ON {table}" for trigger, table in triggers]
                + [f"DROP FUNCTION IF EXISTS {trigger}_check()" for trigger, _table in triggers])
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {trigger}" for trigger, _table
                in [*triggers, (f"{check.name}_parent_update", check.parent)]]
    raise ValueError(f"statement checks are written for postgresql and sqlite, not {vendor!r}")


def _pairs(prefix: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{prefix}{column}" for column in columns)


def _postgresql_rows_check(check: RowsExistIn, rows: str) -> str:
    """A plpgsql body refusing the statement when a pair of `rows` has no parent row."""
    columns = _pairs("", check.columns)
    return f"""
DECLARE
    named bigint;
    found bigint;
BEGIN
    SELECT count(*) INTO named FROM (SELECT DISTINCT {columns} FROM {rows} r) pairs;
    SELECT count(*) INTO found FROM (SELECT 1 FROM {check.parent}
        WHERE ({_pairs("", check.parent_columns)}) IN (SELECT {columns} FROM {rows} r)
        FOR SHARE) locked;
    IF found <> named THEN
        RAISE EXCEPTION '{check.message}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END"""


def _postgresql_create(check: RowsExistIn) -> list[str]:
    # An UPDATE is checked only for the rows whose referencing columns changed: an agent
    # saving a call rewrites every column, and must not pay for a lookup of its parents.
    changed = (f"(SELECT {_pairs('n.', check.columns)} FROM fido_new_rows n "
               f"JOIN fido_old_rows o ON o.id = n.id "
               f"WHERE ({_pairs('n.', check.columns)}) IS DISTINCT FROM "
               f"({_pairs('o.', check.columns)}))")
    named_by_old = " AND ".join(f"c.{column} = OLD.{parent_column}" for column, parent_column
                                in zip(check.columns, check.parent_columns, strict=True))
    moved = (f"({_pairs('OLD.', check.parent_columns)}) IS DISTINCT FROM "
             f"({_pairs('NEW.', check.parent_columns)})")
    return [
        f"""CREATE FUNCTION {check.name}_insert_check() RETURNS trigger
LANGUAGE plpgsql AS ${check.name}${_postgresql_rows_check(check, "fido_new_rows")}
${check.name}$""",
        f"""CREATE FUNCTION {check.name}_update_check() RETURNS trigger
LANGUAGE plpgsql AS ${check.name}${_postgresql_rows_check(check, changed)}
${check.name}$""",
        f"""CREATE FUNCTION {check.name}_parent_check() RETURNS trigger
LANGUAGE plpgsql AS ${check.name}$
BEGIN
    IF (TG_OP = 'DELETE' OR {moved})
            AND EXISTS (SELECT 1 FROM {check.table} c WHERE {named_by_old}) THEN
        RAISE EXCEPTION '{check.parent_message}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
${check.name}$""",
        f"CREATE TRIGGER {check.name}_insert AFTER INSERT ON {check.table} "
        "REFERENCING NEW TABLE AS fido_new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {check.name}_insert_check()",
        f"CREATE TRIGGER {check.name}_update AFTER UPDATE ON {check.table} "
        "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {check.name}_update_check()",
        f"CREATE TRIGGER {check.name}_parent "
        f"BEFORE DELETE OR UPDATE OF {_pairs('', check.parent_columns)} ON {check.parent} "
        f"FOR EACH ROW EXECUTE FUNCTION {check.name}_parent_check()",
    ]


def _sqlite_create(check: RowsExistIn) -> list[str]:
    found = " AND ".join(f"p.{parent_column} = NEW.{column}" for column, parent_column
                         in zip(check.columns, check.parent_columns, strict=True))
    named_by_old = " AND ".join(f"c.{column} = OLD.{parent_column}" for column, parent_column
                                in zip(check.columns, check.parent_columns, strict=True))
    moved = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in check.parent_columns)
    refuse = f"BEGIN SELECT RAISE(ABORT, '{check.message}'); END"
    refuse_parent = f"BEGIN SELECT RAISE(ABORT, '{check.parent_message}'); END"
    missing = f"NOT EXISTS (SELECT 1 FROM {check.parent} p WHERE {found})"
    still_named = f"EXISTS (SELECT 1 FROM {check.table} c WHERE {named_by_old})"
    return [
        f"CREATE TRIGGER {check.name}_insert BEFORE INSERT ON {check.table} FOR EACH ROW "
        f"WHEN {missing} {refuse}",
        f"CREATE TRIGGER {check.name}_update BEFORE UPDATE OF {_pairs('', check.columns)} "
        f"ON {check.table} FOR EACH ROW WHEN {missing} {refuse}",
        # SQLite names one event per trigger; an update of the referenced columns that leaves
        # them as they were (an ORM save) is not a move. There is no delete guard here: SQLite's
        # triggers cannot wait for the end of a transaction, and emptying the database (Django's
        # flush, which tests and `manage.py flush` run) deletes tables in name order, parents
        # before their children. Deleting a parent is left to the ORM's on_delete on SQLite.
        f"CREATE TRIGGER {check.name}_parent_update "
        f"BEFORE UPDATE OF {_pairs('', check.parent_columns)} ON {check.parent} FOR EACH ROW "
        f"WHEN ({moved}) AND {still_named} {refuse_parent}",
    ]

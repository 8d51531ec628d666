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
trigger on a lower app's table; a reference to a lower app's table is a real foreign key, or
an unguarded check, below, where a per-row key is too slow).

A check with `guard_parent=False` creates the child's triggers only: it is for a reference to
a lower app's table that a per-row foreign key would make too slow for a bulk writer. The rows
written are checked, but the parent's own deletes and updates are not watched, so deleting a
parent is the ORM's on_delete (as on SQLite), and the parent rows are not locked either (a
lock only helps together with the guard).
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
    With `guard_parent` false, nothing is created on the parent table (see the module's text),
    and `parent_columns` must name at most one parent row (they hold the parent's key).

    `parent_lock` is how the parents found are locked. FOR SHARE also makes an ordinary update
    of the parent row wait for the child's transaction; where the child's writers update the
    parent row themselves (two of them would deadlock), use FOR KEY SHARE, with every parent
    column in some unique constraint of the parent (a "key column"): a delete or a change of a
    key column still waits, an ordinary update does not.
    """

    name: str
    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    guard_parent: bool = True
    parent_lock: str = "FOR SHARE"

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
    triggers = [(f"{check.name}_insert", check.table), (f"{check.name}_update", check.table)]
    if check.guard_parent:
        triggers.append((f"{check.name}_parent", check.parent))
    if vendor == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS {trigger} ON {table}" for trigger, table in triggers]
                + [f"DROP FUNCTION IF EXISTS {trigger}_check()" for trigger, _table in triggers])
    if vendor == "sqlite":
        if check.guard_parent:
            triggers.append((f"{check.name}_parent_update", check.parent))
        return [f"DROP TRIGGER IF EXISTS {trigger}" for trigger, _table in triggers]
    raise ValueError(f"statement checks are written for postgresql and sqlite, not {vendor!r}")


def _pairs(prefix: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{prefix}{column}" for column in columns)


def _postgresql_rows_check(check: RowsExistIn, rows: str) -> str:
    """A plpgsql body refusing the statement when a pair of `rows` has no parent row."""
    if not check.guard_parent:
        return _postgresql_rows_found(check, rows)
    columns = _pairs("", check.columns)
    # The parents found are locked, so that their guard (a delete or move waiting for these
    # rows to commit) sees the new rows: counting the rows locked is what finds a missing one.
    return f"""
DECLARE
    named bigint;
    found bigint;
BEGIN
    SELECT count(*) INTO named FROM (SELECT DISTINCT {columns} FROM {rows} r) pairs;
    SELECT count(*) INTO found FROM (SELECT 1 FROM {check.parent}
        WHERE ({_pairs("", check.parent_columns)}) IN (SELECT {columns} FROM {rows} r)
        {check.parent_lock}) locked;
    IF found <> named THEN
        RAISE EXCEPTION '{check.message}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END"""


def _postgresql_rows_found(check: RowsExistIn, rows: str) -> str:
    """The same refusal without locks (no guard waits on them): the rows joined to their
    parents count as many as the rows. The join reads only the parents within the range of
    the rows' first column: a batch writes a range of keys at a time, so it reads that range
    of the parent's index instead of hashing the whole table."""
    first, parent_first = check.columns[0], check.parent_columns[0]
    joined = " AND ".join(f"p.{parent_column} = r.{column}" for column, parent_column
                          in zip(check.columns, check.parent_columns, strict=True))
    return f"""
DECLARE
    total bigint;
    found bigint;
    low {check.parent}.{parent_first}%TYPE;
    high {check.parent}.{parent_first}%TYPE;
BEGIN
    SELECT count(*), min(r.{first}), max(r.{first}) INTO total, low, high FROM {rows} r;
    SELECT count(*) INTO found FROM {rows} r JOIN {check.parent} p ON {joined}
     WHERE p.{parent_first} BETWEEN low AND high;
    IF found <> total THEN
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
    statements = [
        f"""CREATE FUNCTION {check.name}_insert_check() RETURNS trigger
LANGUAGE plpgsql AS ${check.name}${_postgresql_rows_check(check, "fido_new_rows")}
${check.name}$""",
        f"""CREATE FUNCTION {check.name}_update_check() RETURNS trigger
LANGUAGE plpgsql AS ${check.name}${_postgresql_rows_check(check, changed)}
${check.name}$""",
        f"CREATE TRIGGER {check.name}_insert AFTER INSERT ON {check.table} "
        "REFERENCING NEW TABLE AS fido_new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {check.name}_insert_check()",
        f"CREATE TRIGGER {check.name}_update AFTER UPDATE ON {check.table} "
        "REFERENCING OLD TABLE AS fido_old_rows NEW TABLE AS fido_new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {check.name}_update_check()",
    ]
    if not check.guard_parent:
        return statements
    parent_function = f"""CREATE FUNCTION {check.name}_parent_check() RETURNS trigger
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
${check.name}$"""
    parent_trigger = (
        f"CREATE TRIGGER {check.name}_parent "
        f"BEFORE DELETE OR UPDATE OF {_pairs('', check.parent_columns)} ON {check.parent} "
        f"FOR EACH ROW EXECUTE FUNCTION {check.name}_parent_check()")
    # The order the migrations' copies hold: the three functions, then the three triggers.
    return [*statements[:2], parent_function, *statements[2:], parent_trigger]


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
    statements = [
        f"CREATE TRIGGER {check.name}_insert BEFORE INSERT ON {check.table} FOR EACH ROW "
        f"WHEN {missing} {refuse}",
        f"CREATE TRIGGER {check.name}_update BEFORE UPDATE OF {_pairs('', check.columns)} "
        f"ON {check.table} FOR EACH ROW WHEN {missing} {refuse}",
    ]
    if not check.guard_parent:
        return statements
    # SQLite names one event per trigger; an update of the referenced columns that leaves them
    # as they were (an ORM save) is not a move. There is no delete guard here: SQLite's
    # triggers cannot wait for the end of a transaction, and emptying the database (Django's
    # flush, which tests and `manage.py flush` run) deletes tables in name order, parents
    # before their children. Deleting a parent is left to the ORM's on_delete on SQLite.
    return [*statements,
            f"CREATE TRIGGER {check.name}_parent_update "
            f"BEFORE UPDATE OF {_pairs('', check.parent_columns)} ON {check.parent} "
            f"FOR EACH ROW WHEN ({moved}) AND {still_named} {refuse_parent}"]

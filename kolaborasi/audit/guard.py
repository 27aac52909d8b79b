"""The database's own refusal to change history: triggers that make the audit tables
append-only (docs/decisions/0003-audit-chain.md, "Append-only in the database").

Every UPDATE and DELETE of a row of a guarded table is refused by a row-level BEFORE
trigger, whatever code sends it: the ORM, raw SQL, the admin, a psql session of the
application's role. Inserting stays allowed. The migrations that create a guarded table
install its guard with :func:`install`; nothing in the application lifts it, except the
``flush`` command (a wipe of the whole database, see :func:`sqlite_guard_lifted`).

Note for SQLite: a migration that rebuilds a guarded table (an ``AlterField`` there)
drops its triggers with the old table; such a migration must call :func:`install`
again (tests/test_audit_append_only.py fails if a guard is missing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

# Every guard trigger's name starts so (SQLite's trigger names are global; PostgreSQL's
# are per table, and there each guarded table has one trigger of exactly this name).
PREFIX = "audit_guard"
_MESSAGE = "the audit log is append-only: {op} on {table} refused"


def _sqlite_sql(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {PREFIX}_{table}_{op.lower()} BEFORE {op} ON {table}"
        f" BEGIN SELECT RAISE(ABORT, '{_MESSAGE.format(op=op, table=table)}'); END"
        for op in ("UPDATE", "DELETE")
    ]


# One function for every guarded table; it names the operation and the table refused.
# restrict_violation (SQLSTATE 23001) reaches Django as an IntegrityError, as SQLite's
# RAISE(ABORT) does, so both databases refuse with the same exception class.
_PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION {PREFIX}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$"""


def install(connection: Any, table: str) -> None:
    """Put the guard on ``table`` (again: an existing guard is replaced)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {PREFIX} BEFORE UPDATE OR DELETE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION {PREFIX}_refuse()"
            )
        else:
            for op in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_{op}")
            for sql in _sqlite_sql(table):
                cursor.execute(sql)


def remove(connection: Any, table: str, *, last: bool = False) -> None:
    """Take the guard off ``table`` (a migration's reverse). ``last``: no other table
    keeps one, so PostgreSQL's function goes too."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX} ON {table}")
            if last:
                cursor.execute(f"DROP FUNCTION IF EXISTS {PREFIX}_refuse()")
        else:
            for op in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_{op}")


@contextmanager
def sqlite_guard_lifted(connection: Any) -> Iterator[None]:
    """SQLite, which cannot switch a trigger off: drop every guard trigger and create it
    again from its own stored text, in one transaction with whatever runs inside. Other
    connections never see the tables unguarded (the transaction holds the write lock),
    and an error inside rolls the drop back with everything else.

    Only for a deliberate wipe of the whole database (``kolaborasi flush``), which is an
    operator's act, not an edit of history."""
    if connection.vendor != "sqlite":
        raise RuntimeError("sqlite_guard_lifted is for SQLite (PostgreSQL's TRUNCATE fires no row trigger)")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s ORDER BY name",
            [f"{PREFIX}%"],
        )
        saved = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
        for name, _sql in saved:
            cursor.execute(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in saved:
            cursor.execute(sql)

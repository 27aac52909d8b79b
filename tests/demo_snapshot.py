"""The test database as the session set-up left it (migrations' rows and the Jakarta
demo), kept in memory once per test process, so that a transactional test — whose
teardown flushes every table — gets it back by copying rows instead of running the demo
import again (the registry, the boundaries' geometry, 2,731 RW imports: seconds of work
for every browser test).

The copy is exact, row ids included. Rows a database trigger writes while the copy goes
back in (the tally deltas of the needs, docs/decisions/0002-tally-triggers.md) are
replaced by the kept ones afterwards, so the copy is what the set-up left, not what the
triggers make of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

from tests.audit_support import guard_lifted

BATCH = 500


@dataclass
class Snapshot:
    # table → (columns, rows), in the order of ``connection.introspection``'s tables.
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = field(default_factory=dict)


# Taken by the session set-up (tests/conftest.py, django_db_setup).
SESSION: Snapshot | None = None


def _tables() -> dict[str, list[str]]:
    """Each model table with its stored columns (generated columns are computed by the
    database and cannot be written)."""
    known = set(connection.introspection.table_names())
    tables: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and meta.db_table in known:
            tables[meta.db_table] = [str(f.column) for f in meta.concrete_fields if not f.generated]
    return dict(sorted(tables.items()))


def take() -> Snapshot:
    snapshot = Snapshot()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, columns in _tables().items():
            names = ", ".join(quote(c) for c in columns)
            cursor.execute(f"SELECT {names} FROM {quote(table)}")  # noqa: S608 - names from the models
            snapshot.tables[table] = (columns, [tuple(row) for row in cursor.fetchall()])
    return snapshot


def _count(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
    return int(cursor.fetchone()[0])


def _insert(cursor: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
    for start in range(0, len(rows), BATCH):
        cursor.executemany(sql, rows[start : start + BATCH])


def restore(snapshot: Snapshot) -> None:
    """Make every table hold exactly the snapshot's rows. What a flush leaves behind (the
    content types and permissions its post_migrate handlers write again) and anything
    else is replaced, so ask for the demo before any fixture that writes rows. The audit
    tables are append-only (kolaborasi.audit.guard): putting a whole database back is a
    restore, done with their guard lifted."""
    quote = connection.ops.quote_name
    with transaction.atomic(), guard_lifted(), connection.cursor() as cursor:
        # Foreign keys are checked at commit (Django creates them deferrable), so the
        # order of the tables does not matter.
        for table in snapshot.tables:
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - a table name from the models
        for table, (columns, rows) in snapshot.tables.items():
            _insert(cursor, table, columns, rows)
        for table, (columns, rows) in snapshot.tables.items():
            if _count(cursor, table) != len(rows):  # written by a trigger meanwhile
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
                _insert(cursor, table, columns, rows)
        # PostgreSQL's sequences continue after the restored ids (SQLite needs nothing).
        models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)

"""Tampering with the audit log the way whoever owns the database could: with the
append-only guard (kolaborasi.audit.guard) lifted. The application itself never does
this; tests do, to prove that ``audit verify`` still notices what such a person changed.

On PostgreSQL the owner of a table can switch its triggers off (``ALTER TABLE … DISABLE
TRIGGER``, which the application's role cannot: it does not own the tables); on SQLite,
which has no such switch, the triggers are dropped and created again. Either way only
inside one transaction: whatever runs inside commits or rolls back with the guard's
return.

Also: a few audited events to build chains from (``need_change_events``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.guard import PREFIX, sqlite_guard_lifted
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.services import audit_record


@contextmanager
def guard_lifted() -> Iterator[None]:
    if connection.vendor != "postgresql":
        with sqlite_guard_lifted(connection):
            yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [PREFIX])
        guarded = [str(table) for (table,) in cursor.fetchall()]
        for table in guarded:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {PREFIX}")
        yield
        for table in guarded:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {PREFIX}")


def need_change_events(personas, n: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    """``n`` audited need changes by the operator oki, in one transaction."""
    oki = personas["oki"]
    with transaction.atomic():
        return [
            audit_record(
                actor=oki.user,
                organisation=oki.organisation,
                action=AuditAction.NEED_CHANGED,
                object_type="t",
                object_id=i,
                before={"quantity": i},
                after={"quantity": i + 1},
            )
            for i in range(n)
        ]

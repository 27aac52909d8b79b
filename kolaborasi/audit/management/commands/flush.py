"""`kolaborasi flush`: Django's flush, which also empties the append-only audit tables.

A wipe of the whole database is a deliberate operator's act (and the test-suite's reset
between transactional tests), not an edit of history. On SQLite, Django's flush is a
DELETE FROM per table, which the audit tables' guard refuses: the guard is lifted for
exactly those statements and put back in the same transaction
(``kolaborasi.audit.guard.sqlite_guard_lifted``). On PostgreSQL the flush is one TRUNCATE,
which fires no row trigger, so nothing changes there. Everything else (the prompt, the
options, the post-migrate signal) is Django's own."""

from collections.abc import Iterable
from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from kolaborasi.audit.guard import sqlite_guard_lifted


class Command(flush.Command):
    help = flush.Command.help + " The audit log's append-only guard is lifted for the wipe only."

    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        # Django's handle runs its statements through this connection's
        # ``ops.execute_sql_flush``: wrapping that one call (on this connection object, for
        # this command only) lifts the guard around the wipe and nothing else, after the
        # operator's "yes" and with Django's own error message if it fails.
        ops = connection.ops
        execute = ops.execute_sql_flush

        def execute_guard_lifted(sql_list: Iterable[str]) -> None:
            with sqlite_guard_lifted(connection):
                execute(sql_list)

        ops.execute_sql_flush = execute_guard_lifted  # type: ignore[method-assign]
        try:
            super().handle(**options)
        finally:
            del ops.execute_sql_flush

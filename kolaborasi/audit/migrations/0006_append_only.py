"""The database refuses UPDATE and DELETE of audit events (``kolaborasi.audit.guard``):
a row-level trigger on PostgreSQL and on SQLite. Events are only ever inserted.

This runs the guard module's current SQL. If ``guard.install`` ever comes to need a
later schema, first copy its present text into this file, so that a fresh database
migrates through the schema this migration was written for."""

from typing import Any

from django.db import migrations

from kolaborasi.audit import guard

TABLE = "audit_auditevent"


def forward(apps: Any, schema_editor: Any) -> None:
    guard.install(schema_editor.connection, TABLE)


def backward(apps: Any, schema_editor: Any) -> None:
    guard.remove(schema_editor.connection, TABLE, last=True)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_plain_actor_and_organisation")]

    operations = [migrations.RunPython(forward, backward)]

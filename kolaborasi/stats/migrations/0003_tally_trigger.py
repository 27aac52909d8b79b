"""The trigger that appends a ``TallyDelta`` for every change of a need's counters, and
the totals computed once from the needs already there (``kolaborasi.stats.tally``).

This runs the module's current SQL. If ``tally.TRIGGER_SQL`` or ``tally.rebuild`` ever
come to need a later schema, first copy their present text into this file, so that a
fresh database migrates through the schema this migration was written for."""

from typing import Any

from django.db import migrations

from kolaborasi.stats import tally


def forward(apps: Any, schema_editor: Any) -> None:
    tally.install_trigger(schema_editor.connection)
    tally.rebuild(schema_editor.connection)


def backward(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cur:
        for sql in tally.DROP_TRIGGER_SQL[schema_editor.connection.vendor]:
            cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0002_tally"),
        ("targets", "0004_need_target_cover_institution_idx"),
    ]

    operations = [migrations.RunPython(forward, backward)]

"""The trigger that appends a ``TallyDelta`` for every change of a need's counters, and
the totals computed once from the needs already there (``kolaborasi.stats.tally``).

This runs the SQL of that time (``_tally_0003``, a frozen copy): stats 0005 gave the
totals a campaign and installs the module's current SQL."""

from typing import Any

from django.db import migrations

from kolaborasi.stats.migrations import _tally_0003 as tally


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

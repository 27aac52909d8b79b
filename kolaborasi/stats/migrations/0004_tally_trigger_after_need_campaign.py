"""targets 0007–0009 rebuild ``targets_need`` on SQLite (a new required column and a new
unique constraint), which drops the tally triggers with the old table: install them
again. On PostgreSQL the trigger survives and this replaces it with itself."""

from typing import Any

from django.db import migrations

from kolaborasi.stats.migrations import _tally_0003 as tally


def forward(apps: Any, schema_editor: Any) -> None:
    tally.install_trigger(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_tally_trigger"),
        ("targets", "0010_need_campaign_required"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

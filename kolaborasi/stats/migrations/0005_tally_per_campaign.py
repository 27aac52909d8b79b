"""The running totals get a campaign: each campaign's public figures are its own
(``kolaborasi.stats.tally``). The old trigger goes first, the totals are emptied, the
tables get their campaign column (``TargetLive`` is keyed by campaign and target now),
and then the trigger of ``tally.TRIGGER_SQL`` is installed and the totals recomputed
from the needs, which already carry their campaign (targets 0007–0010).

This runs the module's current SQL. If ``tally.TRIGGER_SQL`` or ``tally.rebuild`` ever
come to need a later schema, first copy their present text into a frozen module here
(as ``_tally_0003`` holds the text of 0003 and 0004)."""

from typing import Any

from django.db import migrations, models

from kolaborasi.stats import tally
from kolaborasi.stats.migrations import _tally_0003


def drop_old_trigger(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cur:
        for sql in _tally_0003.DROP_TRIGGER_SQL[schema_editor.connection.vendor]:
            cur.execute(sql)
        for table in ("stats_tallydelta", "stats_targetlive", "stats_tally"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names


def install_new_trigger(apps: Any, schema_editor: Any) -> None:
    tally.install_trigger(schema_editor.connection)
    tally.rebuild(schema_editor.connection)


def drop_new_trigger(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cur:
        for sql in tally.DROP_TRIGGER_SQL[schema_editor.connection.vendor]:
            cur.execute(sql)
        for table in ("stats_tallydelta", "stats_targetlive", "stats_tally"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names


def install_old_trigger(apps: Any, schema_editor: Any) -> None:
    _tally_0003.install_trigger(schema_editor.connection)
    _tally_0003.rebuild(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0004_tally_trigger_after_need_campaign"),
    ]

    operations = [
        migrations.RunPython(drop_old_trigger, install_old_trigger),
        migrations.AddField(
            model_name="tallydelta",
            name="campaign_id",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RemoveConstraint(
            model_name="tally",
            name="stats_tally_one_per_village_aid",
        ),
        migrations.AddField(
            model_name="tally",
            name="campaign_id",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="tally",
            constraint=models.UniqueConstraint(
                fields=("campaign_id", "village_code", "aid_type_id"),
                name="stats_tally_one_per_campaign_village_aid",
            ),
        ),
        migrations.AddIndex(
            model_name="tally",
            index=models.Index(fields=["village_code"], name="stats_tally_village_idx"),
        ),
        migrations.DeleteModel(name="TargetLive"),
        migrations.CreateModel(
            name="TargetLive",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("campaign_id", models.BigIntegerField()),
                ("target_id", models.BigIntegerField()),
                ("live_needs", models.IntegerField(default=0)),
                ("kind", models.CharField(max_length=20)),
                ("village_code", models.CharField(max_length=24)),
                ("district_code", models.CharField(max_length=24)),
                ("city_code", models.CharField(max_length=24)),
                ("province_code", models.CharField(max_length=24)),
            ],
            options={
                "db_table": "stats_targetlive",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign_id", "target_id"), name="stats_targetlive_one_per_campaign"
                    )
                ],
                "indexes": [models.Index(fields=["target_id"], name="stats_targetlive_target_idx")],
            },
        ),
        migrations.RunPython(install_new_trigger, drop_new_trigger),
    ]

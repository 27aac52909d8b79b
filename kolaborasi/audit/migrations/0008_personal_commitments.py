"""Personal data as keyed commitments (``kolaborasi.audit.personal``): the deletable
tables of keys and values beside the chain, and each event's digest version. Events
written before keep version 1 and verify exactly as before: nothing of them is
rewritten (adding the column fills it without an UPDATE of any row).

On SQLite, adding a column with a default rebuilds the events table, which drops its
append-only triggers with the old table: they are installed again here
(``kolaborasi.audit.guard``), in the same migration."""

from typing import Any

from django.db import migrations, models

from kolaborasi.audit import guard

TABLE = "audit_auditevent"


def guard_again(apps: Any, schema_editor: Any) -> None:
    guard.install(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_signed_head"),
    ]

    operations = [
        # Reversed, this runs last: after the column's removal rebuilt the table again.
        migrations.RunPython(migrations.RunPython.noop, guard_again),
        migrations.CreateModel(
            name="AuditPersonalValue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("commitment", models.CharField(db_index=True, max_length=80)),
                ("subject", models.CharField(db_index=True, max_length=80)),
                ("value", models.JSONField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "Data pribadi audit",
                "verbose_name_plural": "Data pribadi audit",
            },
        ),
        migrations.CreateModel(
            name="AuditPersonKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("subject", models.CharField(db_index=True, max_length=80)),
                ("key", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "Kunci data pribadi audit",
                "verbose_name_plural": "Kunci data pribadi audit",
            },
        ),
        migrations.AddField(
            model_name="auditevent",
            name="digest_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(guard_again, migrations.RunPython.noop),
    ]

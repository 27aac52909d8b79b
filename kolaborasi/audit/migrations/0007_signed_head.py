"""Signed heads of the audit chain (``AuditSignedHead``), append-only like the events:
the same guard (``kolaborasi.audit.guard``, installed for the events by 0006) refuses
UPDATE and DELETE of their rows."""

from typing import Any

from django.db import migrations, models

from kolaborasi.audit import guard

TABLE = "audit_auditsignedhead"


def forward(apps: Any, schema_editor: Any) -> None:
    guard.install(schema_editor.connection, TABLE)


def backward(apps: Any, schema_editor: Any) -> None:
    guard.remove(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_append_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSignedHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField()),
                ("signature", models.CharField(max_length=88)),
            ],
            options={
                "verbose_name": "Kepala rantai bertanda tangan",
                "verbose_name_plural": "Kepala rantai bertanda tangan",
                "ordering": ["id"],
                "indexes": [models.Index(fields=["seq"], name="audit_audit_seq_3817e0_idx")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("seq__gte", 0)), name="audit_signed_head_seq")
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]

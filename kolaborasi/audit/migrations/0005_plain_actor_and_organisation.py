"""An event's actor and organisation become plain ids instead of foreign keys.

The link hash covers ``actor_id`` and ``organisation_id``; as foreign keys with
``on_delete=SET_NULL`` a deleted user or organisation rewrote them and the chain then
reported the event as edited. The columns keep their names, types and values (the
user's id is an ``integer``, the organisation's a ``bigint``), so every existing event
hashes exactly as before; only the foreign-key constraints are dropped. The indexes the
foreign keys had stay, now as the fields' own ``db_index``."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0004_indonesian_admin_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # First drop the constraints (the columns and their values stay as they are)...
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        # ...then tell Django the same columns are plain integers: nothing to do in the
        # database, whose columns already are exactly that.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="auditevent", name="actor"),
                migrations.RemoveField(model_name="auditevent", name="organisation"),
                migrations.AddField(
                    model_name="auditevent",
                    name="actor_id",
                    field=models.IntegerField(blank=True, db_index=True, null=True),
                ),
                migrations.AddField(
                    model_name="auditevent",
                    name="organisation_id",
                    field=models.BigIntegerField(blank=True, db_index=True, null=True),
                ),
            ],
            database_operations=[],
        ),
    ]

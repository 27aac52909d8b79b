"""Fair holds: which pledges count, and the running count per organisation."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organisation_suspension"),
        ("pledges", "0002_idempotency_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="pledge",
            name="capped",
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.CreateModel(
            name="OrganisationHold",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="hold",
                        serialize=False,
                        to="accounts.organisation",
                    ),
                ),
                ("held", models.PositiveIntegerField(default=0)),
                ("limit", models.PositiveIntegerField(default=0)),
                ("suspended", models.BooleanField(default=False)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("held__lte", models.F("limit"))), name="hold_within_limit"
                    )
                ],
            },
        ),
    ]

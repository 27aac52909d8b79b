"""Needs belong to a campaign: the column, empty until 0008 fills it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("targets", "0007_indonesian_admin_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="need",
            name="accepting",
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name="need",
            name="campaign",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="needs",
                to="campaigns.campaign",
            ),
        ),
    ]

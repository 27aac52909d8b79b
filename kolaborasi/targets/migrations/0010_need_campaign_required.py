"""Every need now has its campaign (0008): the column becomes required, and a target has
one need per aid type in each campaign instead of one in all. Separate from 0008 because
PostgreSQL refuses to alter a table with foreign-key checks still pending in the same
transaction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0009_needs_into_one_campaign"),
    ]

    operations = [
        migrations.AlterField(
            model_name="need",
            name="campaign",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="needs", to="campaigns.campaign"
            ),
        ),
        migrations.RemoveConstraint(model_name="need", name="need_unique_per_aid_type"),
        migrations.AddConstraint(
            model_name="need",
            constraint=models.UniqueConstraint(
                fields=("campaign", "target", "aid_type"), name="need_unique_per_campaign_aid_type"
            ),
        ),
    ]

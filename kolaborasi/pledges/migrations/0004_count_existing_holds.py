"""Pledges paid from an aggregator's balance do not count toward hold limits; every
organisation's hold row starts at what its live pledges already hold undelivered (its
limit set to the same, so the check holds until its next pledge applies today's limit)."""

from django.db import migrations
from django.db.models import F, Sum


def count_holds(apps, schema_editor):
    Pledge = apps.get_model("pledges", "Pledge")
    PledgeFunding = apps.get_model("funds", "PledgeFunding")
    OrganisationHold = apps.get_model("pledges", "OrganisationHold")
    funded = PledgeFunding.objects.values("pledge_id")
    Pledge.objects.filter(pk__in=funded).update(capped=False)
    rows = (
        Pledge.objects.filter(status__in=["committed", "delivered", "confirmed"], capped=True)
        .values("organisation_id")
        .annotate(units=Sum(F("quantity") - F("released") - F("delivered")))
    )
    OrganisationHold.objects.bulk_create(
        [
            OrganisationHold(organisation_id=r["organisation_id"], held=r["units"], limit=r["units"])
            for r in rows
            if r["units"]
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0003_organisation_hold_and_capped_pledges"),
        ("funds", "0002_pledge_funding_refunded"),
    ]

    operations = [migrations.RunPython(count_holds, migrations.RunPython.noop)]

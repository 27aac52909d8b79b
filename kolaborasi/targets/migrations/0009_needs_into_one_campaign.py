"""Every need that existed before campaigns becomes part of one open campaign, "Program
bantuan", so every figure, API call and page keeps answering as before: its area is the
provinces of the targets with needs, its aid types those of the needs and every active
one (each in its own unit), its start the earliest date of the needs' data. On an empty
database nothing is created: the first import (or the demo) opens the first campaign
(campaigns.services.campaign_for_new_needs)."""

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import Min

NAME = "Program bantuan"
SLUG = "program-bantuan"
DESCRIPTION = "Semua kebutuhan yang tercatat sebelum ada program terpisah."


def into_one_campaign(apps: Any, schema_editor: Any) -> None:
    Need = apps.get_model("targets", "Need")
    if not Need.objects.exists():
        return
    Target = apps.get_model("targets", "Target")
    AidType = apps.get_model("targets", "AidType")
    Region = apps.get_model("regions", "Region")
    Campaign = apps.get_model("campaigns", "Campaign")
    CampaignAidType = apps.get_model("campaigns", "CampaignAidType")
    start = (
        Need.objects.aggregate(first=Min("as_of"))["first"]
        or Target.objects.aggregate(first=Min("as_of"))["first"]
        or dt.date.today()
    )
    campaign = Campaign.objects.create(
        name=NAME, slug=SLUG, description=DESCRIPTION, start=start, status="open", need_rule="households"
    )
    provinces = Target.objects.filter(needs__isnull=False).values_list("province_code", flat=True).distinct()
    campaign.regions.set(Region.objects.filter(code__in=set(provinces)))
    aid_ids = set(Need.objects.values_list("aid_type_id", flat=True).distinct())
    aid_ids |= set(AidType.objects.filter(active=True).values_list("pk", flat=True))
    CampaignAidType.objects.bulk_create(
        [
            CampaignAidType(campaign=campaign, aid_type=aid, unit=aid.unit)
            for aid in AidType.objects.filter(pk__in=aid_ids).order_by("pk")
        ]
    )
    Need.objects.update(campaign=campaign, accepting=True)


def back(apps: Any, schema_editor: Any) -> None:
    apps.get_model("targets", "Need").objects.update(campaign=None)


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0008_need_campaign"),
        ("campaigns", "0001_initial"),
    ]

    operations = [migrations.RunPython(into_one_campaign, back)]

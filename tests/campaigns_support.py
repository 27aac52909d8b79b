"""Campaigns for the tests that need more than the demo's one open campaign: a second
open campaign over places the demo's campaign covers too, and a draft one. The demo's
own campaign is ``tests.pledges_support.open_campaign`` (while it is the only open one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.targets.campaigns import campaign_start
from tests.personas import RATNA_RW

# The kelurahan (Cipulir) of ratna's RW.
CIPULIR = "31.74.05.1003"


def second_campaign(
    name: str = "Tanggap Banjir",
    region_codes: Sequence[str] = (RATNA_RW,),
    aid_types: Sequence[str] = ("sembako",),
    start: dt.date = dt.date(2026, 12, 1),
) -> Campaign:
    """A second open campaign, with one need per target and aid type in ``region_codes``
    (the same RWs as the demo's campaign, so the two compete for the same places)."""
    return campaign_start(
        actor=None, name=name, region_codes=list(region_codes), aid_type_slugs=list(aid_types), start=start
    )


def draft_campaign(name: str = "Program Draf", slug: str = "program-draf") -> Campaign:
    """A campaign not opened yet (no needs)."""
    return Campaign.objects.create(
        name=name, slug=slug, start=dt.date(2026, 12, 1), status=CampaignStatus.DRAFT
    )

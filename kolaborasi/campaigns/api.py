"""Campaigns in the public API (a public contract: README, "API"): the list a client
picks a campaign from, for the ``campaign`` of a pledge and the ``campaign=SLUG``
filters. Public, no token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from .models import CampaignStatus
from .selectors import campaigns_public

router = Router(tags=["campaigns"])


class CampaignAidTypeOut(Schema):
    slug: str = Field(description="the aid type's slug (as in pledges)")
    unit: str = Field(description="the unit the campaign counts it in")


class CampaignOut(Schema):
    id: int
    slug: str
    name: str
    status: CampaignStatus
    start: dt.date
    end: dt.date | None
    regions: list[str] = Field(description="codes of the regions the campaign covers")
    aid_types: list[CampaignAidTypeOut]


@router.get(
    "/campaigns", response={200: list[CampaignOut]}, summary="Campaigns (programmes), open and closed"
)
def campaign_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every campaign that is open or closed (drafts are not public), oldest first."""
    return campaigns_public()

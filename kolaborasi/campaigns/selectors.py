"""Reads of campaigns that more than one caller needs."""

from __future__ import annotations

from typing import Any

from .models import Campaign, CampaignStatus


def campaign_by_slug(slug: str) -> Campaign | None:
    return Campaign.objects.filter(slug=slug).first()


def open_campaigns() -> list[Campaign]:
    return list(Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("pk"))


def campaigns_public() -> list[dict[str, Any]]:
    """Every campaign that is not a draft, oldest first, as the API shows it: its area as
    region codes and its aid types with their units."""
    campaigns = (
        Campaign.objects.exclude(status=CampaignStatus.DRAFT)
        .order_by("pk")
        .prefetch_related("regions", "aid_types__aid_type")
    )
    return [
        {
            "id": c.pk,
            "slug": c.slug,
            "name": c.name,
            "status": c.status,
            "start": c.start,
            "end": c.end,
            "regions": sorted(r.code for r in c.regions.all()),
            "aid_types": [{"slug": a.aid_type.slug, "unit": a.unit} for a in c.aid_types.all()],
        }
        for c in campaigns
    ]

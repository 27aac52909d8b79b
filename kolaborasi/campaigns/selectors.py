"""Reads of campaigns that more than one caller needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

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


def _overlaps(code: str, other: str) -> bool:
    """Whether two regions (dotted codes) share ground: one is the other or lies in it."""
    return code == other or code.startswith(other + ".") or other.startswith(code + ".")


def public_campaign_by_slug(slug: str) -> Campaign | None:
    """A campaign the public may look at (open or closed; a draft is not public)."""
    return Campaign.objects.exclude(status=CampaignStatus.DRAFT).filter(slug=slug).first()


def campaign_for_area(region_code: str | None) -> Campaign | None:
    """The campaign the public figures, the exports, the weekly report, the map, the list
    and the dashboard show when nobody named one — the one rule for "which campaign by
    default" (docs/architecture.md, "Campaigns"):

    1. an open campaign whose area overlaps the place looked at (``region_code``; None is
       the whole country, which every campaign overlaps);
    2. else any open campaign;
    3. else (every campaign closed) a closed campaign overlapping the place, else any
       closed one;

    and among several at the same step the most recently started (``start``, then the
    latest created). None only when no campaign is public yet."""
    best: tuple[bool, bool, dt.date, int] | None = None
    chosen: Campaign | None = None
    for campaign in Campaign.objects.exclude(status=CampaignStatus.DRAFT).prefetch_related("regions"):
        covers = region_code is None or any(_overlaps(region_code, r.code) for r in campaign.regions.all())
        rank = (campaign.is_open, covers, campaign.start, campaign.pk)
        if best is None or rank > best:
            best, chosen = rank, campaign
    return chosen


def open_campaigns_over(region_code: str) -> list[Campaign]:
    """The open campaigns whose area overlaps ``region_code``, most recently started
    first (the candidates when a writer names no campaign for a place)."""
    campaigns = Campaign.objects.filter(status=CampaignStatus.OPEN).prefetch_related("regions")
    return [
        c
        for c in campaigns.order_by("-start", "-pk")
        if any(_overlaps(region_code, r.code) for r in c.regions.all())
    ]


def open_campaigns_public() -> list[Campaign]:
    """The open campaigns a visitor may switch between, most recently started first."""
    return list(Campaign.objects.filter(status=CampaignStatus.OPEN).order_by("-start", "-pk"))


# The query-string name of the campaign on the public pages (the API says ``campaign``).
PAGE_PARAM = "program"


def campaign_switch(
    current: Campaign | None, keep: dict[str, str], *, closed_too: bool = False
) -> dict[str, Any] | None:
    """What the campaign switcher of a public page shows: the open campaigns (and the
    closed ones when ``closed_too``, as the weekly report offers), the one shown now
    selected, and the page's other parameters (``keep``) carried as hidden fields. None
    when there is nothing to choose: one open campaign (and it is the one shown), so such
    a page looks as it did before campaigns."""
    statuses = [CampaignStatus.OPEN, CampaignStatus.CLOSED] if closed_too else [CampaignStatus.OPEN]
    choices = list(Campaign.objects.filter(status__in=statuses).order_by("-start", "-pk"))
    if current is not None and all(c.pk != current.pk for c in choices):
        choices.insert(0, current)
    if len(choices) < 2:
        return None
    return {
        "param": PAGE_PARAM,
        "choices": choices,
        "current": current.slug if current else "",
        "keep": [(k, v) for k, v in keep.items() if v and k != PAGE_PARAM],
    }


def page_campaign(slug: str | None, region_code: str | None) -> tuple[Campaign | None, str | None]:
    """The campaign a public page (map, list) shows for ``?program=SLUG`` over the area
    ``region_code``, and a refusal to show when the slug names no public campaign (the page
    then shows the default one, as ``campaign_for_area`` picks it, under that notice)."""
    slug = (slug or "").strip()
    if slug:
        campaign = public_campaign_by_slug(slug)
        if campaign is not None:
            return campaign, None
        refusal = _("Program %(slug)s tidak ditemukan; yang ditampilkan program yang berjalan.") % {
            "slug": slug[:60]
        }
        return campaign_for_area(region_code), refusal
    return campaign_for_area(region_code), None

"""Public read API for targets, needs and the finder (no token needed)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from pydantic import BaseModel, Field

from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.selectors import campaign_by_slug
from kolaborasi.core.api_contract import (
    AID_TYPE_DESCRIPTION,
    AID_TYPE_MAX,
    AID_TYPE_PATTERN,
    MAX_ID,
    REGION_CODE_MAX,
    REGION_CODE_PATTERN,
    TEXT_PATTERN,
    errors,
)
from kolaborasi.core.errors import Invalid, NotFound
from kolaborasi.core.freshness import cache_key, cached
from kolaborasi.regions.models import Region

from .finder import finder_suggestions
from .models import AidType, TargetKind
from .selectors import aid_type_get, target_get, targets_list

router = Router(tags=["targets"])

# The selectors' own values; a test keeps them equal.
Order = Literal["priority", "name"]
QUERY_MAX = 100
FINDER_MAX_QUANTITY = 10_000_000

RegionParam = Annotated[
    str | None,
    Query(
        None,
        max_length=REGION_CODE_MAX,
        # Empty means "everywhere", like leaving it out.
        pattern=r"^$|" + REGION_CODE_PATTERN,
        description="region code (any level); the region and everything under it; 404 when unknown",
        examples=["31.74"],
    ),
]
AidTypeParam = Annotated[
    str | None,
    Query(
        None,
        max_length=AID_TYPE_MAX,
        pattern=AID_TYPE_PATTERN,
        description=AID_TYPE_DESCRIPTION + "; 404 when unknown",
        examples=["sembako"],
    ),
]
CampaignParam = Annotated[
    str | None,
    Query(
        None,
        max_length=60,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        description="slug of a campaign (`GET /api/v1/campaigns`): only its needs count; 404 when unknown",
        examples=["program-bantuan"],
    ),
]
TargetId = Annotated[int, Path(ge=1, le=MAX_ID)]


class AidTypeOut(Schema):
    slug: str
    name: str
    unit: str


# The list and finder answers are built as plain dicts by the selectors, so their schemas
# are plain pydantic models: ninja's Schema would wrap every nested dict for attribute
# access (meant for ORM objects), which cost more than the whole database read of a page.


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class Coordinates(BaseModel):
    lat: float
    lng: float


class NeedOut(BaseModel):
    campaign: str = Field(description="slug of the campaign the need belongs to (`GET /api/v1/campaigns`)")
    aid_type: str = Field(description=AID_TYPE_DESCRIPTION)
    need: int
    committed: int
    delivered: int
    confirmed: int = Field(0, description="delivered units the receiving side confirmed")
    remaining: int
    over_committed: int = Field(
        0, description="units pledged beyond the need, after the need was lowered below them"
    )


class TargetOut(BaseModel):
    id: int
    kind: TargetKind
    name: str
    region: RegionRef
    size: int
    coordinates: Coordinates | None
    needs: list[NeedOut]
    synthetic: bool


class TargetPageOut(BaseModel):
    count: int
    items: list[TargetOut]


class SuggestionOut(BaseModel):
    targets: list[TargetOut]
    total_remaining: int


class FinderOut(BaseModel):
    suggestions: list[SuggestionOut]


@router.get("/aid-types", response=list[AidTypeOut], summary="Aid types (jenis bantuan)")
def list_aid_types(request: HttpRequest) -> list[AidType]:
    return list(AidType.objects.filter(active=True))


def _region(code: str | None) -> Region | None:
    if code is None or code == "":
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(_("Wilayah %(code)r tidak ditemukan.") % {"code": code})
    return region


def _aid_type(slug: str | None) -> AidType:
    aid = aid_type_get(slug)
    if aid is None:
        # Like an unknown region: the request is well formed, the thing it names is not here.
        raise NotFound(_("Jenis bantuan %(slug)r tidak dikenal.") % {"slug": slug}, field="aid_type")
    return aid


def _campaign(slug: str | None) -> Campaign | None:
    if slug is None:
        return None
    campaign = campaign_by_slug(slug)
    if campaign is None:
        raise NotFound(_("Program %(campaign)r tidak ada.") % {"campaign": slug}, field="campaign")
    return campaign


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def _answer(body: bytes) -> HttpResponse:
    # The cached body was validated against the documented schema when it was built;
    # a cache hit answers the stored bytes without a query or re-encoding.
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.get(
    "/targets",
    response={200: TargetPageOut, **errors(404)},
    summary="Targets (sasaran) in priority order",
)
def list_targets(
    request: HttpRequest,
    region: RegionParam = None,
    kind: TargetKind | None = None,
    aid_type: AidTypeParam = None,
    unmet: bool = False,
    order: Order = "priority",
    q: str = Query("", max_length=QUERY_MAX, pattern=TEXT_PATTERN, description="part of the target's name"),
    limit: int = Query(50, ge=1, le=settings.API_MAX_LIMIT),
    offset: int = Query(0, ge=0, le=10_000_000),
    campaign: CampaignParam = None,
) -> HttpResponse:
    """RWs and institutions under `region` (the code and everything under it).

    `order=priority` (default) ranks by the remaining need of `aid_type` (default: the
    primary aid type): lowest coverage (held ÷ need) first, then the largest remaining,
    then id; zero-need and fully covered targets come last. `unmet=true` keeps only
    targets with remaining > 0 for that aid type. `limit` is at most `API_MAX_LIMIT`
    (200 by default). In `needs`, `committed` counts every unit held by live pledges
    (delivered ones included) and `remaining` = max(need − committed, 0). `synthetic`
    marks demo data. `campaign=SLUG` ranks and shows only that campaign's needs. The
    answer may be up to 4.5 s old (a busy list is computed at most
    at most once every 2 s; see `kolaborasi.core.freshness`)."""
    # The schema's bound is the setting at start-up; the setting itself is the rule.
    if limit > settings.API_MAX_LIMIT:
        raise Invalid(_("Harus 1–%(max)s.") % {"max": settings.API_MAX_LIMIT}, field="limit")
    kind_value = kind.value if kind is not None else None

    def compute() -> bytes:
        page = targets_list(
            region=_region(region),
            kind=kind_value,
            aid_type=_aid_type(aid_type),
            unmet=unmet,
            order=order,
            q=q,
            limit=limit,
            offset=offset,
            campaign=_campaign(campaign),
        )
        return _json(TargetPageOut.model_validate({"count": page.count, "items": page.items}))

    key = cache_key("targets:list", region, kind_value, aid_type, unmet, order, q, limit, offset, campaign)
    return _answer(cached(key, compute))


@router.get(
    "/targets/{target_id}", response={200: TargetOut, **errors(404)}, summary="One target with its needs"
)
def get_target(request: HttpRequest, target_id: TargetId) -> dict[str, Any]:
    target = target_get(target_id)
    if target is None:
        raise NotFound(_("Sasaran %(id)s tidak ditemukan.") % {"id": target_id})
    return target


@router.get(
    "/finder",
    response={200: FinderOut, **errors(404)},
    summary="Where to take N units of one aid type",
)
def finder(
    request: HttpRequest,
    aid_type: str = Query(
        ...,
        max_length=AID_TYPE_MAX,
        pattern=AID_TYPE_PATTERN,
        description=AID_TYPE_DESCRIPTION + "; 404 when unknown",
        examples=["sembako"],
    ),
    quantity: int = Query(..., ge=1, le=FINDER_MAX_QUANTITY),
    region: RegionParam = None,
    campaign: CampaignParam = None,
) -> HttpResponse:
    """A single target in `region` whose remaining ≥ `quantity` (best priority first, up
    to 5); otherwise groups of targets within one kelurahan, then within one kecamatan,
    whose remaining adds up to `quantity` (least-served area first, members in priority
    order). Empty when no kecamatan in the area can absorb the quantity. Up to 4.5 s old,
    like the list."""

    def compute() -> bytes:
        suggestions = finder_suggestions(
            _aid_type(aid_type), quantity, _region(region), campaign=_campaign(campaign)
        )
        return _json(FinderOut.model_validate({"suggestions": suggestions}))

    return _answer(cached(cache_key("targets:finder", aid_type, quantity, region, campaign), compute))

"""Public read API for targets, needs and the finder (no token needed)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel

from kolaborasi.core.freshness import cache_key, cached
from kolaborasi.regions.models import Region

from .models import AidType
from .selectors import KINDS, ORDERS, aid_type_get, finder_suggestions, target_get, targets_list

router = Router(tags=["targets"])


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
    aid_type: str
    need: int
    committed: int
    delivered: int
    remaining: int


class TargetOut(BaseModel):
    id: int
    kind: str
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
        raise HttpError(404, f"Wilayah {code!r} tidak ditemukan (unknown region code)")
    return region


def _aid_type(slug: str | None) -> AidType:
    aid = aid_type_get(slug)
    if aid is None:
        raise HttpError(422, f"aid_type: jenis bantuan {slug!r} tidak dikenal (unknown aid type)")
    return aid


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def _answer(body: bytes) -> HttpResponse:
    # The cached body was validated against the documented schema when it was built;
    # a cache hit answers the stored bytes without a query or re-encoding.
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.get("/targets", response=TargetPageOut, summary="Targets (sasaran) in priority order")
def list_targets(
    request: HttpRequest,
    region: str | None = None,
    kind: str | None = None,
    aid_type: str | None = None,
    unmet: bool = False,
    order: str = "priority",
    q: str = "",
    limit: int = 50,
    offset: int = 0,
) -> HttpResponse:
    """RWs and institutions under `region` (the code and everything under it).

    `order=priority` (default) ranks by the remaining need of `aid_type` (default: the
    primary aid type): lowest coverage (held ÷ need) first, then the largest remaining,
    then id; zero-need and fully covered targets come last. `unmet=true` keeps only
    targets with remaining > 0 for that aid type. `limit` is at most `API_MAX_LIMIT`
    (200 by default). In `needs`, `committed` counts every unit held by live pledges
    (delivered ones included) and `remaining` = max(need − committed, 0). `synthetic`
    marks demo data. The answer may be up to 4.5 s old (a busy list is computed at most
    at most once every 2 s; see `kolaborasi.core.freshness`)."""
    if kind is not None and kind not in KINDS:
        raise HttpError(422, f"kind: {kind!r} tidak dikenal; pilih salah satu dari {', '.join(KINDS)}")
    if order not in ORDERS:
        raise HttpError(422, f"order: {order!r} tidak dikenal; pilih priority atau name")
    if limit < 1 or limit > settings.API_MAX_LIMIT:
        raise HttpError(422, f"limit: harus 1–{settings.API_MAX_LIMIT} (must be 1..{settings.API_MAX_LIMIT})")
    if offset < 0:
        raise HttpError(422, "offset: tidak boleh negatif (must not be negative)")
    q = q[:100]

    def compute() -> bytes:
        page = targets_list(
            region=_region(region),
            kind=kind,
            aid_type=_aid_type(aid_type),
            unmet=unmet,
            order=order,
            q=q,
            limit=limit,
            offset=offset,
        )
        return _json(TargetPageOut.model_validate({"count": page.count, "items": page.items}))

    key = cache_key("targets:list", region, kind, aid_type, unmet, order, q, limit, offset)
    return _answer(cached(key, compute))


@router.get("/targets/{target_id}", response=TargetOut, summary="One target with its needs")
def get_target(request: HttpRequest, target_id: int) -> dict[str, Any]:
    target = target_get(target_id)
    if target is None:
        raise HttpError(404, f"Sasaran {target_id} tidak ditemukan (unknown target id)")
    return target


@router.get("/finder", response=FinderOut, summary="Where to take N units of one aid type")
def finder(request: HttpRequest, aid_type: str, quantity: int, region: str | None = None) -> HttpResponse:
    """A single target in `region` whose remaining ≥ `quantity` (best priority first, up
    to 5); otherwise groups of targets within one kelurahan, then within one kecamatan,
    whose remaining adds up to `quantity` (least-served area first, members in priority
    order). Empty when no kecamatan in the area can absorb the quantity. Up to 4.5 s old,
    like the list."""
    if quantity < 1:
        raise HttpError(422, f"quantity: harus bilangan bulat positif, bukan {quantity} (must be ≥ 1)")

    def compute() -> bytes:
        suggestions = finder_suggestions(_aid_type(aid_type), quantity, _region(region))
        return _json(FinderOut.model_validate({"suggestions": suggestions}))

    return _answer(cached(cache_key("targets:finder", aid_type, quantity, region), compute))

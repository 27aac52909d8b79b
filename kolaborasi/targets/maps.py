"""The map's data: which level it colours, the choropleth of remaining need with the
institution markers, and the popup of one area."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Count, Q, Sum

from kolaborasi.campaigns.models import Campaign
from kolaborasi.regions.models import Boundary, Level, Region, below_q, level_of, parent_code

from .models import INSTITUTION_KINDS, AidType, Need, Target, TargetKind, region_column, within_q
from .selectors import aid_types_active, priority_needs, targets_serialise


def map_level(region: Region | None) -> str:
    """Which level the map colours under ``region``: villages for a kota or kecamatan (and
    for a province small enough to draw at once), RWs inside a village."""
    if region is None:
        return Level.CITY
    level = Level(region.level)
    if level == Level.PROVINCE:
        villages = Region.objects.below(region).filter(level=Level.VILLAGE).count()
        return Level.VILLAGE if villages <= 1500 else Level.CITY
    if level in (Level.CITY, Level.DISTRICT):
        return Level.VILLAGE
    return Level.RW


def map_default_region() -> Region | None:
    """The province to open the map on when only one province has targets (the demo)."""
    provinces = list(Target.objects.order_by().values_list("province_code", flat=True).distinct()[:2])
    if len(provinces) == 1:
        return Region.objects.filter(code=provinces[0]).first()
    return None


def _breaks(values: list[int]) -> list[int]:
    """Five class limits for the legend: rounded quantiles of the non-zero values."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    out: list[int] = []
    for share in (0.2, 0.4, 0.6, 0.8):
        value = positive[min(len(positive) - 1, int(share * len(positive)))]
        magnitude = 10 ** max(len(str(value)) - 2, 0)
        rounded = max(1, round(value / magnitude) * magnitude)
        if not out or rounded > out[-1]:
            out.append(rounded)
    return out


def _of(campaign: Campaign | None) -> Q:
    """The needs of one campaign (None: of every campaign)."""
    return Q(campaign=campaign) if campaign is not None else Q()


def map_data(
    aid_type: AidType, parent: Region | None, level: str, campaign: Campaign | None = None
) -> dict[str, Any]:
    """Choropleth data: one GeoJSON feature per area (at ``level``) under ``parent`` that
    has a boundary, with its remaining need of ``aid_type`` in ``campaign``, plus
    institution markers. Compact on purpose: geometry is the simplified shape stored at
    import."""
    column = region_column(level)
    needs = Need.objects.filter(_of(campaign), aid_type=aid_type).filter(within_q(parent, "target__"))
    if level == Level.RW:
        needs = needs.filter(target__kind=TargetKind.RW)
    sums = {
        row["target__" + column]: row
        for row in needs.values("target__" + column).annotate(
            rem=Sum("remaining"), qty=Sum("quantity"), held=Sum("held"), n=Count("id")
        )
    }
    boundaries = Boundary.objects.filter(region__level=level).select_related("region")
    if parent is not None:
        boundaries = boundaries.filter(below_q(parent, "region__"))
    rw_shapes: set[str | None] = set()
    if level == Level.VILLAGE:
        rw_codes = Boundary.objects.filter(region__level=Level.RW)
        if parent is not None:
            rw_codes = rw_codes.filter(below_q(parent, "region__"))
        rw_shapes = {parent_code(code) for code in rw_codes.values_list("region_id", flat=True)}
    features = []
    for boundary in boundaries.order_by("region_id"):
        row = sums.get(boundary.region_id, {})
        properties: dict[str, Any] = {
            "code": boundary.region_id,
            "name": boundary.region.name,
            "remaining": row.get("rem") or 0,
            "need": row.get("qty") or 0,
            "targets": row.get("n") or 0,
        }
        if boundary.region_id in rw_shapes:
            properties["rw"] = 1
        features.append({"type": "Feature", "properties": properties, "geometry": boundary.geometry})
    markers = []
    if level != Level.RW or parent is not None:
        institutions = (
            Need.objects.filter(
                _of(campaign),
                aid_type=aid_type,
                target__kind__in=INSTITUTION_KINDS,
                target__lat__isnull=False,
            )
            .filter(within_q(parent, "target__"))
            .values_list(
                "target_id", "target__kind", "target__lat", "target__lng", "remaining", "target__name"
            )
            .order_by("target_id")
        )
        # [id, kind, lat, lng, remaining, name]: the name labels the marker for keyboards
        # and screen readers, and the list of institutions under the map.
        markers = [
            [i, k, round(lat or 0, 5), round(lng or 0, 5), r, name]
            for i, k, lat, lng, r, name in institutions
        ]
    return {
        "aid_type": aid_type.slug,
        "campaign": campaign.slug if campaign else None,
        "parent": parent.code if parent else None,
        "level": level,
        "breaks": _breaks([f["properties"]["remaining"] for f in features]),
        "type": "FeatureCollection",
        "features": features,
        "markers": markers,
    }


def map_data_json(
    aid_type: AidType, parent: Region | None, level: str, campaign: Campaign | None = None
) -> tuple[bytes, str]:
    """Map data as compact JSON bytes and a strong ETag of its content."""
    body = json.dumps(map_data(aid_type, parent, level, campaign), separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def area_summary(region: Region, aid_type: AidType, campaign: Campaign | None = None) -> dict[str, Any]:
    """What a map popup shows for an area: where it is, households and residents, need /
    committed / delivered / remaining per aid type in ``campaign``, and its top targets by
    priority."""
    q = within_q(region, "target__") & _of(campaign)
    per_aid = []
    rows = {
        row["aid_type_id"]: row
        for row in Need.objects.filter(q, aid_type__active=True)
        .values("aid_type_id")
        .annotate(
            need=Sum("quantity"),
            committed=Sum("held"),
            delivered=Sum("delivered"),
            remaining=Sum("remaining"),
        )
    }
    for aid in aid_types_active():
        row: dict[str, Any] = dict(rows.get(aid.pk) or {})
        per_aid.append(
            {
                "aid_type": aid.slug,
                "aid_type_name": aid.name,
                "need": row.get("need") or 0,
                "committed": row.get("committed") or 0,
                "delivered": row.get("delivered") or 0,
                "remaining": row.get("remaining") or 0,
            }
        )
    sizes = Target.objects.within(region).aggregate(
        households=Sum("size", filter=Q(kind=TargetKind.RW)),
        residents=Sum("size", filter=~Q(kind=TargetKind.RW)),
        rws=Count("id", filter=Q(kind=TargetKind.RW)),
        institutions=Count("id", filter=~Q(kind=TargetKind.RW)),
    )
    path = dict(Region.objects.filter(code__in=region.lineage()).values_list("code", "name"))
    top = list(
        priority_needs(aid_type, region)
        .filter(_of(campaign), remaining__gt=0)
        .values_list("target_id", flat=True)[:3]
    )
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "path": [{"code": c, "name": path[c], "level": level_of(c)} for c in region.lineage() if c in path],
        "households": sizes["households"] or 0,
        "residents": sizes["residents"] or 0,
        "rws": sizes["rws"],
        "institutions": sizes["institutions"],
        "needs": per_aid,
        "top": targets_serialise(top, campaign=campaign),
        "synthetic": Target.objects.within(region).filter(synthetic=True).exists(),
    }


def boundaries_exist() -> bool:
    return Boundary.objects.exists()

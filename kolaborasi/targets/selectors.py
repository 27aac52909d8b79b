"""Public reads of targets and needs: the priority order, lists, the finder, map data.

Priority (one definition, used by the list, the API, the map and the finder)
-----------------------------------------------------------------------------
Priority is always *per aid type* (the aid type asked for, else ``PRIMARY_AID_TYPE``).
For a target's need of that aid type:

* ``remaining`` = max(need − held, 0), where ``held`` is the units held by live pledges
  (committed, delivered and confirmed; not the released remainder of cancelled or
  expired pledges);
* ``coverage`` = held ÷ need, capped at 1; a need with nothing remaining (fully covered,
  over-covered after a correction, or a need of zero) counts as 1.

Targets are ordered by

1. ``coverage`` ascending — the least-served households first, so aid spreads across
   neighbourhoods instead of piling onto the same streets;
2. ``remaining`` descending — among equally served targets, the one with more
   households still waiting comes first;
3. target ``id`` ascending — a deterministic tie-break, stable across pages.

Because a target with nothing remaining has coverage 1, zero-need and fully covered
targets always come last. Both ``coverage`` and ``remaining`` are stored generated
columns of ``Need`` with the index ``need_priority_idx`` = (aid_type, coverage,
-remaining, target), so "the next N by priority" is an index walk that does not grow
with the number of targets in the country.

Finder rule (``finder_suggestions``)
-------------------------------------
Given an aid type, a quantity N and an area:

1. *Single targets*: the targets in the area whose remaining ≥ N, best priority first
   (at most ``FINDER_MAX`` suggestions).
2. Otherwise *groups within one kelurahan*: villages in the area whose total remaining
   ≥ N, least-served village first (coverage of all the village's needs of that type,
   then larger remaining, then code). Each group takes the village's targets in
   priority order until their remaining adds up to N.
3. Otherwise the same with *kecamatan*.
4. Otherwise nothing: no single kecamatan can absorb N (ask for less, or a larger area).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Sum, Window
from django.utils.translation import gettext as _

from kolaborasi.regions.models import Boundary, Level, Region, level_of

from .models import INSTITUTION_KINDS, AidType, Need, Target, TargetKind

# The one priority order, as Need fields (see the module docstring).
PRIORITY: tuple[str, ...] = ("coverage", "-remaining", "target_id")
ORDERS = ("priority", "name")
FINDER_MAX = 5
KINDS = tuple(TargetKind.values)
# Stands for "some kota or smaller area" when choosing the plan of a ranked read.
_AREA = Region(code="", level=Level.VILLAGE)

# Which Target column holds "the code of the enclosing region at this level".
_REGION_COLUMN = {
    Level.PROVINCE: "province_code",
    Level.CITY: "city_code",
    Level.DISTRICT: "district_code",
    Level.VILLAGE: "village_id",
    Level.RW: "region_id",
}


def aid_types_active() -> list[AidType]:
    return list(AidType.objects.filter(active=True))


def aid_type_get(slug: str | None) -> AidType | None:
    """The active aid type with this slug; with no slug the primary one (or the first)."""
    if slug:
        return AidType.objects.filter(slug=slug, active=True).first()
    return (
        AidType.objects.filter(slug=settings.PRIMARY_AID_TYPE, active=True).first()
        or AidType.objects.filter(active=True).first()
    )


def region_q(region: Region | None, prefix: str = "") -> Q:
    """Targets in ``region`` or anywhere under it: one indexed equality on a copied code."""
    if region is None:
        return Q()
    return Q(**{prefix + _REGION_COLUMN[Level(region.level)]: region.code})


def priority_order(region: Region | None) -> list[Any]:
    """The PRIORITY order, written for the query plan that suits the area.

    Nationally or for a province, the best plan walks ``need_priority_idx`` in order and
    stops after one page. For a kota or smaller, walking the national index and
    discarding every need outside the area is slow (a kota holds ~0.2% of the country's
    RWs, so tens of thousands of index entries are read for one page), while reading the
    area's few thousand targets through the region indexes and sorting them is quick.
    Wrapping ``coverage`` in ``+ 0`` keeps the same order but stops PostgreSQL from
    choosing the index walk there."""
    if region is None or region.level == Level.PROVINCE:
        return list(PRIORITY)
    return [ExpressionWrapper(F("coverage") + 0.0, output_field=FloatField()).asc(), *PRIORITY[1:]]


def priority_needs(aid_type: AidType, region: Region | None = None) -> QuerySet[Need]:
    """Needs of one aid type in priority order (the base of every ranked read)."""
    needs = Need.objects.filter(aid_type=aid_type).filter(region_q(region, "target__"))
    return needs.order_by(*priority_order(region))


@dataclass
class TargetPage:
    count: int
    items: list[dict[str, Any]]
    aid_type: AidType


def targets_list(
    *,
    region: Region | None = None,
    kind: str | None = None,
    aid_type: AidType | None = None,
    unmet: bool = False,
    order: str = "priority",
    q: str = "",
    limit: int = 25,
    offset: int = 0,
) -> TargetPage:
    """Targets under ``region`` (``kind`` / ``unmet`` / name search ``q``), ordered by
    priority for ``aid_type`` (default: the primary aid type) or by name."""
    aid = aid_type or aid_type_get(None)
    if aid is None:
        raise ValueError("no active aid type")
    needs = Need.objects.filter(aid_type=aid).filter(region_q(region, "target__"))
    if kind:
        needs = needs.filter(target__kind=kind)
    if unmet:
        needs = needs.filter(remaining__gt=0)
    q = q.strip()
    if q:
        needs = needs.filter(Q(target__name__icontains=q) | Q(target__village__name__icontains=q))
    if order == "name":
        needs = needs.order_by("target__name", "target_id")
    else:
        needs = needs.order_by(*priority_order(region))
    if region is not None and region.level != Level.PROVINCE:
        # A kota or smaller: the area's needs are read and sorted anyway (see
        # priority_order), so the count rides along as a window over the same rows: one
        # pass instead of a second join over the whole area just to count it.
        page = needs.annotate(total=Window(Count("*"))).values_list("target_id", "total")
        rows = list(page[offset : offset + limit])
        count = rows[0][1] if rows else (needs.count() if offset else 0)
        ids = [target_id for target_id, _total in rows]
    else:
        # Nationally or for a province the page is an index walk that stops after one
        # page; a window count would force reading and sorting every need instead.
        count = needs.count()
        ids = list(needs.values_list("target_id", flat=True)[offset : offset + limit])
    return TargetPage(count=count, items=targets_serialise(ids), aid_type=aid)


_TARGET_FIELDS = (
    "id",
    "kind",
    "name",
    "size",
    "lat",
    "lng",
    "synthetic",
    "head_name",
    "address",
    "source",
    "as_of",
    "region_id",
    "region__name",
    "region__level",
    "region__centroid_lat",
    "region__centroid_lng",
    "village_id",
    "village__name",
    "district_code",
    "city_code",
)
_NEED_FIELDS = (
    "target_id",
    "quantity",
    "held",
    "delivered",
    "confirmed",
    "remaining",
    "aid_type__slug",
    "aid_type__name",
    "aid_type__unit",
)


def targets_serialise(ids: Iterable[int]) -> list[dict[str, Any]]:
    """Serialise targets (in the given order) with their needs per active aid type and
    the names of their kota / kecamatan / kelurahan. Three queries whatever the number
    of targets, reading plain rows (no model instances: a page of 200 targets would
    otherwise build ~1,800 of them)."""
    ids = list(ids)
    if not ids:
        return []
    targets = {row["id"]: row for row in Target.objects.filter(pk__in=ids).order_by().values(*_TARGET_FIELDS)}
    needs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for need in (
        Need.objects.filter(target_id__in=ids, aid_type__active=True)
        .order_by("aid_type__sort_order", "aid_type__slug")
        .values(*_NEED_FIELDS)
    ):
        needs[need["target_id"]].append(need)
    codes = {t["district_code"] for t in targets.values()} | {t["city_code"] for t in targets.values()}
    names = dict(Region.objects.filter(code__in=codes).order_by().values_list("code", "name"))
    return [target_dict(targets[i], needs[i], names) for i in ids if i in targets]


def need_dict(need: dict[str, Any]) -> dict[str, Any]:
    """One need (a row of ``_NEED_FIELDS``) as the API and the pages show it."""
    quantity, held = need["quantity"], need["held"]
    return {
        "aid_type": need["aid_type__slug"],
        "aid_type_name": need["aid_type__name"],
        "unit": need["aid_type__unit"],
        "need": quantity,
        # Units held by live pledges, delivered ones included (remaining = need - committed).
        "committed": held,
        "delivered": need["delivered"],
        "confirmed": need["confirmed"],
        "remaining": need["remaining"],
        "coverage": round(min(held / quantity, 1.0), 4) if quantity else 1.0,
    }


def target_dict(target: dict[str, Any], needs: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """One target (a row of ``_TARGET_FIELDS``) with its needs, as the API and pages show it."""
    coordinates = None
    if target["lat"] is not None and target["lng"] is not None:
        coordinates = {"lat": target["lat"], "lng": target["lng"]}
    elif target["region__centroid_lat"] is not None and target["region__centroid_lng"] is not None:
        coordinates = {"lat": target["region__centroid_lat"], "lng": target["region__centroid_lng"]}
    return {
        "id": target["id"],
        "kind": target["kind"],
        "kind_label": str(TargetKind(target["kind"]).label),
        "name": target["name"],
        "region": {
            "code": target["region_id"],
            "name": target["region__name"],
            "level": target["region__level"],
        },
        "size": target["size"],
        "coordinates": coordinates,
        "needs": [need_dict(n) for n in needs],
        "synthetic": target["synthetic"],
        "head_name": target["head_name"],
        "address": target["address"],
        "source": target["source"],
        "as_of": target["as_of"],
        "village": {"code": target["village_id"], "name": target["village__name"]},
        "district": {"code": target["district_code"], "name": names.get(target["district_code"], "")},
        "city": {"code": target["city_code"], "name": names.get(target["city_code"], "")},
    }


def target_get(target_id: int) -> dict[str, Any] | None:
    items = targets_serialise([target_id])
    return items[0] if items else None


# --- Finder -------------------------------------------------------------------------------


def _group(aid: AidType, column: str, code: str, quantity: int) -> tuple[list[int], int]:
    """Targets of one area in priority order until their remaining adds up to quantity."""
    ids: list[int] = []
    total = 0
    rows = (
        Need.objects.filter(aid_type=aid, remaining__gt=0, **{"target__" + column: code})
        .order_by(*priority_order(_AREA))
        .values_list("target_id", "remaining")
    )
    for target_id, remaining in rows.iterator(chunk_size=200):
        ids.append(target_id)
        total += remaining
        if total >= quantity:
            break
    return ids, total


def _area_groups(aid: AidType, region: Region | None, column: str, quantity: int) -> list[dict[str, Any]]:
    rows = (
        Need.objects.filter(aid_type=aid)
        .filter(region_q(region, "target__"))
        .values("target__" + column)
        .annotate(rem=Sum("remaining"), qty=Sum("quantity"))
        .filter(rem__gte=quantity)
    )
    areas = []
    for row in rows:
        qty, rem = row["qty"] or 0, row["rem"] or 0
        coverage = 1 - rem / qty if qty else 1.0
        areas.append((coverage, -rem, row["target__" + column]))
    areas.sort()
    names = dict(
        Region.objects.filter(code__in=[a[2] for a in areas[:FINDER_MAX]]).values_list("code", "name")
    )
    groups = []
    for _coverage, _rem, code in areas[:FINDER_MAX]:
        ids, total = _group(aid, column, code, quantity)
        groups.append(
            {
                "scope": "village" if column == "village_id" else "district",
                "area": {"code": code, "name": names.get(code, "")},
                "targets": targets_serialise(ids),
                "total_remaining": total,
            }
        )
    return groups


def finder_suggestions(
    aid_type: AidType, quantity: int, region_code: str | Region | None
) -> list[dict[str, Any]]:
    """Where to take ``quantity`` units of ``aid_type`` in the area (a code, or the Region
    when the caller has it already; see the module docstring for the rule). Raises
    Region.DoesNotExist for an unknown code."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if isinstance(region_code, Region):
        region: Region | None = region_code
    else:
        region = Region.objects.get(code=region_code) if region_code else None
    singles = list(
        priority_needs(aid_type, region)
        .filter(remaining__gte=quantity)
        .values_list("target_id", "remaining")[:FINDER_MAX]
    )
    if singles:
        items = targets_serialise([t for t, _ in singles])
        return [
            {"scope": "target", "area": None, "targets": [item], "total_remaining": remaining}
            for item, (_t, remaining) in zip(items, singles, strict=True)
        ]
    level = Level(region.level) if region else None
    if level in (None, Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.VILLAGE):
        groups = _area_groups(aid_type, region, "village_id", quantity)
        if groups:
            return groups
    if level in (None, Level.PROVINCE, Level.CITY, Level.DISTRICT):
        return _area_groups(aid_type, region, "district_code", quantity)
    return []


# --- Map data ------------------------------------------------------------------------------


def map_level(region: Region | None) -> str:
    """Which level the map colours under ``region``: villages for a kota or kecamatan (and
    for a province small enough to draw at once), RWs inside a village."""
    if region is None:
        return Level.CITY
    level = Level(region.level)
    if level == Level.PROVINCE:
        villages = Region.objects.filter(code__startswith=region.code + ".", level=Level.VILLAGE).count()
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


def map_data(aid_type: AidType, parent: Region | None, level: str) -> dict[str, Any]:
    """Choropleth data: one GeoJSON feature per area (at ``level``) under ``parent`` that
    has a boundary, with its remaining need of ``aid_type``, plus institution markers.
    Compact on purpose: geometry is the simplified shape stored at import."""
    column = {
        Level.PROVINCE: "province_code",
        Level.CITY: "city_code",
        Level.DISTRICT: "district_code",
        Level.VILLAGE: "village_id",
        Level.RW: "region_id",
    }[Level(level)]
    needs = Need.objects.filter(aid_type=aid_type).filter(region_q(parent, "target__"))
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
        boundaries = boundaries.filter(region__code__startswith=parent.code + ".")
    rw_shapes: set[str] = set()
    if level == Level.VILLAGE:
        rw_codes = Boundary.objects.filter(region__level=Level.RW)
        if parent is not None:
            rw_codes = rw_codes.filter(region__code__startswith=parent.code + ".")
        rw_shapes = {code.rsplit(".", 1)[0] for code in rw_codes.values_list("region_id", flat=True)}
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
                aid_type=aid_type, target__kind__in=INSTITUTION_KINDS, target__lat__isnull=False
            )
            .filter(region_q(parent, "target__"))
            .values_list("target_id", "target__kind", "target__lat", "target__lng", "remaining")
            .order_by("target_id")
        )
        markers = [[i, k, round(lat or 0, 5), round(lng or 0, 5), r] for i, k, lat, lng, r in institutions]
    return {
        "aid_type": aid_type.slug,
        "parent": parent.code if parent else None,
        "level": level,
        "breaks": _breaks([f["properties"]["remaining"] for f in features]),
        "type": "FeatureCollection",
        "features": features,
        "markers": markers,
    }


def map_data_json(aid_type: AidType, parent: Region | None, level: str) -> tuple[bytes, str]:
    """Map data as compact JSON bytes and a strong ETag of its content."""
    body = json.dumps(map_data(aid_type, parent, level), separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def area_summary(region: Region, aid_type: AidType) -> dict[str, Any]:
    """What a map popup shows for an area: where it is, households and residents, need /
    committed / delivered / remaining per aid type, and its top targets by priority."""
    q = region_q(region, "target__")
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
    sizes = Target.objects.filter(region_q(region)).aggregate(
        households=Sum("size", filter=Q(kind=TargetKind.RW)),
        residents=Sum("size", filter=~Q(kind=TargetKind.RW)),
        rws=Count("id", filter=Q(kind=TargetKind.RW)),
        institutions=Count("id", filter=~Q(kind=TargetKind.RW)),
    )
    path = dict(
        Region.objects.filter(code__in=[*region.ancestor_codes(), region.code]).values_list("code", "name")
    )
    top = list(
        priority_needs(aid_type, region).filter(remaining__gt=0).values_list("target_id", flat=True)[:3]
    )
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "path": [
            {"code": c, "name": path[c], "level": level_of(c)}
            for c in [*region.ancestor_codes(), region.code]
            if c in path
        ],
        "households": sizes["households"] or 0,
        "residents": sizes["residents"] or 0,
        "rws": sizes["rws"],
        "institutions": sizes["institutions"],
        "needs": per_aid,
        "top": targets_serialise(top),
        "synthetic": Target.objects.filter(region_q(region), synthetic=True).exists(),
    }


def boundaries_exist() -> bool:
    return Boundary.objects.exists()


# --- Pages -----------------------------------------------------------------------------


def region_path(region: Region | None) -> list[Region]:
    """The region and its ancestors, top first (breadcrumbs)."""
    if region is None:
        return []
    codes = [*region.ancestor_codes(), region.code]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def region_children_with_need(region: Region | None, aid_type: AidType) -> list[dict[str, Any]]:
    """The next level down (kota → kecamatan → kelurahan) with the remaining need of each
    — only regions that hold targets, for the drill-down of the list."""
    if region is None:
        column, level = "province_code", Level.PROVINCE
    else:
        level = Level(region.level)
        if level in (Level.VILLAGE, Level.RW):
            return []
        column = {Level.PROVINCE: "city_code", Level.CITY: "district_code", Level.DISTRICT: "village_id"}[
            level
        ]
    rows = (
        Need.objects.filter(aid_type=aid_type)
        .filter(region_q(region, "target__"))
        .values("target__" + column)
        .annotate(rem=Sum("remaining"), qty=Sum("quantity"), n=Count("id"))
        .order_by("target__" + column)
    )
    rows_list = list(rows)
    names = dict(
        Region.objects.filter(code__in=[r["target__" + column] for r in rows_list]).values_list(
            "code", "name"
        )
    )
    return [
        {
            "code": r["target__" + column],
            "name": names.get(r["target__" + column], r["target__" + column]),
            "remaining": r["rem"] or 0,
            "need": r["qty"] or 0,
            "targets": r["n"],
        }
        for r in rows_list
    ]


def target_pledgers(target_id: int) -> list[dict[str, Any]]:
    """Who has pledged to a target: organisation names and units per aid type, never a
    person's contact or a private person's name (docs/architecture.md, invariant 7): an
    individual donor shows as "Donatur perorangan", as in the open-data exports."""
    from kolaborasi.accounts.models import OrgSubtype
    from kolaborasi.pledges.models import LIVE_STATUSES, Pledge

    rows = (
        Pledge.objects.filter(target_id=target_id, status__in=LIVE_STATUSES)
        .values("organisation__name", "organisation__subtype", "aid_type__name")
        .annotate(quantity=Sum("quantity"), delivered=Sum("delivered"))
        .order_by("organisation__name", "aid_type__name")
    )
    return [
        {
            "organisation": (
                _("Donatur perorangan")
                if r["organisation__subtype"] == OrgSubtype.INDIVIDUAL
                else r["organisation__name"]
            ),
            "aid_type": r["aid_type__name"],
            "quantity": r["quantity"] or 0,
            "delivered": r["delivered"] or 0,
        }
        for r in rows
    ]


def finder_areas() -> list[dict[str, Any]]:
    """Kota and their kecamatan that hold targets, for the finder's area choice."""
    cities = sorted(set(Target.objects.order_by().values_list("city_code", flat=True).distinct()))
    districts = sorted(set(Target.objects.order_by().values_list("district_code", flat=True).distinct()))
    names = dict(Region.objects.filter(code__in=cities + districts).values_list("code", "name"))
    return [
        {
            "code": city,
            "name": names.get(city, city),
            "districts": [
                {"code": d, "name": names.get(d, d)} for d in districts if d.startswith(city + ".")
            ],
        }
        for city in cities
    ]

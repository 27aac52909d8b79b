from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from .models import Level, Region
from .selectors import region_children, region_descendant_counts

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: Level
    parent: str | None


class RegionDetailOut(RegionOut):
    children: int
    descendants: dict[str, int]


def _out(region: Region) -> dict[str, object]:
    return {"code": region.code, "name": region.name, "level": region.level, "parent": region.parent_id}


@router.get("/regions", response=list[RegionOut], summary="List regions (children of a parent)")
def list_regions(
    request: HttpRequest, parent: str | None = None, level: Level | None = None
) -> list[dict[str, object]]:
    """Without `parent`: the provinces. With `parent`: its direct children, or with
    `level` every descendant at that level (e.g. `parent=31&level=village`)."""
    parent_region = None
    if parent is not None:
        parent_region = Region.objects.filter(code=parent).first()
        if parent_region is None:
            raise HttpError(404, f"Wilayah {parent!r} tidak ditemukan (unknown region code)")
    elif level is not None and level != Level.PROVINCE:
        raise HttpError(422, "level tanpa parent hanya untuk province (give a parent for lower levels)")
    return [_out(r) for r in region_children(parent_region, level.value if level else None)]


@router.get("/regions/{code}", response=RegionDetailOut, summary="One region with its counts")
def get_region(request: HttpRequest, code: str) -> dict[str, object]:
    region = get_object_or_404(Region, code=code)
    return {
        **_out(region),
        "children": region.children.count(),
        "descendants": region_descendant_counts(region),
    }

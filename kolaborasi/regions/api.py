from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from kolaborasi.core.api_contract import REGION_CODE_MAX, REGION_CODE_PATTERN, errors
from kolaborasi.core.errors import Invalid, NotFound

from .models import Level, Region
from .selectors import region_children, region_descendant_counts

router = Router(tags=["regions"])

RegionCode = Annotated[str, Path(max_length=REGION_CODE_MAX, pattern=REGION_CODE_PATTERN, examples=["31.74"])]


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


@router.get(
    "/regions",
    response={200: list[RegionOut], **errors(404)},
    summary="List regions (children of a parent)",
)
def list_regions(
    request: HttpRequest,
    parent: str | None = Query(
        None,
        max_length=REGION_CODE_MAX,
        pattern=REGION_CODE_PATTERN,
        description="code of the parent region; 404 when unknown",
        examples=["31"],
    ),
    level: Level | None = None,
) -> list[dict[str, object]]:
    """Without `parent`: the provinces. With `parent`: its direct children, or with
    `level` every descendant at that level (e.g. `parent=31&level=village`). Without
    `parent`, `level` may only be `province` (422 otherwise)."""
    parent_region = None
    if parent is not None:
        parent_region = Region.objects.filter(code=parent).first()
        if parent_region is None:
            raise NotFound(_("Wilayah %(code)r tidak ditemukan.") % {"code": parent})
    elif level is not None and level != Level.PROVINCE:
        raise Invalid(_("Tanpa parent, level hanya boleh province."), field="level")
    return [_out(r) for r in region_children(parent_region, level.value if level else None)]


@router.get(
    "/regions/{code}", response={200: RegionDetailOut, **errors(404)}, summary="One region with its counts"
)
def get_region(request: HttpRequest, code: RegionCode) -> dict[str, object]:
    region = get_object_or_404(Region, code=code)
    return {
        **_out(region),
        "children": region.children.count(),
        "descendants": region_descendant_counts(region),
    }

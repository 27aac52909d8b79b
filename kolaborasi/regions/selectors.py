"""Reads of the region tree that more than one caller needs."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import DEPTH_BY_LEVEL, Level, Region


def region_children(parent: Region | None, level: str | None = None) -> QuerySet[Region]:
    """Direct children of ``parent`` (the provinces when None); with ``level``, every
    descendant at that level."""
    if parent is None:
        qs = Region.objects.filter(parent__isnull=True)
        if level:
            qs = Region.objects.filter(level=level)
        return qs.order_by("code")
    if level and DEPTH_BY_LEVEL[Level(level)] > DEPTH_BY_LEVEL[Level(parent.level)] + 1:
        return Region.objects.filter(code__startswith=parent.code + ".", level=level).order_by("code")
    qs = Region.objects.filter(parent=parent)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("code")


def region_descendant_counts(region: Region) -> dict[str, int]:
    """How many regions of each lower level lie under ``region``."""
    rows = Region.objects.filter(code__startswith=region.code + ".").values("level").annotate(n=Count("code"))
    counts = {row["level"]: row["n"] for row in rows}
    depth = DEPTH_BY_LEVEL[Level(region.level)]
    return {lvl.value: counts.get(lvl.value, 0) for lvl, d in DEPTH_BY_LEVEL.items() if d > depth}

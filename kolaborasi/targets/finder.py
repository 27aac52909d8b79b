"""The finder: where to take N units of an aid type in an area.

The rule (``finder_suggestions``), given an aid type, a quantity N and an area:

1. *Single targets*: the targets in the area whose remaining ≥ N, best priority first
   (at most ``FINDER_MAX`` suggestions).
2. Otherwise *groups within one kelurahan*: villages in the area whose total remaining
   ≥ N, ranked by the priority rule (``targets.priority``) applied to the village as a
   whole (the share of all its needs of that type no longer remaining, then larger
   remaining, then code). Each group takes the village's targets in
   priority order until their remaining adds up to N.
3. Otherwise the same with *kecamatan*.
4. Otherwise nothing: no single kecamatan can absorb N (ask for less, or a larger area).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from kolaborasi.campaigns.models import Campaign
from kolaborasi.regions.models import Level, Region

from .models import AidType, Need, region_column, within_q
from .priority import priority_key
from .selectors import priority_needs, priority_order, targets_serialise

FINDER_MAX = 5
# Stands for "some kota or smaller area" when choosing the plan of a ranked read.
_AREA = Region(code="", level=Level.VILLAGE)


def _without(needs: QuerySet[Need], target_id: int | None, campaign: Campaign | None) -> QuerySet[Need]:
    """``needs`` without the target ``target_id``, and only those of ``campaign`` if given."""
    if campaign is not None:
        needs = needs.filter(campaign=campaign)
    return needs if target_id is None else needs.exclude(target_id=target_id)


def _group(
    aid: AidType, column: str, code: str, quantity: int, exclude: int | None, campaign: Campaign | None
) -> tuple[list[int], int]:
    """Targets of one area in priority order until their remaining adds up to quantity."""
    ids: list[int] = []
    total = 0
    rows = (
        _without(
            Need.objects.filter(aid_type=aid, remaining__gt=0, **{"target__" + column: code}),
            exclude,
            campaign,
        )
        .order_by(*priority_order(_AREA))
        .values_list("target_id", "remaining")
    )
    for target_id, remaining in rows.iterator(chunk_size=200):
        ids.append(target_id)
        total += remaining
        if total >= quantity:
            break
    return ids, total


def _area_groups(
    aid: AidType,
    region: Region | None,
    column: str,
    quantity: int,
    exclude: int | None,
    campaign: Campaign | None,
) -> list[dict[str, Any]]:
    rows = (
        _without(Need.objects.filter(aid_type=aid).filter(within_q(region, "target__")), exclude, campaign)
        .values("target__" + column)
        .annotate(rem=Sum("remaining"), qty=Sum("quantity"))
        .filter(rem__gte=quantity)
    )
    areas = []
    for row in rows:
        qty, rem = row["qty"] or 0, row["rem"] or 0
        areas.append(priority_key(qty, qty - rem, row["target__" + column]))
    areas.sort()
    names = dict(
        Region.objects.filter(code__in=[a[2] for a in areas[:FINDER_MAX]]).values_list("code", "name")
    )
    groups = []
    for _coverage, _rem, code in areas[:FINDER_MAX]:
        ids, total = _group(aid, column, code, quantity, exclude, campaign)
        groups.append(
            {
                "scope": "village" if column == region_column(Level.VILLAGE) else "district",
                "area": {"code": code, "name": names.get(code, "")},
                "targets": targets_serialise(ids, campaign=campaign),
                "total_remaining": total,
            }
        )
    return groups


def finder_suggestions(
    aid_type: AidType,
    quantity: int,
    region_code: str | Region | None,
    *,
    exclude: int | None = None,
    campaign: Campaign | None = None,
) -> list[dict[str, Any]]:
    """Where to take ``quantity`` units of ``aid_type`` in the area (a code, or the Region
    when the caller has it already; see the module docstring for the rule), leaving out
    the target ``exclude`` (the one that just refused them), counting only the needs of
    ``campaign`` when one is given. Raises Region.DoesNotExist for an unknown code."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if isinstance(region_code, Region):
        region: Region | None = region_code
    else:
        region = Region.objects.get(code=region_code) if region_code else None
    singles = list(
        _without(
            priority_needs(aid_type, region).filter(remaining__gte=quantity), exclude, campaign
        ).values_list("target_id", "remaining")[:FINDER_MAX]
    )
    if singles:
        items = targets_serialise([t for t, _ in singles], campaign=campaign)
        return [
            {"scope": "target", "area": None, "targets": [item], "total_remaining": remaining}
            for item, (_t, remaining) in zip(items, singles, strict=True)
        ]
    level = Level(region.level) if region else None
    if level in (None, Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.VILLAGE):
        groups = _area_groups(aid_type, region, region_column(Level.VILLAGE), quantity, exclude, campaign)
        if groups:
            return groups
    if level in (None, Level.PROVINCE, Level.CITY, Level.DISTRICT):
        return _area_groups(aid_type, region, region_column(Level.DISTRICT), quantity, exclude, campaign)
    return []

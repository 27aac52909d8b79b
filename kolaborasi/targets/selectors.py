"""Public reads of targets and needs: the priority order, the list, one target, the
drill-down of the list, the home page's figures. The finder is in ``finder``, the map's
data in ``maps``.

Priority: the rule and its one home are ``targets.priority`` (used by the list, the
API, the map, the finder and the allocation planner). Here it is applied to querysets:
both ``coverage`` and ``remaining`` are stored generated columns of ``Need`` with the
index ``need_priority_idx`` = (aid_type, coverage, -remaining, target), so "the next N
by priority" is an index walk that does not grow with the number of targets in the
country.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Sum, Window
from django.utils.translation import gettext

from kolaborasi.audit.actions import AuditAction, names_of
from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.models import Campaign
from kolaborasi.regions.models import Level, Region, child_level

from .models import AidType, Need, Target, TargetKind, public_head, region_column, within_q
from .priority import PRIORITY as PRIORITY

ORDERS = ("priority", "name")
KINDS = tuple(TargetKind.values)


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
    needs = Need.objects.filter(aid_type=aid_type).filter(within_q(region, "target__"))
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
    campaign: Campaign | None = None,
) -> TargetPage:
    """Targets under ``region`` (``kind`` / ``unmet`` / name search ``q``), ordered by
    priority for ``aid_type`` (default: the primary aid type) or by name; with
    ``campaign``, by that campaign's needs only, and each target shows only those."""
    aid = aid_type or aid_type_get(None)
    if aid is None:
        raise ValueError("no active aid type")
    needs = Need.objects.filter(aid_type=aid).filter(within_q(region, "target__"))
    if campaign is not None:
        needs = needs.filter(campaign=campaign)
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
    return TargetPage(count=count, items=targets_serialise(ids, campaign=campaign), aid_type=aid)


_TARGET_FIELDS = (
    "id",
    "kind",
    "name",
    "size",
    "lat",
    "lng",
    "synthetic",
    "head_name",
    "head_name_public",
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
    "campaign__slug",
    "campaign__name",
)


def targets_serialise(ids: Iterable[int], *, campaign: Campaign | None = None) -> list[dict[str, Any]]:
    """Serialise targets (in the given order) with their needs per active aid type (of
    ``campaign`` only, when given) and the names of their kota / kecamatan / kelurahan.
    Three queries whatever the number of targets, reading plain rows (no model
    instances: a page of 200 targets would otherwise build ~1,800 of them)."""
    ids = list(ids)
    if not ids:
        return []
    targets = {row["id"]: row for row in Target.objects.filter(pk__in=ids).order_by().values(*_TARGET_FIELDS)}
    needs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    in_campaign = Q(campaign=campaign) if campaign is not None else Q()
    for need in (
        Need.objects.filter(in_campaign, target_id__in=ids, aid_type__active=True)
        .order_by("aid_type__sort_order", "aid_type__slug", "campaign_id")
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
        "campaign": need["campaign__slug"],
        "campaign_name": need["campaign__name"],
        "aid_type": need["aid_type__slug"],
        "aid_type_name": need["aid_type__name"],
        "unit": need["aid_type__unit"],
        "need": quantity,
        # Units held by live pledges, delivered ones included (remaining = need - committed).
        "committed": held,
        "delivered": need["delivered"],
        "confirmed": need["confirmed"],
        "remaining": need["remaining"],
        # Units pledged beyond the need: after the need was lowered below what pledges
        # already hold (pledges are never cancelled by it).
        "over_committed": max(held - quantity, 0),
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
        # Pages name each need's campaign only when the needs span several.
        "several_campaigns": len({n["campaign__slug"] for n in needs}) > 1,
        "synthetic": target["synthetic"],
        "head_name": public_head(
            kind=target["kind"],
            region_code=target["region_id"],
            head_name=target["head_name"],
            public=target["head_name_public"],
        ),
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


def latest_need_change(target_id: int) -> dict[str, Any] | None:
    """The target's last need correction (``targets.services.need_update``): when, from
    what size to what, and the reason given — read from its audit event, where the
    reason is written down."""
    event = (
        AuditEvent.objects.filter(
            action__in=names_of(AuditAction.NEED_CHANGED),
            object_type="targets.target",
            object_id=str(target_id),
        )
        .order_by("-seq")
        .values("created_at", "before", "after")
        .first()
    )
    if event is None:
        return None
    before, after = event["before"] or {}, event["after"] or {}
    return {
        "at": event["created_at"],
        "size_before": before.get("size"),
        "size_after": after.get("size"),
        "reason": after.get("reason", ""),
    }


# --- Pages -----------------------------------------------------------------------------


def region_path(region: Region | None) -> list[Region]:
    """The region and its ancestors, top first (breadcrumbs)."""
    if region is None:
        return []
    codes = region.lineage()
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def region_children_with_need(
    region: Region | None, aid_type: AidType, campaign: Campaign | None = None
) -> list[dict[str, Any]]:
    """The next level down (kota → kecamatan → kelurahan) with the remaining need of each
    (in ``campaign``, when given) — only regions that hold targets, for the drill-down of
    the list."""
    below = Level.PROVINCE if region is None else child_level(region.level)
    if below is None or below == Level.RW:
        return []
    column = region_column(below)
    rows = (
        Need.objects.filter(aid_type=aid_type, **({"campaign": campaign} if campaign is not None else {}))
        .filter(within_q(region, "target__"))
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


def home_summary() -> dict[str, int | bool]:
    """The figures of the home page: RWs, households, institutions, villages."""
    totals = Target.objects.aggregate(
        rws=Count("id", filter=Q(kind=TargetKind.RW)),
        institutions=Count("id", filter=~Q(kind=TargetKind.RW)),
        households=Sum("size", filter=Q(kind=TargetKind.RW)),
        synthetic=Count("id", filter=Q(synthetic=True)),
    )
    return {
        "rws": totals["rws"] or 0,
        "institutions": totals["institutions"] or 0,
        "households": totals["households"] or 0,
        "synthetic": bool(totals["synthetic"]),
        "villages": Region.objects.filter(level=Level.VILLAGE).count(),
    }


@dataclass
class CampaignNeeds:
    """One aid type's needs in a campaign, for the operators' list."""

    aid_type: AidType
    unit: str
    needs: int = 0
    quantity: int = 0
    held: int = 0
    remaining: int = 0

    @property
    def display_unit(self) -> str:
        return gettext(self.unit) if self.unit else self.unit


@dataclass
class CampaignRow:
    campaign: Campaign
    regions: list[Region]
    aid_types: list[CampaignNeeds]

    @property
    def needs(self) -> int:
        return sum(a.needs for a in self.aid_types)


def campaigns_for_operators() -> list[CampaignRow]:
    """Every campaign, drafts too, newest first, with its regions and, per aid type it
    collects, its needs' count and units needed, pledged (held by live pledges) and still
    open — one grouped read of the needs."""
    campaigns = list(
        Campaign.objects.order_by("-start", "-pk").prefetch_related("regions", "aid_types__aid_type")
    )
    totals: dict[tuple[int, int], dict[str, Any]] = {
        (row["campaign_id"], row["aid_type_id"]): dict(row)
        for row in Need.objects.filter(campaign__in=campaigns)
        .values("campaign_id", "aid_type_id")
        .annotate(needs=Count("pk"), quantity=Sum("quantity"), held=Sum("held"), remaining=Sum("remaining"))
    }
    rows = []
    for campaign in campaigns:
        aid_rows = []
        for collected in campaign.aid_types.all():
            figures = totals.get((campaign.pk, collected.aid_type_id), {})
            aid_rows.append(
                CampaignNeeds(
                    aid_type=collected.aid_type,
                    unit=collected.unit,
                    needs=figures.get("needs") or 0,
                    quantity=figures.get("quantity") or 0,
                    held=figures.get("held") or 0,
                    remaining=figures.get("remaining") or 0,
                )
            )
        regions = sorted(campaign.regions.all(), key=lambda r: r.code)
        rows.append(CampaignRow(campaign=campaign, regions=regions, aid_types=aid_rows))
    return rows

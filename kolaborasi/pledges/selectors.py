"""Reads about pledges that more than one caller needs."""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, public_name
from kolaborasi.campaigns.errors import CampaignChoiceNeeded
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.core.sql import table
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Need

from .models import LIVE_STATUSES, Pledge, progress_label, progress_labels, progress_of


def pledges_for_org(org: Organisation, *, status: str | None = None) -> QuerySet[Pledge]:
    qs = Pledge.objects.filter(organisation=org).select_related("target", "aid_type", "organisation", "need")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def target_pledgers(target_id: int) -> list[dict[str, Any]]:
    """Who has pledged to a target: organisation names and units per aid type, never a
    person's contact or a private person's name (docs/architecture.md, invariant 7): an
    individual donor shows as "Donatur perorangan", as in the open-data exports."""
    rows = (
        Pledge.objects.filter(target_id=target_id, status__in=LIVE_STATUSES)
        .values("organisation__name", "organisation__kind", "organisation__subtype", "aid_type__name")
        .annotate(
            # Before ``quantity`` is annotated, which would shadow the column.
            units_held=Sum(F("quantity") - F("released")),
            quantity=Sum("quantity"),
            delivered=Sum("delivered"),
            confirmed=Sum("confirmed"),
            disputed=Sum("disputed"),
        )
        .order_by("organisation__name", "aid_type__name")
    )
    return [_pledger(r) for r in rows]


def _pledger(row: Any) -> dict[str, Any]:
    held, delivered, confirmed, disputed = (
        row["units_held"] or 0,
        row["delivered"] or 0,
        row["confirmed"] or 0,
        row["disputed"] or 0,
    )
    progress = progress_of(held=held, delivered=delivered, confirmed=confirmed, disputed=disputed)
    return {
        "organisation": public_name(
            row["organisation__name"],
            row["organisation__kind"],
            row["organisation__subtype"],
            translated=True,
        ),
        "aid_type": row["aid_type__name"],
        "quantity": row["quantity"] or 0,
        "delivered": delivered,
        "confirmed": confirmed,
        "disputed": disputed,
        "progress": progress,
        "status": progress_label(progress, held=held, delivered=delivered, confirmed=confirmed),
        # What the page shows: a dispute beside what was already delivered or confirmed.
        "states": progress_labels(held=held, delivered=delivered, confirmed=confirmed, disputed=disputed),
    }


def need_for_pledge(target_id: int, aid_type: str, campaign: str | None = None) -> Need | None:
    """The need of ``target_id`` for the aid type with slug ``aid_type`` that a pledge
    goes to: in the campaign with slug ``campaign`` when one is named, else in the one
    open campaign that has such a need — CampaignChoiceNeeded naming them when several
    do. With none open, the latest campaign's need (the pledge service then says the
    campaign is closed). None when there is no such need. Only the columns a pledge
    needs (id, target, aid type, campaign), in one raw query — every API pledge starts
    here, and building the equivalent ORM query cost three times running it. The
    integers need no conversion on any backend, so the row becomes a Need directly."""
    with connection.cursor() as cursor:
        cursor.execute(_NEED_FOR_PLEDGE, [target_id, aid_type])
        rows = cursor.fetchall()
    if campaign is not None:
        rows = [r for r in rows if r[4] == campaign]
    elif len(rows) > 1:
        open_rows = [r for r in rows if r[6] == CampaignStatus.OPEN]
        if len(open_rows) > 1:
            raise CampaignChoiceNeeded([(r[4], r[5]) for r in open_rows])
        rows = open_rows or rows[-1:]
    if not rows:
        return None
    row = rows[0]
    need = Need(id=row[0], target_id=row[1], aid_type_id=row[2], campaign_id=row[3])
    need._state.adding, need._state.db = False, connection.alias
    return need


_NEED_FOR_PLEDGE = (
    f"SELECT n.id, n.target_id, n.aid_type_id, n.campaign_id, c.slug, c.name, c.status"  # noqa: S608
    f" FROM {table(Need)} n JOIN {table(AidType)} a ON a.id = n.aid_type_id"
    f" JOIN {table(Campaign)} c ON c.id = n.campaign_id"
    " WHERE n.target_id = %s AND a.slug = %s ORDER BY n.campaign_id"
)


def need_counters_recomputed(need_ids: list[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """(held, delivered, confirmed) per need, summed from its pledges (invariant 2 in
    docs/architecture.md):
    held = Σ(quantity − released), i.e. every unit not given back by cancel/expiry."""
    qs = Pledge.objects.all()
    if need_ids is not None:
        qs = qs.filter(need_id__in=need_ids)
    rows = qs.values("need_id").annotate(
        held_sum=Coalesce(Sum(F("quantity") - F("released")), 0),
        delivered_sum=Coalesce(Sum("delivered"), 0),
        confirmed_sum=Coalesce(Sum("confirmed"), 0),
    )
    return {r["need_id"]: (r["held_sum"], r["delivered_sum"], r["confirmed_sum"]) for r in rows}


def needs_with_drift(
    need_ids: list[int] | None = None,
) -> list[tuple[int, tuple[int, int, int], tuple[int, int, int]]]:
    """Needs whose stored counters differ from the recomputation: (id, stored, recomputed)."""
    recomputed = need_counters_recomputed(need_ids)
    qs = Need.objects.all()
    if need_ids is not None:
        qs = qs.filter(pk__in=need_ids)
    else:
        qs = qs.filter(Q(pk__in=list(recomputed)) | Q(held__gt=0) | Q(delivered__gt=0) | Q(confirmed__gt=0))
    drift = []
    for need_id, held, delivered, confirmed in qs.values_list("pk", "held", "delivered", "confirmed"):
        expected = recomputed.get(need_id, (0, 0, 0))
        if (held, delivered, confirmed) != expected:
            drift.append((need_id, (held, delivered, confirmed), expected))
    return drift


def over_covered_needs() -> QuerySet[Need]:
    """Needs lowered below what pledges already hold: shown to operators."""
    return (
        Need.objects.filter(held__gt=F("quantity"))
        .select_related("target", "aid_type")
        .order_by("target__region_id", "aid_type__sort_order")
    )


@dataclass
class AreaHoldFlag:
    organisation: Organisation
    village: Region
    aid_type: AidType
    units: int
    need: int

    @property
    def share(self) -> int:
        return self.units * 100 // self.need if self.need else 100


def area_hold_flags(share: int) -> list[AreaHoldFlag]:
    """Organisations holding, undelivered, more than ``share`` percent of one
    kelurahan's need of one aid type — what a hostile account parking holds looks like.
    For the operators' overview; two grouped reads."""
    held = list(
        Pledge.objects.filter(status__in=LIVE_STATUSES, quantity__gt=F("delivered") + F("released"))
        .values("organisation_id", "target__village_id", "aid_type_id")
        .annotate(units=Sum(F("quantity") - F("released") - F("delivered")))
    )
    if not held:
        return []
    villages = {r["target__village_id"] for r in held}
    needs = {
        (r["target__village_id"], r["aid_type_id"]): r["total"]
        for r in Need.objects.filter(target__village_id__in=villages)
        .values("target__village_id", "aid_type_id")
        .annotate(total=Sum("quantity"))
    }
    flagged = [
        r
        for r in held
        if r["units"] * 100 > share * needs.get((r["target__village_id"], r["aid_type_id"]), 0)
    ]
    orgs = Organisation.objects.in_bulk({r["organisation_id"] for r in flagged})
    regions = Region.objects.in_bulk({r["target__village_id"] for r in flagged})
    aid_types = AidType.objects.in_bulk({r["aid_type_id"] for r in flagged})
    out = [
        AreaHoldFlag(
            organisation=orgs[r["organisation_id"]],
            village=regions[r["target__village_id"]],
            aid_type=aid_types[r["aid_type_id"]],
            units=r["units"],
            need=needs.get((r["target__village_id"], r["aid_type_id"]), 0),
        )
        for r in flagged
    ]
    return sorted(out, key=lambda f: (-f.share, -f.units))[:200]


@dataclass
class BurstFlag:
    organisation: Organisation
    pledges: int  # the most pledges it made within the window
    at: dt.datetime  # when that burst ended


def burst_flags(count: int, seconds: int, *, now: dt.datetime | None = None) -> list[BurstFlag]:
    """Organisations that made more than ``count`` pledges within ``seconds`` during the
    last 24 hours — machine speed, not a person at a form."""
    since = (now or timezone.now()) - dt.timedelta(hours=24)
    window = dt.timedelta(seconds=seconds)
    best: dict[int, tuple[int, dt.datetime]] = {}
    recent: deque[dt.datetime] = deque()
    current = None
    recent_pledges = Pledge.objects.filter(created_at__gte=since)
    # Only organisations with enough pledges in the whole day can have a burst.
    candidates = list(
        recent_pledges.values("organisation_id")
        .annotate(n=Count("id"))
        .filter(n__gt=count)
        .values_list("organisation_id", flat=True)
    )
    rows = (
        recent_pledges.filter(organisation_id__in=candidates)
        .order_by("organisation_id", "created_at")
        .values_list("organisation_id", "created_at")
    )
    for org_id, created in rows.iterator(chunk_size=5000):
        if org_id != current:
            current, recent = org_id, deque()
        recent.append(created)
        while created - recent[0] > window:
            recent.popleft()
        if len(recent) > count and len(recent) > best.get(org_id, (0, created))[0]:
            best[org_id] = (len(recent), created)
    orgs = Organisation.objects.in_bulk(list(best))
    flags = [BurstFlag(orgs[pk], n, at) for pk, (n, at) in best.items()]
    return sorted(flags, key=lambda f: -f.pledges)[:200]


def hold_counts_recomputed() -> dict[int, int]:
    """Undelivered units of counted pledges per organisation, summed from the pledges:
    what every ``OrganisationHold.held`` must equal."""
    rows = (
        Pledge.objects.filter(status__in=LIVE_STATUSES, capped=True)
        .values("organisation_id")
        .annotate(units=Sum(F("quantity") - F("released") - F("delivered")))
    )
    return {r["organisation_id"]: r["units"] for r in rows if r["units"]}

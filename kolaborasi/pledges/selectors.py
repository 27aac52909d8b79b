"""Reads about pledges that more than one caller needs."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from kolaborasi.accounts.models import Organisation
from kolaborasi.core.sql import table
from kolaborasi.targets.models import AidType, Need

from .models import Pledge


def pledges_for_org(org: Organisation, *, status: str | None = None) -> QuerySet[Pledge]:
    qs = Pledge.objects.filter(organisation=org).select_related("target", "aid_type", "organisation")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def need_for_pledge(target_id: int, aid_type: str) -> Need | None:
    """The need of ``target_id`` for the aid type with slug ``aid_type``: only the columns
    a pledge needs (id, target, aid type), in one raw query — every API pledge starts
    here, and building the equivalent ORM query cost three times running it. The three
    integers need no conversion on any backend, so the row becomes a Need directly."""
    with connection.cursor() as cursor:
        cursor.execute(_NEED_FOR_PLEDGE, [target_id, aid_type])
        row = cursor.fetchone()
    if row is None:
        return None
    need = Need(id=row[0], target_id=row[1], aid_type_id=row[2])
    need._state.adding, need._state.db = False, connection.alias
    return need


_NEED_FOR_PLEDGE = (
    f"SELECT n.id, n.target_id, n.aid_type_id FROM {table(Need)} n"  # noqa: S608 (names only)
    f" JOIN {table(AidType)} a ON a.id = n.aid_type_id WHERE n.target_id = %s AND a.slug = %s"
)


def need_counters_recomputed(need_ids: list[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """(held, delivered, confirmed) per need, summed from its pledges (DESIGN §3.7):
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
    """Needs lowered below what pledges already hold: shown to operators (issue 4)."""
    return (
        Need.objects.filter(held__gt=F("quantity"))
        .select_related("target", "aid_type")
        .order_by("target__region_id", "aid_type__sort_order")
    )

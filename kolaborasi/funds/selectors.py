"""Reads about money that more than one caller needs (profiles, API, stats)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet, Sum

from kolaborasi.regions.models import Level, level_of

from .models import Donation, DonationStatus, PledgeFunding

# Field of Target (and via pledge__target__ of fundings) that holds the code of the
# enclosing region at each level.
_TARGET_FIELD_BY_LEVEL = {
    Level.PROVINCE: "province_code",
    Level.CITY: "city_code",
    Level.DISTRICT: "district_code",
    Level.VILLAGE: "village_id",
    Level.RW: "region_id",
}


def target_region_q(region: Any, prefix: str = "") -> Q:
    """Q selecting targets (or rows reaching a target through ``prefix``) under ``region``
    (a Region or a dotted code)."""
    code = region if isinstance(region, str) else region.code
    level = level_of(code)
    if level is None:
        raise ValueError(f"bad region code {code!r}")
    return Q(**{f"{prefix}{_TARGET_FIELD_BY_LEVEL[level]}": code})


def _sum(qs: QuerySet[Any], field: str = "amount") -> int:
    return int(qs.aggregate(s=Sum(field))["s"] or 0)


def funds_summary(
    *, region: Any = None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, int]:
    """Money given through aggregators, in whole rupiah.

    - ``donated``: donations recorded and not rejected (pending + confirmed);
    - ``confirmed``: donations whose receipt the aggregator confirmed.

    ``since``/``until`` (inclusive) filter on the date the donor gave (``donated_on``).
    A donation has no place, so with ``region`` both figures count only the money of
    those donations that was spent on pledges for targets under the region (FIFO
    attribution rows); that money is always confirmed, so both figures are then equal.
    """
    if region is not None:
        fundings = PledgeFunding.objects.filter(target_region_q(region, "pledge__target__"))
        if since is not None:
            fundings = fundings.filter(donation__donated_on__gte=since)
        if until is not None:
            fundings = fundings.filter(donation__donated_on__lte=until)
        spent = _sum(fundings)
        return {"donated": spent, "confirmed": spent}
    donations = Donation.objects.all()
    if since is not None:
        donations = donations.filter(donated_on__gte=since)
    if until is not None:
        donations = donations.filter(donated_on__lte=until)
    return {
        "donated": _sum(donations.exclude(status=DonationStatus.REJECTED)),
        "confirmed": _sum(donations.filter(status=DonationStatus.CONFIRMED)),
    }

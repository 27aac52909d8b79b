"""Public figures of the collaboration: one definition, used by the API, the dashboard,
the weekly report and the exports, so they can never tell different numbers.

Definitions (also printed on /data/ and in the API description):

A pledge *holds* ``quantity - released`` units: all of them while it is live (committed,
delivered, confirmed); after cancellation or expiry only its delivered part (the
undelivered remainder is released back to the need). This is the project's definition of
``Need.held`` (DESIGN §3.1, ``pledges.services``), so the public figures equal the sums of
the need counters and can be re-computed from the pledges export.

- **pledged** per aid type: units held by pledges, Σ(quantity − released).
- **delivered** / **confirmed** per aid type: Σ delivered / Σ confirmed of those pledges
  (delivered units stay delivered even if the rest of the pledge was cancelled).
- **reach**: distinct kota (cities), kecamatan (districts), kelurahan (villages), RWs and
  institutions with at least one live pledge (a pledge holding ≥ 1 unit).
- **rws_receiving**: RWs with at least one live pledge (= ``reach.rws``).
- **rws_met**: RWs whose need of the primary aid type (setting ``PRIMARY_AID_TYPE``,
  default ``sembako``) is fully pledged: units held on that need ≥ its quantity > 0.
  Always a subset of ``rws_receiving``.
- **collaborators**: donor organisations (subtype company or community), individual
  donors (subtype individual) and aggregators with at least one live pledge or one
  confirmed donation (given, for donors; received, for aggregators). With an area, a
  donation counts where its money was spent (``funds.PledgeFunding``), as in
  ``funds_summary``.
- **funds**: donated and confirmed money (IDR) from ``kolaborasi.funds.selectors.funds_summary``.

Filters: an area (a region code at any level; a target belongs to it through the
region codes copied onto the target row, so "under this region" is one indexed
equality) and a date range on the pledge's ``created_at`` (inclusive days in the site's
time zone, Asia/Jakarta by default).

Freshness ("every committed write shows within 5 seconds"): results are cached under a
key made of the parameters (Django's cache: local memory, or Redis shared by every app
server). ``as_of`` is the moment the rows were read, so a result includes every write
committed before its ``as_of``. A result older than ``STATS_FRESH_SECONDS`` (2 s) is
recomputed by one request while concurrent requests keep getting it (no stampede of
identical aggregate queries), and a result older than ``STATS_MAX_AGE_SECONDS`` (4.5 s,
measured from ``as_of``) is never served: every request then computes. So a committed
write shows within 4.5 s, however long one computation takes.
"""

from __future__ import annotations

import hashlib
import math
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import OrgKind, OrgSubtype
from kolaborasi.pledges.models import Pledge
from kolaborasi.regions.models import DEPTH_BY_LEVEL, Level, Region, level_of
from kolaborasi.targets.models import AidType, Need, Target, TargetKind

STATS_FRESH_SECONDS: float = 2.0
STATS_MAX_AGE_SECONDS: float = 4.5

# The Target column that says "this target lies in region X" for each level of X.
TARGET_COLUMN: dict[str, str] = {
    Level.PROVINCE: "province_code",
    Level.CITY: "city_code",
    Level.DISTRICT: "district_code",
    Level.VILLAGE: "village_id",
    Level.RW: "region_id",
}
# Levels the per-region endpoint lists.
GROUP_LEVELS = (Level.CITY, Level.DISTRICT, Level.VILLAGE)
DONOR_ORG_SUBTYPES = (OrgSubtype.COMPANY, OrgSubtype.COMMUNITY)


class ScopeError(Exception):
    """Bad filter input. ``status`` is 422 (malformed) or 404 (unknown region code)."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Scope:
    """Which pledges count: those on targets under ``region`` created between ``since``
    and ``until`` (inclusive days)."""

    region: Region | None = None
    since: date | None = None
    until: date | None = None

    @property
    def region_code(self) -> str | None:
        return self.region.code if self.region else None

    def key(self) -> str:
        return f"{self.region_code or ''}|{self.since or ''}|{self.until or ''}"

    def created_range(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in aware datetimes for the inclusive local days since..until."""
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(self.since, time.min), tz) if self.since else None
        end = (
            timezone.make_aware(datetime.combine(self.until + timedelta(days=1), time.min), tz)
            if self.until
            else None
        )
        return start, end

    def query_params(self) -> dict[str, str]:
        params = {}
        if self.region:
            params["region"] = self.region.code
        if self.since:
            params["since"] = self.since.isoformat()
        if self.until:
            params["until"] = self.until.isoformat()
        return params


def parse_date(field: str, value: str | None) -> date | None:
    if value is None or value.strip() == "":
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ScopeError(
            field, _("%(value)r bukan tanggal YYYY-MM-DD (not a date)") % {"value": value}
        ) from None


def get_region(field: str, code: str | None) -> Region | None:
    if code is None or code.strip() == "":
        return None
    code = code.strip()
    if level_of(code) is None or len(code) > 24 or not all(part.isdigit() for part in code.split(".")):
        raise ScopeError(field, _("%(code)r bukan kode wilayah (not a region code)") % {"code": code})
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ScopeError(
            field, _("wilayah %(code)r tidak ditemukan (unknown region code)") % {"code": code}, 404
        )
    return region


def parse_scope(
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    *,
    region_field: str = "region",
) -> Scope:
    """Validate filter input (shared by API, pages and exports)."""
    since_d = parse_date("since", since)
    until_d = parse_date("until", until)
    if since_d and until_d and since_d > until_d:
        raise ScopeError(
            "since",
            _("tanggal awal %(since)s sesudah tanggal akhir %(until)s (reversed range)")
            % {"since": since_d, "until": until_d},
        )
    return Scope(region=get_region(region_field, region), since=since_d, until=until_d)


def target_column(region: Region) -> str:
    return TARGET_COLUMN[Level(region.level)]


# A pledge holding ≥ 1 unit: live, or cancelled/expired after a partial delivery.
HOLDS_UNITS = Q(quantity__gt=F("released"))


def pledge_filter(scope: Scope, *, live: bool = True) -> Q:
    q = HOLDS_UNITS if live else Q()
    if scope.region is not None:
        q &= Q(**{f"target__{target_column(scope.region)}": scope.region.code})
    start, end = scope.created_range()
    if start is not None:
        q &= Q(created_at__gte=start)
    if end is not None:
        q &= Q(created_at__lt=end)
    return q


def live_pledges(scope: Scope) -> QuerySet[Pledge]:
    return Pledge.objects.filter(pledge_filter(scope))


def aid_types() -> list[AidType]:
    return list(AidType.objects.all().order_by("sort_order", "slug"))


def primary_aid_type() -> AidType | None:
    return AidType.objects.filter(slug=settings.PRIMARY_AID_TYPE).first()


class Reach(TypedDict):
    cities: int
    districts: int
    villages: int
    rws: int
    institutions: int


class Collaborators(TypedDict):
    donor_organisations: int
    individual_donors: int
    aggregators: int


class Funds(TypedDict):
    donated: int
    confirmed: int


class Figures(TypedDict):
    as_of: datetime
    pledged: dict[str, int]
    delivered: dict[str, int]
    confirmed: dict[str, int]
    reach: Reach
    rws_met: int
    rws_receiving: int
    collaborators: Collaborators
    funds: Funds


def _empty(as_of: datetime, slugs: Iterable[str]) -> Figures:
    slugs = list(slugs)
    return {
        "as_of": as_of,
        "pledged": dict.fromkeys(slugs, 0),
        "delivered": dict.fromkeys(slugs, 0),
        "confirmed": dict.fromkeys(slugs, 0),
        "reach": {"cities": 0, "districts": 0, "villages": 0, "rws": 0, "institutions": 0},
        "rws_met": 0,
        "rws_receiving": 0,
        "collaborators": {"donor_organisations": 0, "individual_donors": 0, "aggregators": 0},
        "funds": {"donated": 0, "confirmed": 0},
    }


def _funds(region: Region | None, since: date | None, until: date | None) -> Funds:
    try:
        from kolaborasi.funds.selectors import funds_summary
    except ImportError:  # funds not built yet: no money recorded
        return {"donated": 0, "confirmed": 0}
    result = funds_summary(region=region, since=since, until=until)
    return {"donated": int(result["donated"]), "confirmed": int(result["confirmed"])}


def _donation_partners(scope: Scope, group_col: str | None) -> dict[str | None, set[int]]:
    """Donor and aggregator ids of confirmed donations in ``scope`` (by ``donated_on``),
    per group. Without an area and grouping: every confirmed donation. With an area: the
    donations whose money was spent on pledges under it (as ``funds_summary`` counts)."""
    try:
        from kolaborasi.funds.models import Donation, DonationStatus, PledgeFunding
    except ImportError:  # pragma: no cover - funds not installed
        return {}
    out: dict[str | None, set[int]] = defaultdict(set)
    if scope.region is None and group_col is None:
        donations = Donation.objects.filter(status=DonationStatus.CONFIRMED)
        if scope.since:
            donations = donations.filter(donated_on__gte=scope.since)
        if scope.until:
            donations = donations.filter(donated_on__lte=scope.until)
        for donor_id, aggregator_id in donations.values_list("donor_id", "aggregator_id").distinct():
            out[None].update((donor_id, aggregator_id))
        return out
    # A slice fully refunded (its pledge cancelled/expired) paid for nothing here.
    fundings = PledgeFunding.objects.filter(
        donation__status=DonationStatus.CONFIRMED, amount__gt=F("refunded")
    )
    if scope.region is not None:
        fundings = fundings.filter(**{f"pledge__target__{target_column(scope.region)}": scope.region.code})
    if scope.since:
        fundings = fundings.filter(donation__donated_on__gte=scope.since)
    if scope.until:
        fundings = fundings.filter(donation__donated_on__lte=scope.until)
    gfield = [f"pledge__target__{group_col}"] if group_col else []
    for row in fundings.values(*gfield, "donation__donor_id", "donation__aggregator_id").distinct():
        key = row[gfield[0]] if gfield else None
        out[key].update((row["donation__donor_id"], row["donation__aggregator_id"]))
    return out


def _grouped(qs: QuerySet[Any], gfield: list[str], **aggregates: Any) -> list[dict[str, Any]]:
    """``aggregates`` per value of ``gfield``, or once over the whole queryset."""
    if gfield:
        return list(qs.values(*gfield).annotate(**aggregates))
    return [qs.aggregate(**aggregates)]


def _compute(scope: Scope, group_col: str | None, group_keys: list[str] | None) -> dict[str | None, Figures]:
    """Figures for ``scope``, either as one total (``group_col`` None → key None) or per
    value of the Target column ``group_col`` (keys ``group_keys``)."""
    as_of = timezone.now()
    types = aid_types()
    slug_of = {t.pk: t.slug for t in types}
    keys: list[str | None] = [*group_keys] if group_col and group_keys is not None else [None]
    out: dict[str | None, Figures] = {k: _empty(as_of, slug_of.values()) for k in keys}
    live = live_pledges(scope)
    gfield = [f"target__{group_col}"] if group_col else []

    def key_of(row: dict[str, Any]) -> str | None:
        return row[gfield[0]] if gfield else None

    # Units per aid type.
    for row in live.values(*gfield, "aid_type_id").annotate(
        p=Sum(F("quantity") - F("released")), d=Sum("delivered"), c=Sum("confirmed")
    ):
        fig = out.get(key_of(row))
        if fig is None:
            continue
        slug = slug_of[row["aid_type_id"]]
        fig["pledged"][slug] = int(row["p"] or 0)
        fig["delivered"][slug] = int(row["d"] or 0)
        fig["confirmed"][slug] = int(row["c"] or 0)

    # Reach: first the distinct targets holding units (a semi-join), then their places,
    # so the DISTINCT counts see one row per target rather than one per pledge.
    tfield = [group_col] if group_col else []
    for row in _grouped(
        Target.objects.filter(pk__in=live.values("target_id")),
        tfield,
        cities=Count("city_code", distinct=True),
        districts=Count("district_code", distinct=True),
        villages=Count("village_id", distinct=True),
        rws=Count("id", filter=Q(kind=TargetKind.RW)),
        institutions=Count("id", filter=~Q(kind=TargetKind.RW)),
    ):
        fig = out.get(row[group_col] if group_col else None)
        if fig is None:
            continue
        fig["reach"] = {
            "cities": row["cities"],
            "districts": row["districts"],
            "villages": row["villages"],
            "rws": row["rws"],
            "institutions": row["institutions"],
        }
        fig["rws_receiving"] = row["rws"]

    # RWs met: needs of the primary aid type whose live held units cover the quantity.
    primary = primary_aid_type()
    if primary is not None:
        met_needs = (
            live.filter(aid_type=primary, target__kind=TargetKind.RW)
            .values("need_id")
            .annotate(h=Sum(F("quantity") - F("released")))
            .filter(need__quantity__gt=0, h__gte=F("need__quantity"))
            .values("need_id")
        )
        need_gfield = [f"target__{group_col}"] if group_col else []
        for row in _grouped(Need.objects.filter(pk__in=met_needs), need_gfield, n=Count("id")):
            fig = out.get(row[need_gfield[0]] if need_gfield else None)
            if fig is not None:
                fig["rws_met"] = row["n"]

    # Collaborators: organisations with a live pledge, plus donation partners.
    orgs: dict[str | None, set[int]] = defaultdict(set)
    for row in live.values(*gfield, "organisation_id").distinct():
        orgs[key_of(row)].add(row["organisation_id"])
    from kolaborasi.accounts.models import Organisation

    for key, ids in _donation_partners(scope, group_col).items():
        orgs[key].update(ids)
    all_ids = set().union(*orgs.values()) if orgs else set()
    kinds = {
        o["id"]: (o["kind"], o["subtype"])
        for o in Organisation.objects.filter(pk__in=all_ids).values("id", "kind", "subtype")
    }
    for key, ids in orgs.items():
        fig = out.get(key)
        if fig is None:
            continue
        col = fig["collaborators"]
        for org_id in ids:
            kind, subtype = kinds.get(org_id, ("", ""))
            if kind == OrgKind.DONOR and subtype == OrgSubtype.INDIVIDUAL:
                col["individual_donors"] += 1
            elif kind == OrgKind.DONOR and subtype in DONOR_ORG_SUBTYPES:
                col["donor_organisations"] += 1
            elif kind == OrgKind.AGGREGATOR:
                col["aggregators"] += 1
    return out


def _cache_key(*parts: str) -> str:
    raw = "|".join(parts)
    return "stats:v1:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached[T](key: str, compute: Callable[[], T]) -> T:
    """``compute()``, cached: fresh for 2 s, then refreshed by one request while the
    others get the previous result, never served older than 4.5 s (see the module doc)."""
    entry = cache.get(key)
    if entry is not None:
        born, value = entry
        age = clock.time() - born
        if age < STATS_FRESH_SECONDS:
            return value  # type: ignore[no-any-return]
        if age < STATS_MAX_AGE_SECONDS and not cache.add(key + ":refresh", 1, timeout=10):
            return value  # type: ignore[no-any-return]  # another request is refreshing it
    try:
        born = clock.time()  # before reading: the result includes every earlier commit
        value = compute()
        cache.set(key, (born, value), timeout=math.ceil(STATS_MAX_AGE_SECONDS) + 1)
    finally:
        cache.delete(key + ":refresh")
    return value


def summary(scope: Scope) -> Figures:
    """The figures of GET /api/v1/stats/summary for ``scope`` (cached, ≤ 4.5 s old)."""

    def compute() -> Figures:
        fig = _compute(scope, None, None)[None]
        fig["funds"] = _funds(scope.region, scope.since, scope.until)
        return fig

    return cached(_cache_key("summary", scope.key(), settings.PRIMARY_AID_TYPE), compute)


class RegionFigures(TypedDict):
    code: str
    name: str
    level: str
    figures: Figures


def child_level_ok(parent: Region | None, level: str) -> bool:
    if parent is None:
        return level in (Level.CITY, Level.PROVINCE)
    return DEPTH_BY_LEVEL[Level(level)] > DEPTH_BY_LEVEL[Level(parent.level)]


def regions_at(level: str, parent: Region | None) -> QuerySet[Region]:
    qs = Region.objects.filter(level=level)
    if parent is not None:
        qs = qs.filter(code__startswith=parent.code + ".")
    return qs.order_by("code")


def by_region(scope: Scope, level: str) -> list[RegionFigures]:
    """The summary figures for every region at ``level`` under ``scope.region`` (cached
    like ``summary``). Funds are each region's own ``funds_summary``."""
    if level not in TARGET_COLUMN:
        raise ScopeError("level", _("tingkat %(level)r tidak dikenal (unknown level)") % {"level": level})
    if not child_level_ok(scope.region, level):
        raise ScopeError(
            "level",
            _("tingkat %(level)s tidak berada di bawah %(parent)s (level must lie below the parent)")
            % {"level": level, "parent": scope.region_code or "-"},
        )

    def compute() -> list[RegionFigures]:
        regions = list(regions_at(level, scope.region).values_list("code", "name"))
        computed = _compute(scope, TARGET_COLUMN[level], [code for code, _name in regions])
        result: list[RegionFigures] = []
        for code, name in regions:
            fig = computed[code]
            region = Region(code=code, name=name, level=level)
            fig["funds"] = _funds(region, scope.since, scope.until)
            result.append({"code": code, "name": name, "level": level, "figures": fig})
        return result

    return cached(_cache_key("regions", level, scope.key(), settings.PRIMARY_AID_TYPE), compute)


def cumulative_by_day(scope: Scope) -> dict[str, list[tuple[date, int]]]:
    """Per aid type: (day, cumulative units pledged by live pledges created up to that
    day). The last value of each series equals ``summary(scope)["pledged"]``."""
    rows = (
        live_pledges(scope)
        .annotate(day=TruncDate("created_at"))
        .values("day", "aid_type_id")
        .annotate(units=Sum(F("quantity") - F("released")))
        .order_by("day")
    )
    slug_of = {t.pk: t.slug for t in aid_types()}
    series: dict[str, list[tuple[date, int]]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        slug = slug_of[row["aid_type_id"]]
        totals[slug] += int(row["units"] or 0)
        series[slug].append((row["day"], totals[slug]))
    return dict(series)


def breakdown_level(scope: Scope) -> str | None:
    """The level one step below the scope's region used for breakdowns (kota by
    default), down to the RWs of a village; None for a single RW."""
    if scope.region is None or scope.region.level == Level.PROVINCE:
        return Level.CITY
    if scope.region.level == Level.CITY:
        return Level.DISTRICT
    if scope.region.level == Level.DISTRICT:
        return Level.VILLAGE
    if scope.region.level == Level.VILLAGE:
        return Level.RW
    return None


def targets_in(scope: Scope) -> QuerySet[Target]:
    qs = Target.objects.all()
    if scope.region is not None:
        qs = qs.filter(**{target_column(scope.region): scope.region.code})
    return qs

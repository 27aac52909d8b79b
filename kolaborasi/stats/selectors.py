"""Public figures of the collaboration: one definition, used by the API, the dashboard,
the weekly report and the exports, so they can never tell different numbers.

Definitions (also printed on /data/ and in the API description):

A pledge *holds* ``quantity - released`` units: all of them while it is live (committed,
delivered, confirmed); after cancellation or expiry only its delivered part (the
undelivered remainder is released back to the need). This is the project's definition of
``Need.held`` (docs/architecture.md, invariant 2), so the public figures equal the sums of
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

How it is computed (the same figures every way; ``tests/test_stats_fast_path.py``
compares them on randomized histories, on SQLite and PostgreSQL):

- Without a date range, pledged/delivered/confirmed, reach and rws_met are sums of the
  need counters ``Need.held/delivered/confirmed``, which ``pledges.services`` keeps equal
  to the sums over each need's pledges in the same transaction as every pledge write (a
  need has held > 0 exactly when one of its pledges holds ≥ 1 unit). For the country, a
  province, kota, kecamatan or kelurahan they are read from running totals per
  kelurahan (``kolaborasi.stats.tally``: a trigger on the needs appends each change, a
  fold adds them up before every read), one row per kelurahan and aid type instead of
  a pass over every need and target. For an RW they are read from its needs directly.
  Collaborators in the whole country are one index probe per organisation. Partial
  indexes (migration ``stats.0001``) cover the rows the per-need queries count.
- With a date range (``since``/``until``), only pledges created in it count, so the
  figures are summed from those pledges.

Freshness ("every committed write shows within 5 seconds"): results are cached under a
key made of the parameters (Django's cache: local memory per app process, or Redis shared
by every app server), together with the JSON body the API answers, so a cached answer is
the stored bytes with no database query. ``as_of`` is the moment the rows were read, so a
result includes every write committed before its ``as_of``. A result older than
``STATS_FRESH_SECONDS`` (2 s) is recomputed by one request while concurrent requests keep
getting it (no stampede of identical aggregate queries), and a result older than
``STATS_MAX_AGE_SECONDS`` (4.5 s, measured from ``as_of``) is never served: every request
then computes. So a committed write shows within 4.5 s (tested on the cache entries in
``tests/test_stats_summary.py``); a national computation takes well under that (about
0.2 s on the 2-core benchmark machine with ~1M pledges).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import OrgKind, OrgSubtype
from kolaborasi.core.freshness import FRESH_SECONDS, MAX_AGE_SECONDS, cache_key, cached
from kolaborasi.pledges.models import Pledge
from kolaborasi.regions.models import DEPTH_BY_LEVEL, Level, Region, level_of
from kolaborasi.targets.models import AidType, Need, Target, TargetKind

from .models import Tally
from .tally import fold

# The freshness rule is shared with the other busy public reads (kolaborasi.core.freshness).
STATS_FRESH_SECONDS: float = FRESH_SECONDS
STATS_MAX_AGE_SECONDS: float = MAX_AGE_SECONDS

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


def region_code(field: str, code: str | None) -> str | None:
    """The region code of the input, stripped, if it has the form of one (422 if not);
    whether such a region exists is ``get_region``'s question."""
    if code is None or code.strip() == "":
        return None
    code = code.strip()
    if level_of(code) is None or len(code) > 24 or not all(part.isdigit() for part in code.split(".")):
        raise ScopeError(field, _("%(code)r bukan kode wilayah (not a region code)") % {"code": code})
    return code


def get_region(field: str, code: str | None) -> Region | None:
    code = region_code(field, code)
    if code is None:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ScopeError(
            field, _("wilayah %(code)r tidak ditemukan (unknown region code)") % {"code": code}, 404
        )
    return region


def parse_dates(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    since_d = parse_date("since", since)
    until_d = parse_date("until", until)
    if since_d and until_d and since_d > until_d:
        raise ScopeError(
            "since",
            _("tanggal awal %(since)s sesudah tanggal akhir %(until)s (reversed range)")
            % {"since": since_d, "until": until_d},
        )
    return since_d, until_d


def parse_scope(
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    *,
    region_field: str = "region",
) -> Scope:
    """Validate filter input (shared by API, pages and exports)."""
    since_d, until_d = parse_dates(since, until)
    return Scope(region=get_region(region_field, region), since=since_d, until=until_d)


def scope_key(
    region: str | None, since: str | None, until: str | None, *, region_field: str = "region"
) -> str:
    """``parse_scope(...).key()`` without the database: the same validation (dates, range,
    the form of the region code) except whether the region exists, so that a cached
    answer needs no query. Existence is checked by ``parse_scope`` when the figures are
    computed, and an unknown code (404) is never cached."""
    since_d, until_d = parse_dates(since, until)
    return f"{region_code(region_field, region) or ''}|{since_d or ''}|{until_d or ''}"


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


def _funds_by_region(scope: Scope, group_col: str) -> dict[str, Funds]:
    """``funds_summary(region=R, since, until)`` for every region R of one level under
    ``scope.region`` in one grouped query instead of one per region: the money of the
    donations in the date range spent on pledges under R, net of refunds (see
    ``kolaborasi.funds.selectors.funds_summary``; the tests compare the two)."""
    try:
        from kolaborasi.funds.models import PledgeFunding
    except ImportError:  # pragma: no cover - funds not installed
        return {}
    fundings = _fundings_in(scope, PledgeFunding.objects.all())
    out: dict[str, Funds] = {}
    for row in (
        fundings.values(f"pledge__target__{group_col}")
        .order_by()
        .annotate(amount=Sum("amount"), refunded=Sum("refunded"))
    ):
        spent = int(row["amount"] or 0) - int(row["refunded"] or 0)
        out[row[f"pledge__target__{group_col}"]] = {"donated": spent, "confirmed": spent}
    return out


def _fundings_in(scope: Scope, fundings: QuerySet[Any]) -> QuerySet[Any]:
    """The slices of donations (``funds.PledgeFunding``) spent on pledges under the
    scope's area, of donations given in its date range."""
    if scope.region is not None:
        fundings = fundings.filter(**{f"pledge__target__{target_column(scope.region)}": scope.region.code})
    if scope.since:
        fundings = fundings.filter(donation__donated_on__gte=scope.since)
    if scope.until:
        fundings = fundings.filter(donation__donated_on__lte=scope.until)
    return fundings


def _donation_partners(scope: Scope, group_col: str | None) -> dict[str | None, set[int]]:
    """Donor and aggregator ids of confirmed donations whose money was spent on pledges
    under ``scope.region`` (by ``donated_on``), per value of the Target column
    ``group_col``, as ``funds_summary`` counts money in an area. (Without an area and a
    grouping every confirmed donation counts: see ``_national_collaborators``.)"""
    try:
        from kolaborasi.funds.models import DonationStatus, PledgeFunding
    except ImportError:  # pragma: no cover - funds not installed
        return {}
    out: dict[str | None, set[int]] = defaultdict(set)
    # A slice fully refunded (its pledge cancelled/expired) paid for nothing here.
    fundings = _fundings_in(
        scope,
        PledgeFunding.objects.filter(donation__status=DonationStatus.CONFIRMED, amount__gt=F("refunded")),
    )
    gfield = [f"pledge__target__{group_col}"] if group_col else []
    for row in (
        fundings.values(*gfield, "donation__donor_id", "donation__aggregator_id").order_by().distinct()
    ):
        key = row[gfield[0]] if gfield else None
        out[key].update((row["donation__donor_id"], row["donation__aggregator_id"]))
    return out


def _grouped(qs: QuerySet[Any], gfield: list[str], **aggregates: Any) -> list[dict[str, Any]]:
    """``aggregates`` per value of ``gfield``, or once over the whole queryset."""
    if gfield:
        return list(qs.values(*gfield).order_by().annotate(**aggregates))
    return [qs.aggregate(**aggregates)]


def _count_collaborator(col: Collaborators, kind: str, subtype: str, n: int = 1) -> None:
    if kind == OrgKind.DONOR and subtype == OrgSubtype.INDIVIDUAL:
        col["individual_donors"] += n
    elif kind == OrgKind.DONOR and subtype in DONOR_ORG_SUBTYPES:
        col["donor_organisations"] += n
    elif kind == OrgKind.AGGREGATOR:
        col["aggregators"] += n


# Two ways to the same figures (see the module docstring, "How it is computed"):
# without a date range they are sums and counts over the maintained need counters,
# with one they come from the pledges created in the range.


# Distinct places and targets among the targets holding units.
REACH = {
    "cities": Count("city_code", distinct=True),
    "districts": Count("district_code", distinct=True),
    "villages": Count("village_id", distinct=True),
    "rws": Count("id", filter=Q(kind=TargetKind.RW)),
    "institutions": Count("id", filter=~Q(kind=TargetKind.RW)),
}


def _figures_from_needs(scope: Scope, group_col: str | None, put: Callable[..., None]) -> None:
    """pledged/delivered/confirmed, reach and rws_met from ``Need.held/delivered/
    confirmed``: the need counters are the sums over the need's pledges of exactly
    these quantities (``pledges.services``), and a need has held > 0 iff one of its
    pledges holds ≥ 1 unit. Valid only without a date range."""
    needs = Need.objects.all()
    targets = Target.objects.all()
    if scope.region is not None:
        col = target_column(scope.region)
        needs = needs.filter(**{f"target__{col}": scope.region.code})
        targets = targets.filter(**{col: scope.region.code})
    need_g = [f"target__{group_col}"] if group_col else []
    for row in (
        needs.filter(held__gt=0)
        .values(*need_g, "aid_type_id")
        .order_by()
        .annotate(p=Sum("held"), d=Sum("delivered"), c=Sum("confirmed"))
    ):
        put("units", row[need_g[0]] if need_g else None, row)
    held = Need.objects.filter(target_id=OuterRef("pk"), held__gt=0)
    for row in _grouped(targets.filter(Exists(held)), [group_col] if group_col else [], **REACH):
        put("reach", row[group_col] if group_col else None, row)
    primary = primary_aid_type()
    if primary is not None:
        met = needs.filter(
            aid_type=primary, target__kind=TargetKind.RW, quantity__gt=0, held__gte=F("quantity")
        )
        for row in _grouped(met, need_g, n=Count("id")):
            put("met", row[need_g[0]] if need_g else None, row)


# The Tally column for each Target column a scope filters or groups on (no RWs: a
# kelurahan is the finest place the totals know).
TALLY_COLUMN: dict[str, str] = {
    "province_code": "province_code",
    "city_code": "city_code",
    "district_code": "district_code",
    "village_id": "village_code",
}


def _figures_from_tally(scope: Scope, group_col: str | None, put: Callable[..., None]) -> None:
    """The same figures as ``_figures_from_needs``, from the running totals per
    kelurahan (``kolaborasi.stats.tally``; folded first, so every write committed before
    this call counts). For areas and groupings of a kelurahan or larger."""
    fold()
    rows = Tally.objects.all()
    if scope.region is not None:
        rows = rows.filter(**{TALLY_COLUMN[target_column(scope.region)]: scope.region.code})
    group = TALLY_COLUMN[group_col] if group_col else None
    gfield = [group] if group else []

    def key(row: dict[str, Any]) -> str | None:
        return row[group] if group else None

    primary = primary_aid_type()
    for row in (
        rows.filter(aid_type_id__gt=0)
        .values(*gfield, "aid_type_id")
        .order_by()
        .annotate(p=Sum("held"), d=Sum("delivered"), c=Sum("confirmed"), n=Sum("met"))
    ):
        put("units", key(row), row)
        if primary is not None and row["aid_type_id"] == primary.pk:
            put("met", key(row), row)
    reached = rows.filter(Q(rws__gt=0) | Q(institutions__gt=0), aid_type_id=0)  # one row per kelurahan
    reach = {
        "cities": Count("city_code", distinct=True),
        "districts": Count("district_code", distinct=True),
        "villages": Count("id"),
        "rws": Sum("rws"),
        "institutions": Sum("institutions"),
    }
    for row in _grouped(reached, gfield, **reach):
        put("reach", key(row), row)


def _figures_from_pledges(scope: Scope, group_col: str | None, put: Callable[..., None]) -> None:
    """The same figures from the pledges created in the scope's date range."""
    live = live_pledges(scope)
    gfield = [f"target__{group_col}"] if group_col else []
    for row in (
        live.values(*gfield, "aid_type_id")
        .order_by()
        .annotate(p=Sum(F("quantity") - F("released")), d=Sum("delivered"), c=Sum("confirmed"))
    ):
        put("units", row[gfield[0]] if gfield else None, row)
    # Reach: first the distinct targets holding units (a semi-join), then their places,
    # so the DISTINCT counts see one row per target rather than one per pledge.
    tfield = [group_col] if group_col else []
    for row in _grouped(Target.objects.filter(pk__in=live.values("target_id")), tfield, **REACH):
        put("reach", row[group_col] if group_col else None, row)
    # RWs met: needs of the primary aid type whose held units in scope cover the quantity.
    primary = primary_aid_type()
    if primary is not None:
        met_needs = (
            live.filter(aid_type=primary, target__kind=TargetKind.RW)
            .values("need_id")
            .order_by()
            .annotate(h=Sum(F("quantity") - F("released")))
            .filter(need__quantity__gt=0, h__gte=F("need__quantity"))
            .values("need_id")
        )
        for row in _grouped(Need.objects.filter(pk__in=met_needs), gfield, n=Count("id")):
            put("met", row[gfield[0]] if gfield else None, row)


def _national_collaborators(scope: Scope) -> Collaborators:
    """Collaborators without an area or grouping: one index probe per organisation
    (a live pledge in the date range; a confirmed donation given or received in it)
    instead of a DISTINCT over every pledge in the country."""
    from kolaborasi.accounts.models import Organisation

    start, end = scope.created_range()
    pledges = Pledge.objects.filter(HOLDS_UNITS, organisation_id=OuterRef("pk"))
    if start is not None:
        pledges = pledges.filter(created_at__gte=start)
    if end is not None:
        pledges = pledges.filter(created_at__lt=end)
    active = Q(Exists(pledges))
    try:
        from kolaborasi.funds.models import Donation, DonationStatus
    except ImportError:  # pragma: no cover - funds not installed
        pass
    else:
        donations = Donation.objects.filter(status=DonationStatus.CONFIRMED)
        if scope.since:
            donations = donations.filter(donated_on__gte=scope.since)
        if scope.until:
            donations = donations.filter(donated_on__lte=scope.until)
        active |= Q(Exists(donations.filter(donor_id=OuterRef("pk"))))
        active |= Q(Exists(donations.filter(aggregator_id=OuterRef("pk"))))
    col: Collaborators = {"donor_organisations": 0, "individual_donors": 0, "aggregators": 0}
    for row in (
        Organisation.objects.filter(active).values("kind", "subtype").order_by().annotate(n=Count("id"))
    ):
        _count_collaborator(col, row["kind"], row["subtype"], row["n"])
    return col


def _collaborators(scope: Scope, group_col: str | None) -> dict[str | None, Collaborators]:
    """Organisations with a live pledge in scope plus donation partners, per group.
    Those with a pledge are counted per kind in the database (a kota has thousands of
    pledges, the country a million); only donation partners are looked at one by one,
    to count each organisation once."""
    if scope.region is None and group_col is None:
        return {None: _national_collaborators(scope)}
    gfield = [f"target__{group_col}"] if group_col else []
    out: dict[str | None, Collaborators] = defaultdict(
        lambda: {"donor_organisations": 0, "individual_donors": 0, "aggregators": 0}
    )
    live = live_pledges(scope)
    for row in (
        live.values(*gfield, "organisation__kind", "organisation__subtype")
        .order_by()
        .annotate(n=Count("organisation_id", distinct=True))
    ):
        key = row[gfield[0]] if gfield else None
        _count_collaborator(out[key], row["organisation__kind"], row["organisation__subtype"], row["n"])
    partners = _donation_partners(scope, group_col)
    partner_ids = set().union(*partners.values()) if partners else set()
    if partner_ids:
        from kolaborasi.accounts.models import Organisation

        counted: set[tuple[str | None, int]] = {
            (row[gfield[0]] if gfield else None, row["organisation_id"])
            for row in live.filter(organisation_id__in=partner_ids)
            .values(*gfield, "organisation_id")
            .order_by()
            .distinct()
        }
        kinds = dict(
            (o["id"], (o["kind"], o["subtype"]))
            for o in Organisation.objects.filter(pk__in=partner_ids).values("id", "kind", "subtype")
        )
        for key, ids in partners.items():
            for org_id in ids:
                if (key, org_id) not in counted:
                    _count_collaborator(out[key], *kinds.get(org_id, ("", "")))
    return out


SOURCES: dict[str, Callable[[Scope, str | None, Callable[..., None]], None]] = {
    "tally": _figures_from_tally,
    "needs": _figures_from_needs,
    "pledges": _figures_from_pledges,
}


def _source(scope: Scope, group_col: str | None) -> str:
    """The cheapest way to the figures: the pledges for a date range, the per-kelurahan
    totals down to a kelurahan, the need counters of an RW's targets."""
    if scope.since is not None or scope.until is not None:
        return "pledges"
    columns = {group_col} if group_col else set()
    if scope.region is not None:
        columns.add(target_column(scope.region))
    return "tally" if columns <= TALLY_COLUMN.keys() else "needs"


def _compute(
    scope: Scope, group_col: str | None, group_keys: list[str] | None, *, source: str | None = None
) -> dict[str | None, Figures]:
    """Figures for ``scope``, either as one total (``group_col`` None → key None) or per
    value of the Target column ``group_col`` (keys ``group_keys``). ``source`` forces one
    of ``SOURCES`` (default ``_source``; the tests compare them all)."""
    as_of = timezone.now()
    slug_of = {t.pk: t.slug for t in aid_types()}
    keys: list[str | None] = [*group_keys] if group_col and group_keys is not None else [None]
    out: dict[str | None, Figures] = {k: _empty(as_of, slug_of.values()) for k in keys}

    def put(what: str, key: str | None, row: dict[str, Any]) -> None:
        fig = out.get(key)
        if fig is None:
            return
        if what == "units":
            slug = slug_of.get(row["aid_type_id"])
            if slug is None:  # a deleted aid type's emptied totals (kolaborasi.stats.tally)
                return
            fig["pledged"][slug] = int(row["p"] or 0)
            fig["delivered"][slug] = int(row["d"] or 0)
            fig["confirmed"][slug] = int(row["c"] or 0)
        elif what == "reach":
            fig["reach"] = {k: int(row[k] or 0) for k in REACH}  # type: ignore[typeddict-item]
            fig["rws_receiving"] = fig["reach"]["rws"]
        else:
            fig["rws_met"] = int(row["n"] or 0)

    SOURCES[source or _source(scope, group_col)](scope, group_col, put)
    for key, col in _collaborators(scope, group_col).items():
        if key in out:
            out[key]["collaborators"] = col
    return out


def _cache_key(*parts: str) -> str:
    return cache_key("stats:v2", *parts)


def _json(data: Any) -> bytes:
    """The JSON body the API answers (as django-ninja renders the documented schema:
    Django's encoder, so ``as_of`` is ISO 8601 with milliseconds)."""
    return json.dumps(data, cls=DjangoJSONEncoder).encode()


def _summary_entry(scope: Scope) -> tuple[Figures, bytes]:
    fig = _compute(scope, None, None)[None]
    fig["funds"] = _funds(scope.region, scope.since, scope.until)
    return fig, _json(fig)


def _summary_key(key: str) -> str:
    return _cache_key("summary", key, settings.PRIMARY_AID_TYPE)


def summary(scope: Scope) -> Figures:
    """The figures of GET /api/v1/stats/summary for ``scope`` (cached, ≤ 4.5 s old)."""
    return cached(_summary_key(scope.key()), lambda: _summary_entry(scope))[0]


def summary_json(region: str | None = None, since: str | None = None, until: str | None = None) -> bytes:
    """The body of GET /api/v1/stats/summary, from the same cache entry as ``summary``:
    a cached answer is the stored bytes, with no database query and no re-encoding."""
    key = scope_key(region, since, until)
    return cached(_summary_key(key), lambda: _summary_entry(parse_scope(region, since, until)))[1]


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


def _check_level(scope: Scope, level: str) -> None:
    if level not in TARGET_COLUMN:
        raise ScopeError("level", _("tingkat %(level)r tidak dikenal (unknown level)") % {"level": level})
    if not child_level_ok(scope.region, level):
        raise ScopeError(
            "level",
            _("tingkat %(level)s tidak berada di bawah %(parent)s (level must lie below the parent)")
            % {"level": level, "parent": scope.region_code or "-"},
        )


def _regions_entry(scope: Scope, level: str) -> tuple[list[RegionFigures], bytes]:
    _check_level(scope, level)
    regions = list(regions_at(level, scope.region).values_list("code", "name"))
    computed = _compute(scope, TARGET_COLUMN[level], [code for code, _name in regions])
    funds = _funds_by_region(scope, TARGET_COLUMN[level])
    result: list[RegionFigures] = []
    for code, name in regions:
        fig = computed[code]
        fig["funds"] = funds.get(code, {"donated": 0, "confirmed": 0})
        result.append({"code": code, "name": name, "level": level, "figures": fig})
    body = _json(
        [{"code": r["code"], "name": r["name"], "level": r["level"], **r["figures"]} for r in result]
    )
    return result, body


def _regions_key(level: str, key: str) -> str:
    return _cache_key("regions", level, key, settings.PRIMARY_AID_TYPE)


def by_region(scope: Scope, level: str) -> list[RegionFigures]:
    """The summary figures for every region at ``level`` under ``scope.region`` (cached
    like ``summary``). Funds are each region's own ``funds_summary``."""
    _check_level(scope, level)
    return cached(_regions_key(level, scope.key()), lambda: _regions_entry(scope, level))[0]


def by_region_json(
    level: str, parent: str | None = None, since: str | None = None, until: str | None = None
) -> bytes:
    """The body of GET /api/v1/stats/regions (a list of the summary figures with the
    region's code, name and level), from the same cache entry as ``by_region``."""
    key = scope_key(parent, since, until, region_field="parent")
    return cached(
        _regions_key(level, key),
        lambda: _regions_entry(parse_scope(parent, since, until, region_field="parent"), level),
    )[1]


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

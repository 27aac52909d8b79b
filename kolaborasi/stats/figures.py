"""The public figures, computed one way for the API, the dashboard, the weekly report and
the exports, so they never tell different numbers.

Every figure is of the scope's campaign (``Scope.campaign``; ``stats.scope`` says which
one when none is named): its needs, the pledges on them, and the money spent on those
pledges. Money is counted where it is spent, not by a donation's earmark (a donation
may name a campaign, or be general), so the country-wide ``funds`` and the donation
partners among the country-wide ``collaborators`` count every donation.

A pledge *holds* ``quantity − released`` units: all of them while it is live, only its
delivered part after cancellation or expiry. This is ``Need.held``, so the figures equal
the sums of the need counters and can be recomputed from the pledges export.

- **pledged** / **delivered** / **confirmed** per aid type: Σ held / Σ delivered /
  Σ confirmed of the pledges in scope;
- **reach**: distinct kota, kecamatan, kelurahan, RWs and institutions with a pledge
  holding ≥ 1 unit; **rws_receiving** = ``reach.rws``;
- **rws_met**: RWs whose need of ``PRIMARY_AID_TYPE`` is fully held (held ≥ quantity > 0);
- **collaborators**: donor organisations, individual donors and aggregators with a
  pledge holding units or a confirmed donation (with an area: money spent there);
- **funds**: ``funds.selectors.funds_summary``.

Three sources give the same figures (``SOURCES``; ``tests/test_stats_fast_path.py``
compares them on random histories) and ``source_for`` takes the cheapest: ``tally``
(no date range, down to a kelurahan: the running totals per kelurahan of
``stats.tally``), ``needs`` (no date range, an RW: the need counters), ``pledges`` (a
date range: the pledges created in it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypedDict

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.funds.models import Donation, DonationStatus, PledgeFunding
from kolaborasi.funds.selectors import funds_summary
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import AidType, Need, Target, TargetKind, region_column, within_q

from .models import Tally
from .scope import Scope
from .tally import fold

DONOR_ORG_SUBTYPES = (OrgSubtype.COMPANY, OrgSubtype.COMMUNITY)

# A pledge holding ≥ 1 unit: live, or cancelled/expired after a partial delivery.
HOLDS_UNITS = Q(quantity__gt=F("released"))


def pledge_filter(scope: Scope, *, live: bool = True) -> Q:
    """The pledges in scope (only those holding units when ``live``)."""
    q = HOLDS_UNITS if live else Q()
    if scope.campaign is not None:
        q &= Q(need__campaign=scope.campaign)
    if scope.region is not None:
        q &= within_q(scope.region, "target__")
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


def funds_total(scope: Scope) -> Funds:
    result = funds_summary(region=scope.region, since=scope.since, until=scope.until, campaign=scope.campaign)
    return {"donated": int(result["donated"]), "confirmed": int(result["confirmed"])}


def funds_by_region(scope: Scope, group_col: str) -> dict[str, Funds]:
    """``funds_summary(region=R, since, until)`` for every region R of one level under
    ``scope.region`` in one grouped query instead of one per region: the money of the
    donations in the date range spent on pledges under R, net of refunds (see
    ``kolaborasi.funds.selectors.funds_summary``; the tests compare the two)."""
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
    scope's area and campaign, of donations given in its date range."""
    if scope.campaign is not None:
        fundings = fundings.filter(pledge__need__campaign=scope.campaign)
    if scope.region is not None:
        fundings = fundings.filter(within_q(scope.region, "pledge__target__"))
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
    needs = Need.objects.filter(within_q(scope.region, "target__"))
    held = Need.objects.filter(target_id=OuterRef("pk"), held__gt=0)
    if scope.campaign is not None:
        needs = needs.filter(campaign=scope.campaign)
        held = held.filter(campaign=scope.campaign)
    targets = Target.objects.within(scope.region)
    need_g = [f"target__{group_col}"] if group_col else []
    for row in (
        needs.filter(held__gt=0)
        .values(*need_g, "aid_type_id")
        .order_by()
        .annotate(p=Sum("held"), d=Sum("delivered"), c=Sum("confirmed"))
    ):
        put("units", row[need_g[0]] if need_g else None, row)
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
    if scope.campaign is not None:
        rows = rows.filter(campaign_id=scope.campaign.pk)
    if scope.region is not None:
        rows = rows.filter(**{TALLY_COLUMN[region_column(scope.region.level)]: scope.region.code})
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
    # One row per kelurahan (and campaign: a scope always has one once a campaign exists).
    reached = rows.filter(Q(rws__gt=0) | Q(institutions__gt=0), aid_type_id=0)
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
    start, end = scope.created_range()
    pledges = Pledge.objects.filter(HOLDS_UNITS, organisation_id=OuterRef("pk"))
    if scope.campaign is not None:
        pledges = pledges.filter(need__campaign=scope.campaign)
    if start is not None:
        pledges = pledges.filter(created_at__gte=start)
    if end is not None:
        pledges = pledges.filter(created_at__lt=end)
    active = Q(Exists(pledges))
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


def source_for(scope: Scope, group_col: str | None) -> str:
    """The cheapest way to the figures: the pledges for a date range, the per-kelurahan
    totals down to a kelurahan, the need counters of an RW's targets."""
    if scope.since is not None or scope.until is not None:
        return "pledges"
    columns = {group_col} if group_col else set()
    if scope.region is not None:
        columns.add(region_column(scope.region.level))
    return "tally" if columns <= TALLY_COLUMN.keys() else "needs"


def compute(
    scope: Scope, group_col: str | None, group_keys: list[str] | None, *, source: str | None = None
) -> dict[str | None, Figures]:
    """Figures for ``scope``, either as one total (``group_col`` None → key None) or per
    value of the Target column ``group_col`` (keys ``group_keys``). ``source`` forces one
    of ``SOURCES`` (default ``source_for``; the tests compare them all)."""
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

    SOURCES[source or source_for(scope, group_col)](scope, group_col, put)
    for key, col in _collaborators(scope, group_col).items():
        if key in out:
            out[key]["collaborators"] = col
    return out


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

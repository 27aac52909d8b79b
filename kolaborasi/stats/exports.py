"""Open data: needs, pledges, deliveries and aggregator funds as CSV (row 1: column
names, row 2: HXL hashtags, https://hxlstandard.org) or XLSX with the same rows, and
village coverage as GeoJSON.

Privacy (docs/architecture.md, invariant 7): organisation names only. Never a pledge's
contact person or phone, never the name of a Ketua RW, never the name of a private
person: a donor of subtype ``individual`` appears as "Donatur perorangan" (on donations:
unless the donation was marked public by its donor).

Text a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return, e.g. an organisation named before such names were refused) is written with a
leading apostrophe, as OWASP suggests; numbers are written as numbers, untouched.

Every figure of /api/v1/stats/summary can be re-computed from these files: e.g.
``pledged[sembako]`` = sum of column ``held`` of pledges.csv where ``aid_type`` is
``sembako``; ``delivered`` = sum of ``delivered``; ``rws_met`` = rows of needs.csv with
``target_kind`` rw, aid type ``sembako`` and ``held >= quantity > 0``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.db.models import Count, F, Q, Sum
from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from kolaborasi.accounts.models import public_name
from kolaborasi.core import heavy
from kolaborasi.core.text import spreadsheet_safe
from kolaborasi.funds.models import Donation, DonationStatus
from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.regions.models import Boundary, Level, Region, below_q, last_part
from kolaborasi.targets.models import AidType, Need, Target, TargetKind, region_column, within_q

from .figures import pledge_filter
from .scope import Scope, ScopeError, child_level_ok, parse_scope
from .selectors import by_region

CHUNK = 2000

Row = list[Any]


@dataclass(frozen=True)
class Column:
    name: str
    hxl: str


# Where a target lies, shared by every dataset (codes and names of each level).
PLACE_COLUMNS = [
    Column("province_code", "#adm1+code"),
    Column("city_code", "#adm2+code"),
    Column("city_name", "#adm2+name"),
    Column("district_code", "#adm3+code"),
    Column("district_name", "#adm3+name"),
    Column("village_code", "#adm4+code"),
    Column("village_name", "#adm4+name"),
    Column("target_code", "#loc+code"),
    Column("rw", "#loc+rw"),
    Column("target_name", "#loc+name"),
    Column("target_kind", "#loc+type"),
]

# The campaign (programme) a row belongs to, by its slug (GET /api/v1/campaigns), last in
# every file so that columns keep their places. In funds: the campaign a donation is
# earmarked for, empty for a general donation.
CAMPAIGN_COLUMN = Column("campaign", "#crisis+code")

DATASET_COLUMNS: dict[str, list[Column]] = {
    "needs": [
        Column("need_id", "#meta+id"),
        *PLACE_COLUMNS,
        Column("households", "#inneed+hh"),
        Column("residents", "#inneed+ind"),
        Column("aid_type", "#item+code"),
        Column("aid_type_name", "#item+name"),
        Column("quantity", "#inneed+num"),
        Column("held", "#targeted"),
        Column("delivered", "#reached"),
        Column("confirmed", "#reached+confirmed"),
        Column("remaining", "#inneed+remaining"),
        Column("as_of", "#date+reported"),
        Column("source", "#meta+source"),
        Column("synthetic", "#meta+synthetic"),
        CAMPAIGN_COLUMN,
    ],
    "pledges": [
        Column("pledge_id", "#activity+id"),
        Column("created_on", "#date+created"),
        Column("planned_delivery", "#date+planned"),
        Column("organisation", "#org+name"),
        Column("organisation_type", "#org+type"),
        *PLACE_COLUMNS,
        Column("aid_type", "#item+code"),
        Column("aid_type_name", "#item+name"),
        Column("status", "#status"),
        Column("quantity", "#targeted+committed"),
        Column("released", "#targeted+released"),
        Column("held", "#targeted"),
        Column("delivered", "#reached"),
        Column("confirmed", "#reached+confirmed"),
        CAMPAIGN_COLUMN,
    ],
    "deliveries": [
        Column("delivery_id", "#activity+id+delivery"),
        Column("delivered_on", "#date"),
        Column("pledge_id", "#activity+id"),
        Column("organisation", "#org+name"),
        Column("organisation_type", "#org+type"),
        *PLACE_COLUMNS,
        Column("aid_type", "#item+code"),
        Column("aid_type_name", "#item+name"),
        Column("quantity", "#reached"),
        # The receiving side's review: units confirmed of this delivery, and where the
        # review stands (pending, partial, confirmed, disputed). Reasons and notes are
        # free text and stay out of open data.
        Column("confirmed", "#reached+confirmed"),
        Column("review", "#status"),
        CAMPAIGN_COLUMN,
    ],
    "funds": [
        Column("donation_id", "#meta+id"),
        Column("donated_on", "#date"),
        Column("donor", "#org+name+donor"),
        Column("donor_type", "#org+type+donor"),
        Column("aggregator", "#org+name+impl"),
        Column("status", "#status"),
        Column("amount_idr", "#value+idr"),
        Column("allocated_idr", "#value+idr+allocated"),
        CAMPAIGN_COLUMN,
    ],
}
DATASETS = tuple(DATASET_COLUMNS)


def org_type(kind: str, subtype: str) -> str:
    return f"{kind}-{subtype}" if subtype else kind


class Places:
    """Names of cities, districts and villages under the scope, loaded once per export."""

    def __init__(self, scope: Scope) -> None:
        qs = Region.objects.filter(level__in=[Level.CITY, Level.DISTRICT, Level.VILLAGE])
        if scope.region is not None:
            qs = qs.filter(below_q(scope.region) | Q(code__in=scope.region.lineage()))
        self.names = dict(qs.values_list("code", "name"))

    def row(self, t: dict[str, Any], prefix: str) -> Row:
        kind = t[f"{prefix}kind"]
        code = t[f"{prefix}region_id"]
        return [
            t[f"{prefix}province_code"],
            t[f"{prefix}city_code"],
            self.names.get(t[f"{prefix}city_code"], ""),
            t[f"{prefix}district_code"],
            self.names.get(t[f"{prefix}district_code"], ""),
            t[f"{prefix}village_id"],
            self.names.get(t[f"{prefix}village_id"], ""),
            code if kind == TargetKind.RW else f"{t[f'{prefix}village_id']}/lembaga-{t[f'{prefix}id']}",
            last_part(code) if kind == TargetKind.RW else "",
            t[f"{prefix}name"],
            kind,
        ]


def place_fields(prefix: str) -> list[str]:
    return [
        f"{prefix}{f}"
        for f in (
            "id",
            "kind",
            "name",
            "region_id",
            "village_id",
            "district_code",
            "city_code",
            "province_code",
        )
    ]


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def needs_rows(scope: Scope) -> Iterator[Row]:
    places = Places(scope)
    slug_name = {t.pk: (t.slug, t.name) for t in AidType.objects.all()}
    needs = Need.objects.filter(within_q(scope.region, "target__"))
    if scope.campaign is not None:
        needs = needs.filter(campaign=scope.campaign)
    qs = needs.order_by("target__region_id", "target_id", "aid_type__sort_order", "aid_type_id").values(
        "id",
        "aid_type_id",
        "quantity",
        "held",
        "delivered",
        "confirmed",
        "remaining",
        "as_of",
        "source",
        "target__size",
        "target__synthetic",
        "campaign__slug",
        *place_fields("target__"),
    )
    for n in qs.iterator(chunk_size=CHUNK):
        slug, name = slug_name[n["aid_type_id"]]
        is_rw = n["target__kind"] == TargetKind.RW
        yield [
            n["id"],
            *places.row(n, "target__"),
            n["target__size"] if is_rw else "",
            "" if is_rw else n["target__size"],
            slug,
            name,
            n["quantity"],
            n["held"],
            n["delivered"],
            n["confirmed"],
            n["remaining"],
            _day(n["as_of"]),
            n["source"],
            int(n["target__synthetic"]),
            n["campaign__slug"],
        ]


def pledges_rows(scope: Scope) -> Iterator[Row]:
    places = Places(scope)
    slug_name = {t.pk: (t.slug, t.name) for t in AidType.objects.all()}
    qs = (
        Pledge.objects.filter(pledge_filter(scope, live=False))
        .order_by("id")
        .values(
            "id",
            "created_at",
            "planned_delivery",
            "organisation__name",
            "organisation__kind",
            "organisation__subtype",
            "aid_type_id",
            "status",
            "quantity",
            "released",
            "delivered",
            "confirmed",
            "need__campaign__slug",
            *place_fields("target__"),
        )
    )
    for p in qs.iterator(chunk_size=CHUNK):
        slug, name = slug_name[p["aid_type_id"]]
        kind, subtype = p["organisation__kind"], p["organisation__subtype"]
        yield [
            p["id"],
            _day(p["created_at"]),
            _day(p["planned_delivery"]),
            public_name(p["organisation__name"], kind, subtype),
            org_type(kind, subtype),
            *places.row(p, "target__"),
            slug,
            name,
            p["status"],
            p["quantity"],
            p["released"],
            p["quantity"] - p["released"],
            p["delivered"],
            p["confirmed"],
            p["need__campaign__slug"],
        ]


def deliveries_rows(scope: Scope) -> Iterator[Row]:
    """Deliveries of the pledges in the scope (the same pledges as pledges.csv), so
    the sum of ``quantity`` per aid type equals the summary's ``delivered``."""
    places = Places(scope)
    slug_name = {t.pk: (t.slug, t.name) for t in AidType.objects.all()}
    pq = pledge_filter(scope, live=False)
    qs = (
        Delivery.objects.filter(pledge__in=Pledge.objects.filter(pq).values("pk"))
        .order_by("id")
        .values(
            "id",
            "delivered_on",
            "pledge_id",
            "quantity",
            "confirmed",
            "review",
            "pledge__organisation__name",
            "pledge__organisation__kind",
            "pledge__organisation__subtype",
            "pledge__aid_type_id",
            "pledge__need__campaign__slug",
            *place_fields("pledge__target__"),
        )
    )
    for d in qs.iterator(chunk_size=CHUNK):
        slug, name = slug_name[d["pledge__aid_type_id"]]
        kind, subtype = d["pledge__organisation__kind"], d["pledge__organisation__subtype"]
        yield [
            d["id"],
            _day(d["delivered_on"]),
            d["pledge_id"],
            public_name(d["pledge__organisation__name"], kind, subtype),
            org_type(kind, subtype),
            *places.row(d, "pledge__target__"),
            slug,
            name,
            d["quantity"],
            d["confirmed"],
            d["review"],
            d["pledge__need__campaign__slug"],
        ]


def funds_rows(scope: Scope) -> Iterator[Row]:
    """Donations to aggregators (rejected ones left out: they are not money given), by
    the day given. With an area: the donations whose money was spent under it, on the
    scope's campaign's pledges (as the figures count money). Without an area every
    donation is listed, with the campaign it is earmarked for (empty: general)."""
    qs = Donation.objects.exclude(status=DonationStatus.REJECTED)
    if scope.region is not None:
        spent = Donation.objects.filter(
            within_q(scope.region, "fundings__pledge__target__"),
            fundings__amount__gt=F("fundings__refunded"),
        )
        if scope.campaign is not None:
            spent = spent.filter(fundings__pledge__need__campaign=scope.campaign)
        qs = qs.filter(pk__in=spent.values("pk"))
    if scope.since:
        qs = qs.filter(donated_on__gte=scope.since)
    if scope.until:
        qs = qs.filter(donated_on__lte=scope.until)
    for d in (
        qs.order_by("id")
        .values(
            "id",
            "donated_on",
            "donor__name",
            "donor__kind",
            "donor__subtype",
            "public",
            "aggregator__name",
            "status",
            "amount",
            "allocated",
            "campaign__slug",
        )
        .iterator(chunk_size=CHUNK)
    ):
        kind, subtype = d["donor__kind"], d["donor__subtype"]
        yield [
            d["id"],
            _day(d["donated_on"]),
            public_name(d["donor__name"], kind, subtype, chose_public=d["public"]),
            org_type(kind, subtype),
            d["aggregator__name"],
            d["status"],
            d["amount"],
            d["allocated"],
            d["campaign__slug"] or "",
        ]


ROWS: dict[str, Callable[[Scope], Iterator[Row]]] = {
    "needs": needs_rows,
    "pledges": pledges_rows,
    "deliveries": deliveries_rows,
    "funds": funds_rows,
}


def dataset_rows(dataset: str, scope: Scope) -> Iterator[Row]:
    """Header row, HXL row, then the data rows."""
    columns = DATASET_COLUMNS[dataset]
    rows = ROWS[dataset](scope)
    yield [c.name for c in columns]
    yield [c.hxl for c in columns]
    yield from rows


def _filename(dataset: str, scope: Scope, ext: str) -> str:
    parts = [dataset]
    if scope.campaign and not scope.by_default:
        parts.append(scope.campaign.slug)
    if scope.region:
        parts.append(scope.region.code)
    if scope.since:
        parts.append(f"from-{scope.since}")
    if scope.until:
        parts.append(f"to-{scope.until}")
    return "kolaborasi-" + "_".join(parts) + f".{ext}"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def dataset_response(dataset: str, fmt: str, scope: Scope) -> HttpResponseBase:
    """The export as a file computed once per data version (``kolaborasi.core.heavy``);
    raises heavy.Busy when it must be computed and no slot is free."""
    if dataset == "needs" and (scope.since or scope.until):
        raise ScopeError("since", _("Dataset needs tidak dapat disaring menurut tanggal."))
    columns = DATASET_COLUMNS[dataset]
    head: list[Row] = [[c.name for c in columns], [c.hxl for c in columns]]

    def compute(out: IO[bytes]) -> None:
        if fmt == "csv":
            write_csv(out, head, ROWS[dataset](scope))
        else:
            write_xlsx(out, dataset, head, ROWS[dataset](scope))

    handle = heavy.cached_file(
        ("export", dataset, fmt, scope.key(), scope.campaign_slug or ""), f".{fmt}", compute
    )
    return heavy.file_response(
        handle,
        content_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX_TYPE,
        disposition=f'attachment; filename="{_filename(dataset, scope, fmt)}"',
    )


def write_csv(out: IO[bytes], head: list[Row], rows: Iterable[Row]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerows(head)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in row])
    text.flush()
    text.detach()  # the caller closes ``out``


def write_xlsx(out: IO[bytes], title: str, head: list[Row], rows: Iterable[Row]) -> None:
    from openpyxl import Workbook  # not a cycle: a slow import, loaded only for a spreadsheet

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title)
    for row in head:
        ws.append(row)
    for row in rows:
        # Text a spreadsheet would run as a formula gets a leading apostrophe (and so
        # never starts with "=", which openpyxl itself would store as a formula).
        ws.append([spreadsheet_safe(v) for v in row])
    with tempfile.TemporaryFile() as made:
        wb.save(made)
        made.seek(0)
        _without_times(made, out)


# The document properties' creation and change times (docProps/core.xml).
_CORE_TIMES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def _without_times(src: IO[bytes], out: IO[bytes]) -> None:
    """The workbook ``src`` again, without the moments it was written (each zip member's
    time, the document's created/modified), so that the same rows give the same bytes:
    a closed campaign's files stay byte-identical however often they are made again.
    Member by member, never the whole file in memory."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for member in zin.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = member.external_attr
            if member.filename == "docProps/core.xml":
                zout.writestr(info, _CORE_TIMES.sub(b"", zin.read(member)))
                continue
            with zin.open(member) as data, zout.open(info, "w") as target:
                shutil.copyfileobj(data, target, 1 << 20)


def coverage_geojson(scope: Scope, level: str) -> dict[str, Any]:
    """Regions at ``level`` under ``scope.region`` with their boundary (null when none was
    imported) and the stats figures as properties, plus totals of targets."""
    if level not in (Level.CITY, Level.DISTRICT, Level.VILLAGE):
        raise ScopeError("level", _("Harus city, district atau village."))
    if scope.region is None and level != Level.CITY:
        raise ScopeError("parent", _("Wajib untuk district dan village."))
    if not child_level_ok(scope.region, level):
        raise ScopeError("level", _("Tingkat harus di bawah parent."))
    figures = by_region(scope, level)
    col = region_column(level)
    codes = [r["code"] for r in figures]
    geometry = dict(Boundary.objects.filter(region_id__in=codes).values_list("region_id", "geometry"))
    totals: dict[str, dict[str, int]] = {}
    targets = Target.objects.filter(**{f"{col}__in": codes}) if codes else Target.objects.none()
    for row in targets.values(col).annotate(
        rws=Count("id", filter=Q(kind=TargetKind.RW)),
        institutions=Count("id", filter=~Q(kind=TargetKind.RW)),
        households=Sum("size", filter=Q(kind=TargetKind.RW)),
    ):
        totals[row[col]] = {
            "rws": row["rws"],
            "institutions": row["institutions"],
            "households": int(row["households"] or 0),
        }
    features = []
    as_of = None
    for r in figures:
        fig = r["figures"]
        as_of = fig["as_of"]
        total = totals.get(r["code"], {"rws": 0, "institutions": 0, "households": 0})
        props: dict[str, Any] = {
            "code": r["code"],
            "name": r["name"],
            "level": r["level"],
            "rws": total["rws"],
            "institutions": total["institutions"],
            "households": total["households"],
            "rws_receiving": fig["rws_receiving"],
            "rws_met": fig["rws_met"],
            "coverage": round(fig["rws_receiving"] / total["rws"], 4) if total["rws"] else None,
        }
        for slug, value in fig["pledged"].items():
            props[f"pledged_{slug}"] = value
        for slug, value in fig["delivered"].items():
            props[f"delivered_{slug}"] = value
        features.append({"type": "Feature", "geometry": geometry.get(r["code"]), "properties": props})
    return {
        "type": "FeatureCollection",
        "campaign": scope.campaign_slug,
        "as_of": (as_of or timezone.now()).isoformat(),
        "features": features,
    }


def coverage_response(
    *, level: str, parent: str | None, since: str | None, until: str | None, campaign: str | None = None
) -> HttpResponseBase:
    """Raises heavy.Busy when it must be computed and no slot is free."""
    scope = parse_scope(parent, since, until, campaign, region_field="parent")

    def compute(out: IO[bytes]) -> None:
        out.write(json.dumps(coverage_geojson(scope, level), default=str).encode())

    handle = heavy.cached_file(
        ("coverage", level, scope.key(), scope.campaign_slug or ""), ".geojson", compute
    )
    return heavy.file_response(handle, content_type="application/geo+json")

"""Public statistics and open-data exports under /api/v1/ (thin: parse, call a selector)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import WithJsonSchema

from kolaborasi.core import heavy, throttle
from kolaborasi.core.api_contract import REGION_CODE_MAX, REGION_CODE_PATTERN, errors
from kolaborasi.core.errors import NotFound

from . import exports
from .scope import ScopeError, parse_scope, scope_key
from .selectors import by_region_json, summary_json

router = Router(tags=["stats"])

FRESHNESS = (
    "Every committed write shows within 5 seconds: `as_of` is the moment the rows were read "
    "(every write committed before it is included); results are cached per set of "
    "parameters, recomputed by one request once older than 2 s, and never served older "
    "than 4.5 s after their `as_of`. "
    "Definitions: pledged = units held by live pledges (quantity − released; status "
    "committed, delivered or confirmed); delivered/confirmed = units delivered/confirmed on "
    "those pledges; reach = distinct areas and targets with ≥ 1 live pledge; rws_met = RWs "
    "whose PRIMARY_AID_TYPE need (default sembako) is fully pledged (held ≥ quantity > 0); "
    "rws_receiving = RWs with ≥ 1 live pledge; collaborators = donor organisations "
    "(company/community), individual donors and aggregators with ≥ 1 live pledge or "
    "confirmed donation. Dates filter the pledge's creation day (inclusive, site time zone). "
    "Every figure is of one campaign (`campaign`): its needs, the pledges on them and the "
    "money spent on those pledges; donations have no campaign, so without an area `funds` "
    "counts every donation."
)


# Dates stay text here so that a bad one gets the selectors' own sentence; the schema
# still says what is accepted.
DateText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
DateParam = Annotated[DateText | None, Query(None, description="YYYY-MM-DD, inclusive")]


def _region_param(description: str) -> Any:
    return Query(
        None,
        max_length=REGION_CODE_MAX,
        pattern=r"^$|" + REGION_CODE_PATTERN,
        description=description + "; 404 when unknown",
        examples=["31.74"],
    )


def _campaign_param() -> Any:
    return Query(
        None,
        max_length=60,
        pattern=r"^$|^[-a-zA-Z0-9_]+$",
        description=(
            "a campaign's slug (GET /api/v1/campaigns); 404 when unknown. Without it: the open "
            "campaign covering the area (with several, the most recently started one; with none "
            "open, the most recently started closed one)"
        ),
        examples=["program-bantuan"],
    )


GroupLevel = Literal["city", "district", "village"]
LEVEL_RULE = "`district` and `village` need a `parent`; `parent` must lie above `level` (422 otherwise)."
FORMATS = ("csv", "xlsx")


class ReachOut(Schema):
    cities: int
    districts: int
    villages: int
    rws: int
    institutions: int


class CollaboratorsOut(Schema):
    donor_organisations: int
    individual_donors: int
    aggregators: int


class FundsOut(Schema):
    donated: int
    confirmed: int


class SummaryOut(Schema):
    as_of: datetime
    pledged: dict[str, int]
    delivered: dict[str, int]
    confirmed: dict[str, int]
    reach: ReachOut
    rws_met: int
    rws_receiving: int
    collaborators: CollaboratorsOut
    funds: FundsOut


class RegionSummaryOut(SummaryOut):
    code: str
    name: str
    level: str


def _raise(exc: ScopeError) -> HttpError:
    return HttpError(exc.status, str(exc))


def _json(body: bytes) -> HttpResponse:
    # The cached body is already the documented schema (SummaryOut / RegionSummaryOut,
    # checked by the tests): answering it as is skips validating and re-encoding the
    # same figures on every request.
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.get(
    "/stats/summary",
    response={200: SummaryOut, **errors(404, 422)},
    summary="Live public figures for an area and date range",
    description=FRESHNESS,
)
def stats_summary(
    request: HttpRequest,
    region: str | None = _region_param("a region code at any level"),
    since: DateParam = None,
    until: DateParam = None,
    campaign: str | None = _campaign_param(),
) -> HttpResponse:
    """`region`: a region code at any level; `since`/`until`: YYYY-MM-DD, inclusive;
    `campaign`: a campaign's slug."""
    try:
        return _json(summary_json(region, since, until, campaign))
    except ScopeError as exc:
        raise _raise(exc) from None


@router.get(
    "/stats/regions",
    response={200: list[RegionSummaryOut], **errors(404, 422)},
    summary="The same figures per region (city, district or village) under a parent",
    description=LEVEL_RULE + " " + FRESHNESS,
)
def stats_regions(
    request: HttpRequest,
    level: GroupLevel,
    parent: str | None = _region_param("a region code above `level`"),
    since: DateParam = None,
    until: DateParam = None,
    campaign: str | None = _campaign_param(),
) -> HttpResponse:
    """`level`: city, district or village; `parent`: a region code above that level
    (optional for `city`: every city); `campaign`: a campaign's slug."""
    try:
        if level not in ("city", "district", "village"):
            raise ScopeError("level", _("Harus city, district atau village."))
        # Malformed dates or parent first, in parse_scope's order (without a query).
        scope_key(parent, since, until, campaign, region_field="parent")
        if level != "city" and not (parent or "").strip():
            raise ScopeError("parent", _("Wajib untuk district dan village."))
        return _json(by_region_json(level, parent, since, until, campaign))
    except ScopeError as exc:
        raise _raise(exc) from None


@router.get(
    "/exports/coverage.geojson",
    summary="Coverage per village (or district/city) as GeoJSON",
    description="Region boundaries with the stats figures as properties. " + LEVEL_RULE + " " + FRESHNESS,
    response={200: None, **errors(404, 422)},
    openapi_extra={
        "responses": {
            200: {
                "description": "A GeoJSON FeatureCollection",
                "content": {"application/geo+json": {"schema": {"type": "object"}}},
            }
        }
    },
)
def export_coverage(
    request: HttpRequest,
    level: GroupLevel = "village",
    parent: str | None = _region_param("a region code above `level`"),
    since: DateParam = None,
    until: DateParam = None,
    campaign: str | None = _campaign_param(),
) -> HttpResponseBase:
    throttle.check(request, "exports", throttle.by_client(request))
    try:
        return exports.coverage_response(
            level=level, parent=parent, since=since, until=until, campaign=campaign
        )
    except ScopeError as exc:
        raise _raise(exc) from None
    except heavy.Busy as exc:
        return heavy.busy_response(request, exc)


@router.get(
    "/exports/{dataset}.{fmt}",
    summary="Open data: needs, pledges, deliveries or funds as CSV (with HXL row) or XLSX",
    description=(
        "`dataset`: needs, pledges, deliveries or funds; `fmt`: csv or xlsx. Row 1 holds the "
        "column names, row 2 the HXL hashtags. Optional filters: `region`, `since`, `until`, "
        "`campaign` (same as /stats/summary: one campaign's rows, by default the open campaign "
        "covering the area). Every file ends with the column `campaign` (#crisis+code), the "
        "campaign's slug; empty in funds, as a donation has no campaign. "
        "Organisation names only: no contact persons or phone "
        "numbers; individual donors appear as 'Donatur perorangan'; in funds, a donor who did "
        "not choose to be named appears as 'Donatur perorangan' (a person) or 'Donatur yang "
        "tidak ingin disebut' (an organisation)."
    ),
    response={200: None, **errors(404, 422)},
    openapi_extra={
        "responses": {
            200: {
                "description": "The file (CSV in UTF-8, or an XLSX workbook)",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            }
        }
    },
)
def export_dataset(
    request: HttpRequest,
    # Text with an enum rather than a Literal: another name is a file that is not
    # there (404), not a malformed request.
    dataset: Annotated[str, WithJsonSchema({"type": "string", "enum": list(exports.DATASETS)}), Path()],
    fmt: Annotated[str, WithJsonSchema({"type": "string", "enum": list(FORMATS)}), Path()],
    region: str | None = _region_param("a region code at any level"),
    since: DateParam = None,
    until: DateParam = None,
    campaign: str | None = _campaign_param(),
) -> HttpResponseBase:
    throttle.check(request, "exports", throttle.by_client(request))
    if dataset not in exports.DATASETS:
        raise NotFound(
            _("Dataset %(name)r tidak ada; pilih salah satu: %(choices)s.")
            % {"name": dataset, "choices": ", ".join(exports.DATASETS)}
        )
    if fmt not in FORMATS:
        raise NotFound(_("Format %(name)r tidak ada; pilih csv atau xlsx.") % {"name": fmt})
    try:
        return exports.dataset_response(dataset, fmt, parse_scope(region, since, until, campaign))
    except ScopeError as exc:
        raise _raise(exc) from None
    except heavy.Busy as exc:
        return heavy.busy_response(request, exc)

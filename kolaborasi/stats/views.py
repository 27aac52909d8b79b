"""Public pages: the dashboard "Data Kolaborasi", its charts and the weekly report
(HTML and PDF). Thin: parse the filters, call selectors, render."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import IO, Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent
from kolaborasi.audit.selectors import chain_head_at, last_event_of
from kolaborasi.campaigns.models import CampaignStatus
from kolaborasi.campaigns.selectors import PAGE_PARAM, campaign_switch
from kolaborasi.core import heavy
from kolaborasi.core.authority import site_authority
from kolaborasi.core.errors import NotFound
from kolaborasi.core.throttle import by_client, throttle
from kolaborasi.regions.models import Level
from kolaborasi.regions.picker import RegionPick, region_pick

from . import charts
from .figures import Figures, aid_types, primary_aid_type
from .scope import Scope, ScopeError, breakdown_level, parse_scope
from .selectors import STATS_MAX_AGE_SECONDS, by_region, summary


def _map(scope: Scope) -> tuple[str, str]:
    """(level, parent) of the coverage map shown for ``scope``."""
    region = scope.region
    if region is None or region.level == Level.PROVINCE:
        return Level.CITY, region.code if region else ""
    if region.level in (Level.CITY, Level.DISTRICT):
        return Level.VILLAGE, region.code
    return Level.VILLAGE, region.code_at(Level.DISTRICT)


def _rows(fig: Figures) -> list[dict[str, Any]]:
    return [
        {
            "slug": t.slug,
            "name": t.display_name,
            "unit": t.display_unit,
            "pledged": fig["pledged"].get(t.slug, 0),
            "delivered": fig["delivered"].get(t.slug, 0),
            "confirmed": fig["confirmed"].get(t.slug, 0),
        }
        for t in aid_types()
    ]


def _picked_region(request: HttpRequest) -> tuple[RegionPick, str]:
    """The area chosen in the page's picker, and the code the figures use: a name typed
    into the search box counts only once it names one place; a code in the address
    (links, bookmarks) is checked by ``parse_scope`` as always."""
    pick = region_pick(request.GET, name="region")
    return pick, pick.code if pick.searched else request.GET.get("region", "")


def _page_scope(region: str, since: str | None, until: str | None, program: str | None) -> Scope:
    """The scope of a public page: the campaign comes as ``?program=SLUG``."""
    return parse_scope(region, since, until, program, campaign_field=PAGE_PARAM)


def dashboard(request: HttpRequest) -> TemplateResponse:
    pick, region = _picked_region(request)
    form = {
        "region": region,
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
        PAGE_PARAM: request.GET.get(PAGE_PARAM, ""),
    }
    context: dict[str, Any] = {"form": form, "error": None, "pick": pick}
    status = 200
    try:
        if pick.searched and pick.refusal:
            # A typed name that fits no place, or several: say so rather than show everywhere.
            raise ScopeError("region", pick.refusal)
        scope = _page_scope(form["region"], form["since"], form["until"], form[PAGE_PARAM])
    except ScopeError as exc:
        scope, status = Scope(), exc.status
        context["error"] = exc
    else:
        fig = summary(scope)
        level = breakdown_level(scope)
        breakdown = by_region(scope, level) if level else []
        query = urlencode(scope.query_params(PAGE_PARAM))
        map_level, map_parent = _map(scope)
        map_params = {
            "level": map_level,
            "parent": map_parent,
            "campaign": scope.query_params().get("campaign"),
        }
        context.update(
            {
                "scope": scope,
                "fig": fig,
                "types": _rows(fig),
                "breakdown": breakdown,
                "breakdown_level": level,
                "query": query,
                "api_query": urlencode(scope.query_params()),
                "report_query": urlencode(
                    {k: v for k, v in scope.query_params(PAGE_PARAM).items() if k in ("region", PAGE_PARAM)}
                ),
                "needs_query": urlencode(
                    {k: v for k, v in scope.query_params().items() if k in ("region", "campaign")}
                ),
                "switch": campaign_switch(
                    scope.campaign, {"region": form["region"], "since": form["since"], "until": form["until"]}
                ),
                "map_url": "/api/v1/exports/coverage.geojson?"
                + urlencode({k: v for k, v in map_params.items() if v}),
            }
        )
    context.update(
        {
            "primary": primary_aid_type(),
            "max_age": STATS_MAX_AGE_SECONDS,
        }
    )
    template = "stats/dashboard.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        template = "stats/dashboard.html#body"
    return TemplateResponse(request, template, context, status=status)


def _svg_response(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/svg+xml")
    # No HTTP caching on top of ours: it would stretch the 5-second promise.
    response["Cache-Control"] = "no-cache"
    return response


def _scope_or_error(request: HttpRequest) -> Scope:
    try:
        return _page_scope(
            request.GET.get("region", ""),
            request.GET.get("since"),
            request.GET.get("until"),
            request.GET.get(PAGE_PARAM),
        )
    except ScopeError as exc:
        if exc.status == 404:
            raise NotFound(exc.message) from None
        raise _BadRequest(str(exc)) from None


class _BadRequest(Exception):
    pass


def chart_cumulative(request: HttpRequest) -> HttpResponse:
    try:
        scope = _scope_or_error(request)
    except _BadRequest as exc:
        return HttpResponse(str(exc), status=422, content_type="text/plain; charset=utf-8")
    return _svg_response(charts.cumulative_svg(scope))


def chart_breakdown(request: HttpRequest) -> HttpResponse:
    try:
        scope = _scope_or_error(request)
    except _BadRequest as exc:
        return HttpResponse(str(exc), status=422, content_type="text/plain; charset=utf-8")
    return _svg_response(charts.breakdown_svg(scope))


# --- Weekly report --------------------------------------------------------------------


def parse_week(value: str | None) -> tuple[dt.date, dt.date]:
    """ISO week ``YYYY-Www`` → (Monday, Sunday); the current week when empty."""
    today = timezone.localdate()
    if not value:
        monday = today - dt.timedelta(days=today.weekday())
        return monday, monday + dt.timedelta(days=6)
    try:
        year_s, week_s = value.strip().upper().split("-W")
        monday = dt.date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise ScopeError(
            "week", _("%(value)r bukan minggu YYYY-Www, mis. 2020-W17") % {"value": value}
        ) from None
    if monday > today:
        raise ScopeError("week", _("Minggu %(value)s belum dimulai.") % {"value": value})
    return monday, monday + dt.timedelta(days=6)


def week_of_date(value: str) -> str:
    """The ISO week (``YYYY-Www``) holding the date ``value`` (``YYYY-MM-DD``), as the
    report's date picker sends it."""
    try:
        return _week_label(dt.date.fromisoformat(value.strip()))
    except ValueError:
        raise ScopeError("tanggal", _("Pilih tanggal dari kalender, mis. 2020-04-20.")) from None


def _report_context(request: HttpRequest) -> tuple[dict[str, Any], int]:
    pick, region = _picked_region(request)
    form = {
        "week": request.GET.get("week", ""),
        "region": region,
        PAGE_PARAM: request.GET.get(PAGE_PARAM, ""),
    }
    try:
        if pick.searched and pick.refusal:
            raise ScopeError("region", pick.refusal)
        if request.GET.get("tanggal"):
            form["week"] = week_of_date(request.GET["tanggal"])
        monday, sunday = parse_week(form["week"])
        base = _page_scope(form["region"], None, None, form[PAGE_PARAM])
    except ScopeError as exc:
        context = {"form": form, "error": exc, "week_label": "", "region": None, "pdf": False, "pick": pick}
        return context, exc.status
    total = dataclasses.replace(base, until=sunday)
    week = dataclasses.replace(base, since=monday, until=sunday)
    fig = summary(total)
    fig_week = summary(week)
    level = breakdown_level(total)
    iso = monday.isocalendar()
    end_of_week = timezone.make_aware(dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time()))
    types = _rows(fig)
    for row in types:
        row["week"] = fig_week["pledged"].get(row["slug"], 0)
    return (
        {
            "form": form,
            "error": None,
            "pick": pick,
            "monday": monday,
            "sunday": sunday,
            "week_label": f"{iso.year}-W{iso.week:02d}",
            "region": base.region,
            "fig": fig,
            "fig_week": fig_week,
            "types": types,
            "breakdown": by_region(total, level) if level else [],
            "breakdown_level": level,
            "audit_head": _anchor(base, min(end_of_week, timezone.now())),
            "query": urlencode(total.query_params(PAGE_PARAM)),
            "campaign": base.campaign,
            # The report's own links keep the campaign it shows, named or by default.
            "program": base.campaign.slug if base.campaign and not base.by_default else "",
            "switch": campaign_switch(
                base.campaign, {"week": form["week"], "region": form["region"]}, closed_too=True
            ),
            "primary": primary_aid_type(),
            "max_age": STATS_MAX_AGE_SECONDS,
            "prev_week": _week_label(monday - dt.timedelta(days=7)),
            "next_week": _week_label(monday + dt.timedelta(days=7))
            if monday + dt.timedelta(days=7) <= timezone.localdate()
            else "",
        },
        200,
    )


def _anchor(scope: Scope, moment: dt.datetime) -> AuditEvent | None:
    """The audit link a report up to ``moment`` names. A closed campaign's figures have
    not moved since its close, so its report anchors the close when that came first: the
    report stays the same however much the chain grows with later campaigns."""
    campaign = scope.campaign
    if campaign is not None and campaign.status == CampaignStatus.CLOSED:
        closed = last_event_of(campaign, AuditAction.CAMPAIGN_CLOSED)
        if closed is not None and closed.created_at < moment:
            return closed
    return chain_head_at(moment)


def _week_label(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def report(request: HttpRequest) -> TemplateResponse:
    context, status = _report_context(request)
    return TemplateResponse(request, "stats/report.html", context, status=status)


def _as_the_public(request: HttpRequest) -> HttpRequest:
    """The request a cached PDF is rendered with: one file serves every visitor, so it
    must not carry the first visitor's login, menu or pending messages."""
    public = copy.copy(request)
    public.user = AnonymousUser()
    public._messages = []  # type: ignore[attr-defined]
    return public


def _authority_version() -> str:
    authority = site_authority()
    return authority.updated_at.isoformat() if authority is not None else ""


@throttle("report_pdf", by_client, methods=("GET", "HEAD"))
def report_pdf(request: HttpRequest) -> HttpResponseBase:
    """The report as PDF, rendered once per data version, week, area and language
    (``kolaborasi.core.heavy``): a rendering takes seconds of CPU."""
    context, status = _report_context(request)
    if status != 200:
        html = render_to_string("stats/report.html", context, request=request)
        return HttpResponse(html, status=status)
    name = f"laporan-{context['week_label']}"
    if context["region"] is not None:
        name += f"-{context['region'].code}"
    base_url = request.build_absolute_uri("/")

    def compute(out: IO[bytes]) -> None:
        # Not a cycle: WeasyPrint is a slow import that also changes Pillow's settings for
        # the whole process, so it is loaded only in a process that makes a PDF.
        from .pdf import html_to_pdf

        context["pdf"] = True
        html = render_to_string("stats/report.html", context, request=_as_the_public(request))
        out.write(html_to_pdf(html, base_url=base_url))

    if context["program"]:
        name += f"-{context['program']}"
    parts = (
        "report",
        context["week_label"],
        context["form"]["region"].strip(),
        context["campaign"].slug if context["campaign"] else "",
        get_language(),
        base_url,
        timezone.localdate(),  # "next week" is offered once it has begun
        _authority_version(),  # the PDF names whoever runs the site
    )
    try:
        handle = heavy.cached_file(parts, ".pdf", compute)
    except heavy.Busy as exc:
        return heavy.busy_response(request, exc)
    return heavy.file_response(
        handle, content_type="application/pdf", disposition=f'inline; filename="{name}.pdf"'
    )

"""Public pages: the dashboard "Data Kolaborasi", its charts and the weekly report
(HTML and PDF). Thin: parse the filters, call selectors, render."""

from __future__ import annotations

import copy
import datetime as dt
from typing import IO, Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kolaborasi.core import heavy
from kolaborasi.core.throttle import by_client, throttle
from kolaborasi.regions.models import Level, Region

from . import charts
from .selectors import (
    STATS_MAX_AGE_SECONDS,
    Figures,
    Scope,
    ScopeError,
    aid_types,
    breakdown_level,
    by_region,
    parse_scope,
    primary_aid_type,
    summary,
)


def _filter_regions(scope: Scope) -> list[tuple[str, str]]:
    """Suggestions for the area field: provinces and cities, plus the chosen region's
    ancestors and children (a datalist; any code can be typed)."""
    qs = Region.objects.filter(level__in=[Level.PROVINCE, Level.CITY])
    codes: list[str] = []
    if scope.region is not None:
        codes = [*scope.region.ancestor_codes(), scope.region.code]
        qs = qs | Region.objects.filter(code__in=codes) | Region.objects.filter(parent=scope.region)
    return list(qs.distinct().order_by("code").values_list("code", "name"))


def _map(scope: Scope) -> tuple[str, str]:
    """(level, parent) of the coverage map shown for ``scope``."""
    region = scope.region
    if region is None or region.level == Level.PROVINCE:
        return Level.CITY, region.code if region else ""
    if region.level in (Level.CITY, Level.DISTRICT):
        return Level.VILLAGE, region.code
    district = ".".join(region.code.split(".")[:3])
    return Level.VILLAGE, district


def _rows(fig: Figures) -> list[dict[str, Any]]:
    return [
        {
            "slug": t.slug,
            "name": t.name,
            "unit": t.unit,
            "pledged": fig["pledged"].get(t.slug, 0),
            "delivered": fig["delivered"].get(t.slug, 0),
            "confirmed": fig["confirmed"].get(t.slug, 0),
        }
        for t in aid_types()
    ]


def dashboard(request: HttpRequest) -> TemplateResponse:
    form = {k: request.GET.get(k, "") for k in ("region", "since", "until")}
    context: dict[str, Any] = {"form": form, "error": None}
    status = 200
    try:
        scope = parse_scope(form["region"], form["since"], form["until"])
    except ScopeError as exc:
        scope, status = Scope(), exc.status
        context["error"] = exc
    else:
        fig = summary(scope)
        level = breakdown_level(scope)
        breakdown = by_region(scope, level) if level else []
        query = urlencode(scope.query_params())
        map_level, map_parent = _map(scope)
        context.update(
            {
                "scope": scope,
                "fig": fig,
                "types": _rows(fig),
                "breakdown": breakdown,
                "breakdown_level": level,
                "query": query,
                "map_url": "/api/v1/exports/coverage.geojson?"
                + urlencode({k: v for k, v in {"level": map_level, "parent": map_parent}.items() if v}),
            }
        )
    context.update(
        {
            "regions": _filter_regions(scope),
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
        return parse_scope(request.GET.get("region"), request.GET.get("since"), request.GET.get("until"))
    except ScopeError as exc:
        if exc.status == 404:
            raise Http404(str(exc)) from None
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


def _report_context(request: HttpRequest) -> tuple[dict[str, Any], int]:
    form = {"week": request.GET.get("week", ""), "region": request.GET.get("region", "")}
    try:
        monday, sunday = parse_week(form["week"])
        base = parse_scope(form["region"], None, None)
    except ScopeError as exc:
        return {"form": form, "error": exc, "week_label": "", "region": None, "pdf": False}, exc.status
    total = Scope(region=base.region, until=sunday)
    week = Scope(region=base.region, since=monday, until=sunday)
    fig = summary(total)
    fig_week = summary(week)
    level = breakdown_level(total)
    iso = monday.isocalendar()
    types = _rows(fig)
    for row in types:
        row["week"] = fig_week["pledged"].get(row["slug"], 0)
    return (
        {
            "form": form,
            "error": None,
            "monday": monday,
            "sunday": sunday,
            "week_label": f"{iso.year}-W{iso.week:02d}",
            "region": base.region,
            "fig": fig,
            "fig_week": fig_week,
            "types": types,
            "breakdown": by_region(total, level) if level else [],
            "breakdown_level": level,
            "query": urlencode(total.query_params()),
            "primary": primary_aid_type(),
            "max_age": STATS_MAX_AGE_SECONDS,
            "prev_week": _week_label(monday - dt.timedelta(days=7)),
            "next_week": _week_label(monday + dt.timedelta(days=7))
            if monday + dt.timedelta(days=7) <= timezone.localdate()
            else "",
        },
        200,
    )


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
        from .pdf import html_to_pdf

        context["pdf"] = True
        html = render_to_string("stats/report.html", context, request=_as_the_public(request))
        out.write(html_to_pdf(html, base_url=base_url))

    parts = (
        "report",
        context["week_label"],
        context["form"]["region"].strip(),
        get_language(),
        base_url,
        timezone.localdate(),  # "next week" is offered once it has begun
    )
    try:
        handle = heavy.cached_file(parts, ".pdf", compute)
    except heavy.Busy as exc:
        return heavy.busy_response(request, exc)
    return heavy.file_response(
        handle, content_type="application/pdf", disposition=f'inline; filename="{name}.pdf"'
    )

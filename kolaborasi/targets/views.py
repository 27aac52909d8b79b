"""Public pages: the home page, the map (Peta), the list (Daftar), one target (Sasaran), the
finder (Cari).

Views only translate: parse the query string, call a selector, render. No login."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.template.response import TemplateResponse
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from kolaborasi.accounts.access import coordinator_covers, is_operator
from kolaborasi.accounts.selectors import user_organisations
from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.selectors import PAGE_PARAM, campaign_switch, page_campaign, public_campaign_by_slug
from kolaborasi.core.errors import NotFound
from kolaborasi.core.throttle import by_client, throttle
from kolaborasi.regions.models import Level, Region
from kolaborasi.regions.picker import region_pick

from . import finder, maps, selectors
from .models import AidType, TargetKind

PAGE_SIZE = 25
# Before the operator has set up any aid type there is nothing to count needs in.
NO_AID_TYPES = gettext_lazy("Belum ada jenis bantuan yang aktif. Operator program perlu menambahkannya dulu.")
MAP_CACHE_SECONDS = 60


def home(request: HttpRequest) -> HttpResponse:
    """The home page: what the platform is for and how much need it records. Its figures
    are of the registry (RWs and institutions are shared by every campaign); the campaign
    the links lead to is named beside them, with the switcher when several are open."""
    campaign, campaign_error = page_campaign(request.GET.get(PAGE_PARAM), None)
    switch = campaign_switch(campaign, {})
    return TemplateResponse(
        request,
        "targets/home.html",
        {
            "summary": selectors.home_summary(),
            "campaign": campaign,
            "campaign_error": campaign_error,
            "switch": switch,
            "program": campaign.slug if campaign and switch else "",
        },
    )


def _aid_type_or_default(slug: str) -> tuple[AidType | None, str]:
    """The aid type asked for, or the default with a message when the slug is unknown."""
    aid = selectors.aid_type_get(slug or None)
    if aid is None and slug:
        return selectors.aid_type_get(None), _("Jenis bantuan %(slug)s tidak dikenal.") % {"slug": slug}
    return aid, ""


def _region_or_none(code: str) -> tuple[Region | None, str]:
    if not code:
        return None, ""
    region = Region.objects.filter(code=code).first()
    if region is None:
        return None, _("Wilayah %(code)s tidak ditemukan.") % {"code": code}
    return region, ""


def _json_campaign(request: HttpRequest) -> tuple[Campaign | None, JsonResponse | None]:
    """The campaign the map's data is of (``?program=SLUG``; the page passes the one it
    shows), or a 404 naming an unknown slug. Without it: every campaign's needs, as the
    map data was before campaigns (the page always names one once a campaign exists)."""
    slug = request.GET.get(PAGE_PARAM, "").strip()
    if not slug:
        return None, None
    campaign = public_campaign_by_slug(slug)
    if campaign is None:
        return None, JsonResponse(
            {"detail": _("Program %(slug)s tidak ditemukan.") % {"slug": slug[:60]}}, status=404
        )
    return campaign, None


# --- Peta -----------------------------------------------------------------------------------


@require_GET
def peta(request: HttpRequest) -> HttpResponse:
    aid, error = _aid_type_or_default(request.GET.get("jenis", ""))
    region, region_error = _region_or_none(request.GET.get("wilayah", ""))
    region = region or maps.map_default_region()
    campaign, campaign_error = page_campaign(request.GET.get(PAGE_PARAM), region.code if region else None)
    config = {
        "program": campaign.slug if campaign else "",
        "dataUrl": "/peta/data/",
        "infoUrl": "/peta/info/",
        "targetUrl": "/peta/sasaran/",
        "parent": region.code if region else "",
        "level": maps.map_level(region),
        "aidType": aid.slug if aid else "",
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "labels": {
            "kota": _("Kota"),
            "kecamatan": _("Kecamatan"),
            "kelurahan": _("Kelurahan"),
            "rw": _("RW"),
            "households": _("KK rentan"),
            "residents": _("Penghuni"),
            "need": _("Kebutuhan"),
            "committed": _("Komitmen"),
            "delivered": _("Tersalurkan"),
            "remaining": _("Sisa"),
            "head": _("Ketua RW"),
            "give": _("Beri bantuan"),
            "list": _("Lihat daftar"),
            "showRw": _("Tampilkan RW"),
            "top": _("Prioritas di sini"),
            "none": _("Tidak ada kebutuhan tersisa"),
            "synthetic": _("DATA SINTETIS"),
            "loading": _("Memuat…"),
            "error": _("Data peta tidak dapat dimuat."),
            "noData": _("tanpa sasaran"),
            "showAll": _("Semua wilayah"),
            "kinds": {k.value: str(k.label) for k in TargetKind},
        },
    }
    return TemplateResponse(
        request,
        "targets/peta.html",
        {
            "aid_types": selectors.aid_types_active(),
            "aid_type": aid,
            "region": region,
            "error": error or region_error or campaign_error,
            "campaign": campaign,
            "switch": campaign_switch(
                campaign,
                {
                    "wilayah": request.GET.get("wilayah", ""),
                    "jenis": aid.slug if aid and request.GET.get("jenis") else "",
                },
            ),
            "has_boundaries": maps.boundaries_exist(),
            "map_config": config,
            "kinds": [(k.value, k.label) for k in TargetKind if k != TargetKind.RW],
        },
    )


def _cached_json(request: HttpRequest, key: str, build: Any) -> HttpResponse:
    """Serve compact JSON from the cache with a strong ETag; 304 when unchanged."""
    cached = cache.get(key)
    if cached is None:
        cached = build()
        cache.set(key, cached, MAP_CACHE_SECONDS)
    body, etag = cached
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAP_CACHE_SECONDS}"}
    # gzip_page turns the ETag weak (W/"...") on compressed answers: compare weakly.
    sent = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    if etag in sent or "*" in sent:
        response: HttpResponse = HttpResponseNotModified(headers=headers)
    else:
        response = HttpResponse(body, content_type="application/json", headers=headers)
    return response


@require_GET
@throttle("map", by_client, methods=("GET", "HEAD"))
@gzip_page
def peta_data(request: HttpRequest, aid: str) -> HttpResponse:
    """Choropleth GeoJSON of the areas under ``parent`` for one aid type (cached)."""
    aid_type = selectors.aid_type_get(aid)
    if aid_type is None:
        return JsonResponse(
            {"detail": _("Jenis bantuan %(slug)r tidak dikenal.") % {"slug": aid}}, status=404
        )
    code = request.GET.get("parent", "")
    parent = None
    if code:
        parent = Region.objects.filter(code=code).first()
        if parent is None:
            return JsonResponse(
                {"detail": _("Wilayah %(code)r tidak ditemukan.") % {"code": code}}, status=404
            )
    level = request.GET.get("level") or maps.map_level(parent)
    if level not in Level.values:
        return JsonResponse({"detail": _("Tingkat %(level)r tidak dikenal.") % {"level": level}}, status=422)
    campaign, refusal = _json_campaign(request)
    if refusal is not None:
        return refusal
    key = f"peta:data:{aid_type.slug}:{code}:{level}:{campaign.slug if campaign else ''}"
    return _cached_json(request, key, lambda: maps.map_data_json(aid_type, parent, level, campaign))


@require_GET
@throttle("map", by_client, methods=("GET", "HEAD"))
@gzip_page
def peta_info(request: HttpRequest, code: str) -> HttpResponse:
    """Popup content for one area: where, how many, need per aid type, top targets."""
    region = Region.objects.filter(code=code).first()
    if region is None:
        return JsonResponse({"detail": _("Wilayah %(code)r tidak ditemukan.") % {"code": code}}, status=404)
    aid_type = selectors.aid_type_get(request.GET.get("jenis") or None) or selectors.aid_type_get(None)
    if aid_type is None:
        raise NotFound(NO_AID_TYPES)
    campaign, refusal = _json_campaign(request)
    if refusal is not None:
        return refusal
    if region.level == Level.RW:
        target = region.targets.filter(kind=TargetKind.RW).first()
        if target is not None:
            return peta_target(request, target.pk)

    def build() -> tuple[bytes, str]:
        body = json.dumps(maps.area_summary(region, aid_type, campaign), default=str).encode()
        return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    return _cached_json(
        request, f"peta:info:{aid_type.slug}:{code}:{campaign.slug if campaign else ''}", build
    )


@require_GET
@throttle("map", by_client, methods=("GET", "HEAD"))
@gzip_page
def peta_target(request: HttpRequest, target_id: int) -> HttpResponse:
    target = selectors.target_get(target_id)
    if target is None:
        return JsonResponse({"detail": _("Sasaran %(id)s tidak ditemukan.") % {"id": target_id}}, status=404)
    target["url"] = f"/sasaran/{target_id}/"
    return JsonResponse(target, json_dumps_params={"default": str})


# --- Daftar ---------------------------------------------------------------------------------


@require_GET
def daftar(request: HttpRequest) -> HttpResponse:
    """Drill down kota → kecamatan → kelurahan → RW with filters, sort, search and pages.
    An HTMX request gets only the ``results`` partial."""
    errors: list[str] = []
    aid, error = _aid_type_or_default(request.GET.get("jenis", ""))
    if error:
        errors.append(error)
    # The area by name or from the picker's select (a drill-down link sends a code); the
    # picker itself says why a name or code gave no place.
    pick = region_pick(request.GET, name="wilayah", label=_("Wilayah"))
    region = pick.region
    kind = request.GET.get("kategori", "")
    if kind and kind not in selectors.KINDS:
        errors.append(_("Kategori %(kind)s tidak dikenal.") % {"kind": kind})
        kind = ""
    order = request.GET.get("urut", "priority")
    if order not in selectors.ORDERS:
        errors.append(_("Urutan %(order)s tidak dikenal.") % {"order": order})
        order = "priority"
    unmet = request.GET.get("belum") in ("1", "on", "true")
    q = request.GET.get("q", "").strip()[:100]
    try:
        page_number = max(1, int(request.GET.get("hal", "1")))
    except ValueError:
        errors.append(_("Nomor halaman harus angka."))
        page_number = 1
    if aid is None:
        raise NotFound(NO_AID_TYPES)
    campaign, campaign_error = page_campaign(request.GET.get(PAGE_PARAM), region.code if region else None)
    if campaign_error:
        errors.append(campaign_error)
    result = selectors.targets_list(
        campaign=campaign,
        region=region,
        kind=kind or None,
        aid_type=aid,
        unmet=unmet,
        order=order,
        q=q,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    pages = max(1, (result.count + PAGE_SIZE - 1) // PAGE_SIZE)
    paginator = Paginator(range(result.count), PAGE_SIZE)
    params = request.GET.copy()
    params.pop("hal", None)
    context = {
        "aid_types": selectors.aid_types_active(),
        "aid_type": aid,
        "region": region,
        "path": selectors.region_path(region),
        "children": selectors.region_children_with_need(region, aid, campaign),
        "campaign": campaign,
        "program": campaign.slug if campaign and request.GET.get(PAGE_PARAM) and not campaign_error else "",
        "switch": campaign_switch(
            campaign,
            {k: request.GET.get(k, "") for k in ("wilayah", "jenis", "kategori", "urut", "belum", "q")},
        ),
        "kinds": TargetKind.choices,
        "kind": kind,
        "order": order,
        "unmet": unmet,
        "q": q,
        "errors": errors,
        "count": result.count,
        "items": result.items,
        "page_number": min(page_number, pages),
        "pages": pages,
        "page_range": paginator.get_elided_page_range(min(page_number, pages), on_each_side=2, on_ends=1),
        "querystring": params.urlencode(),
        "first_index": (page_number - 1) * PAGE_SIZE + 1,
        "ellipsis": Paginator.ELLIPSIS,
        "pick": pick,
    }
    template = "targets/daftar.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        template = "targets/daftar.html#results"
        # The form's picker follows a drill-down link or a crumb clicked in the results.
        context["picker_out_of_band"] = True
    return TemplateResponse(request, template, context)


# --- Sasaran --------------------------------------------------------------------------------


def _can_update_need(request: HttpRequest, region_code: str) -> bool:
    """Show the "update need" link to operators and coordinators covering the target
    (the need-update page itself enforces the same rule)."""
    user = request.user
    if not user.is_authenticated:
        return False
    return is_operator(user) or any(coordinator_covers(org, region_code) for org in user_organisations(user))


@require_GET
def sasaran(request: HttpRequest, target_id: int) -> HttpResponse:
    target = selectors.target_get(target_id)
    if target is None:
        raise NotFound(_("Sasaran tidak ditemukan."))
    region = Region.objects.get(code=target["region"]["code"])
    return TemplateResponse(
        request,
        "targets/sasaran.html",
        {
            "target": target,
            "path": selectors.region_path(region),
            "pledge_url": f"/komitmen/baru/{target_id}/",
            "funding_url": f"/dana/sasaran/{target_id}/",
            "can_update_need": _can_update_need(request, region.code),
            "need_update_url": f"/komitmen/kebutuhan/{target_id}/",
            "need_change": selectors.latest_need_change(target_id),
        },
    )


# --- Cari -----------------------------------------------------------------------------------


@require_GET
def cari(request: HttpRequest) -> HttpResponse:
    """ "Saya punya N paket …": where to take them (see finder.finder_suggestions)."""
    errors: dict[str, str] = {}
    aid_slug = request.GET.get("jenis", "")
    raw_quantity = request.GET.get("jumlah", "").strip()
    pick = region_pick(request.GET, name="wilayah", deepest=Level.DISTRICT)
    # A typed name counts once it names one place; a code (links, the select) as sent.
    code = pick.code if pick.searched else request.GET.get("wilayah", "").strip()
    if pick.refusal:  # a code or name that names no place, or a name that fits several
        errors["wilayah"] = pick.refusal
    suggestions = None
    aid = selectors.aid_type_get(aid_slug or None)
    region = None
    # Only one campaign's needs: the one chosen (``?program=SLUG``), else the default
    # for the area; an unknown slug is said over the default one, as on the list.
    campaign, campaign_error = page_campaign(
        request.GET.get(PAGE_PARAM), None if pick.refusal else code or None
    )
    if raw_quantity or code or aid_slug:
        if aid is None:
            errors["jenis"] = _("Jenis bantuan %(slug)s tidak dikenal.") % {"slug": aid_slug}
        quantity = 0
        try:
            quantity = int(raw_quantity)
            if quantity < 1:
                errors["jumlah"] = _("Jumlah harus bilangan bulat positif.")
        except ValueError:
            errors["jumlah"] = _("Jumlah harus bilangan bulat positif.")
        region = pick.region
        if not errors and aid is not None:
            suggestions = finder.finder_suggestions(aid, quantity, code or None, campaign=campaign)
    return TemplateResponse(
        request,
        "targets/cari.html",
        {
            "aid_types": selectors.aid_types_active(),
            "aid_type": aid,
            "quantity": raw_quantity,
            "region": region,
            "code": code,
            "pick": pick,
            "errors": errors,
            "suggestions": suggestions,
            "campaign": campaign,
            "campaign_error": campaign_error,
            "program": campaign.slug
            if campaign and request.GET.get(PAGE_PARAM) and not campaign_error
            else "",
            "switch": campaign_switch(
                campaign, {k: request.GET.get(k, "").strip() for k in ("jumlah", "jenis", "wilayah")}
            ),
        },
        status=422 if errors else 200,
    )

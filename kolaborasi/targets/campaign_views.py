"""The operators' campaign pages (/akun/operator/program/...): the list of every campaign
with its needs, a new campaign (needs from the latest counts or a needs CSV), opening a
draft and closing an open one.

A new campaign made here opens at once: a draft's needs would already show wherever needs
are read without naming a campaign (a target's page, the API's list), and drafts are not
public. Drafts come from elsewhere (``campaigns.services.campaign_create``) and are
opened here. Here and not in ``campaigns`` because a new campaign's
needs are written by ``targets.campaigns``; who may act is ``campaigns.access``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kolaborasi.accounts.selectors import regions_by_code
from kolaborasi.campaigns.access import campaign_operator
from kolaborasi.campaigns.errors import CampaignInputError
from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.campaigns.services import campaign_close, campaign_open
from kolaborasi.core.confirm import confirmation_page, confirmed
from kolaborasi.core.errors import Conflict, ImportRejected
from kolaborasi.core.once import created_redirect, exactly_once

from . import selectors
from .campaigns import NEED_QUANTITY_MAX, campaign_start
from .forms import CampaignForm, NeedSource

# The service's field names → the form's.
FORM_FIELDS = {"region": "kode", "aid_type": "aid_types", "need_rule": "source"}


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaign_operator(request.user)
    return TemplateResponse(
        request, "targets/program_daftar.html", {"rows": selectors.campaigns_for_operators()}
    )


@login_required
@exactly_once
def campaign_new(request: HttpRequest) -> HttpResponse:
    """A new campaign. "Tambahkan wilayah" only adds the chosen place to the list."""
    organisation = campaign_operator(request.user)
    aid_types = selectors.aid_types_active()
    form = CampaignForm(request.POST or None, request.FILES or None, aid_types=aid_types)
    row_errors: list[Any] = []
    status = 200
    if request.method == "POST" and "add_area" in request.POST:
        form = form.area_added(aid_types=aid_types)
        status = 400 if form.errors else 200
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            upload = data["needs"] if data["source"] == NeedSource.CSV else None
            try:
                campaign = campaign_start(
                    actor=request.user,
                    organisation=organisation,
                    name=data["name"],
                    region_codes=data["codes"],
                    aid_type_slugs=data["aid_types"],
                    start=data["start"],
                    end=data["end"],
                    description=data["description"],
                    needs_csv=upload.read() if upload is not None else None,
                    needs_label=upload.name or "" if upload is not None else "",
                )
            except CampaignInputError as exc:
                field = FORM_FIELDS.get(exc.field, exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
            except ImportRejected as exc:
                row_errors = exc.errors
                form.add_error("needs", _("Berkas ditolak: %(detail)s.") % {"detail": exc})
            else:
                messages.success(
                    request,
                    _("Program %(name)s berjalan dengan %(needs)s kebutuhan.")
                    % {"name": campaign.name, "needs": campaign.needs.count()},
                )
                return created_redirect(request, reverse("targets:campaign_list"))
        status = 400
    codes = form.data.getlist("area") if hasattr(form.data, "getlist") else []
    form.area_choices(regions_by_code(codes))
    context = {"form": form, "row_errors": row_errors, "quantity_max": NEED_QUANTITY_MAX}
    return TemplateResponse(request, "targets/program_baru.html", context, status=status)


@login_required
@require_POST
def campaign_open_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    organisation = campaign_operator(request.user)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        campaign_open(actor=request.user, organisation=organisation, campaign=campaign)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Program %(name)s dibuka dan menerima komitmen.") % {"name": campaign.name}
        )
    return redirect("targets:campaign_list")


@login_required
@require_POST
def campaign_close_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    organisation = campaign_operator(request.user)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if not confirmed(request) and campaign.status != CampaignStatus.CLOSED:
        return confirmation_page(
            request,
            title=_("Tutup program %(name)s?") % {"name": campaign.name},
            consequence=_(
                "Menutup program bersifat final dan tidak dapat diurungkan: program ini tidak lagi "
                "menerima komitmen maupun penyaluran baru, dan angkanya dibekukan seperti saat ini."
            ),
            action_label=_("Ya, tutup program"),
            back_url=reverse("targets:campaign_list"),
        )
    try:
        campaign_close(actor=request.user, organisation=organisation, campaign=campaign)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Program %(name)s ditutup: tidak ada komitmen atau penyaluran baru.") % {"name": campaign.name},
        )
    return redirect("targets:campaign_list")

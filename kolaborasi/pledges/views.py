"""Pledge pages: the pledge form, my organisation's pledges, the coordinator's inbox
and the operator's overview. Thin: access check, one service call, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kolaborasi.accounts.access import (
    by_active_organisation,
    by_active_organisation_uploading,
    org_for_request,
)
from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.campaigns.errors import CampaignClosed, CampaignFrozen
from kolaborasi.core import heavy
from kolaborasi.core.confirm import confirmation_page, confirmed
from kolaborasi.core.once import created, created_redirect, exactly_once, guarded
from kolaborasi.core.refusal import refuse
from kolaborasi.core.throttle import throttle
from kolaborasi.targets.finder import finder_suggestions
from kolaborasi.targets.models import Target
from kolaborasi.targets.services import NeedUpdateError, can_update_need, need_update

from . import services, suspension
from .access import (
    PLEDGING_KINDS,
    confirmable_pledges_for_org,
    get_pledge_for_user,
    open_disputes_for_org,
)
from .errors import suspended_message
from .evidence import CleanImage, EvidenceRejected, evidence_clean
from .forms import (
    AnswerForm,
    DeliveryForm,
    ExtendForm,
    NeedChoiceField,
    NeedUpdateForm,
    PledgeForm,
    SuspendForm,
)
from .holds import hold_policy
from .models import LIVE_STATUSES, Delivery, DisputeAnswer, OrganisationHold, Pledge, PledgeStatus
from .selectors import area_hold_flags, burst_flags, over_covered_needs, pledges_for_org


def _suggestions(need: Any, quantity: int) -> list[dict[str, Any]]:
    """The finder's alternatives (kolaborasi.targets.finder) to the target that just
    refused ``quantity``: never that target itself; in its kelurahan, else its kecamatan."""
    target = need.target
    try:
        for area in (target.village_id, target.district_code):
            found = finder_suggestions(need.aid_type, quantity, area, exclude=target.pk)[:5]
            if found:
                return found
    except Exception:  # suggestions are a courtesy; never fail the form over them
        return []
    return []


def _exhausted_message(need: Any, asked: int, remaining: int) -> str:
    """What a refused quantity means, said as it is now: it may never have fitted, so the
    message states the remaining need rather than that the amount "no longer" fits."""
    unit = need.aid_type.display_unit
    if remaining == 0:
        return _("Kebutuhan %(aid_type)s sasaran ini sudah tercukupi oleh komitmen yang ada.") % {
            "aid_type": need.aid_type.display_name
        }
    return _(
        "Jumlah yang Anda masukkan, %(asked)s %(unit)s, melebihi sisa kebutuhan. "
        "Sisa kebutuhan saat ini %(n)s %(unit)s."
    ) % {"asked": intcomma(asked), "n": intcomma(remaining), "unit": unit}


def _pledging_org(request: HttpRequest) -> Organisation:
    org = org_for_request(request)
    if org is None or org.kind not in PLEDGING_KINDS:
        raise PermissionDenied(_("Hanya anggota organisasi donatur atau agregator yang dapat berkomitmen."))
    return org


@login_required
@throttle("pledges", by_active_organisation)
@exactly_once
def pledge_new(request: HttpRequest, target_id: int) -> HttpResponse:
    target = get_object_or_404(Target.objects.select_related("region", "village"), pk=target_id)
    org = _pledging_org(request)
    if org.suspended_at is not None:
        return refuse(
            request,
            403,
            suspended_message(org),
            next_step=_("Komitmen yang sudah tercatat dapat dilihat di halaman Komitmen saya."),
        )
    form = PledgeForm(request.POST or None, target=target)
    exhausted: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        need = form.cleaned_data["need"]
        try:
            pledge = services.pledge_create(
                actor=request.user,
                organisation=org,
                need=need,
                quantity=form.cleaned_data["quantity"],
                planned_delivery=form.cleaned_data["planned_delivery"],
                contact_name=form.cleaned_data["contact_name"],
                contact_phone=form.cleaned_data["contact_phone"],
            )
        except services.NeedExhausted as exc:
            asked = form.cleaned_data["quantity"]
            exhausted = {
                "remaining": exc.remaining,
                "need": need,
                "message": _exhausted_message(need, asked, exc.remaining),
                "suggestions": _suggestions(need, asked),
            }
            form.add_error(
                "quantity",
                _("Paling banyak %(n)s %(unit)s untuk sasaran ini saat ini.")
                % {"n": intcomma(exc.remaining), "unit": need.aid_type.display_unit},
            )
        except services.PledgeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # Says what state the pledge is in, in words: "Komitmen" alone read as a status
            # told nobody that the packages are still to be delivered.
            messages.success(
                request,
                _(
                    "Komitmen #%(id)s tercatat: %(n)s %(unit)s %(aid_type)s untuk %(target)s, "
                    "belum disalurkan, rencana penyaluran %(date)s. Catat penyalurannya di "
                    "halaman ini setelah bantuan diserahkan. Terima kasih!"
                )
                % {
                    "id": pledge.pk,
                    "n": intcomma(pledge.quantity),
                    "unit": need.aid_type.display_unit,
                    "aid_type": need.aid_type.display_name,
                    "target": target.name,
                    "date": formats.date_format(pledge.planned_delivery, "j F Y"),
                },
            )
            return created_redirect(request, "/komitmen/")
    need_field = form.fields["need"]
    assert isinstance(need_field, NeedChoiceField)
    return TemplateResponse(
        request,
        "pledges/new.html",
        {
            "target": target,
            "form": form,
            "org": org,
            "exhausted": exhausted,
            # What the form offers: the needs of open campaigns, each campaign named
            # when there are several.
            "needs": need_field.queryset,
            "name_campaigns": need_field.name_campaigns,
            "policy": hold_policy(org),
            "held": OrganisationHold.objects.filter(pk=org.pk).values_list("held", flat=True).first() or 0,
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    org = org_for_request(request)
    pledges: list[Pledge] = []
    if org is not None:
        pledges = list(
            pledges_for_org(org).prefetch_related(
                Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "pk"))
            )[:500]
        )
    return TemplateResponse(
        request,
        "pledges/mine.html",
        {
            "org": org,
            "pledges": pledges,
            "can_pledge": org is not None and org.kind in PLEDGING_KINDS,
            "delivery_form": DeliveryForm(),
            "extend_form": ExtendForm(),
        },
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    org = org_for_request(request)
    if org is None or org.kind not in (OrgKind.COORDINATOR, OrgKind.OPERATOR):
        raise PermissionDenied(_("Kotak konfirmasi hanya untuk koordinator wilayah dan operator."))
    pledges = (
        confirmable_pledges_for_org(org)
        .select_related("target", "aid_type", "organisation", "need")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "pk")))
        .order_by("updated_at", "pk")[:500]
    )
    return TemplateResponse(
        request,
        "pledges/inbox.html",
        {"org": org, "pledges": pledges, "disputes": open_disputes_for_org(org).count()},
    )


@login_required
def disputes(request: HttpRequest) -> HttpResponse:
    """Open disputes the receiving side has to settle, oldest first, with the
    delivering organisation's answers."""
    org = org_for_request(request)
    if org is None or org.kind not in (OrgKind.COORDINATOR, OrgKind.OPERATOR):
        raise PermissionDenied(_("Daftar persoalan hanya untuk koordinator wilayah dan operator."))
    deliveries = (
        open_disputes_for_org(org)
        .select_related("pledge__target", "pledge__aid_type", "pledge__organisation", "reviewed_by")
        .prefetch_related(Prefetch("answers", queryset=DisputeAnswer.objects.order_by("created_at", "pk")))
        .order_by("reviewed_at", "pk")[:500]
    )
    return TemplateResponse(request, "pledges/disputes.html", {"org": org, "deliveries": deliveries})


@login_required
def everything(request: HttpRequest) -> HttpResponse:
    org = org_for_request(request)
    if org is None or org.kind != OrgKind.OPERATOR:
        raise PermissionDenied(_("Halaman ini hanya untuk operator."))
    status = request.GET.get("status", "")
    qs = Pledge.objects.select_related("target", "aid_type", "organisation", "need").order_by(
        "-created_at", "-pk"
    )
    if status:
        qs = qs.filter(status=status)
    return TemplateResponse(
        request,
        "pledges/all.html",
        {
            "org": org,
            "pledges": qs[:500],
            "total": qs.count(),
            "status": status,
            "over_covered": over_covered_needs().annotate(excess=F("held") - F("quantity"))[:500],
            "status_choices": PledgeStatus.choices,
            "area_flags": area_hold_flags(settings.HOLD_FLAG_AREA_SHARE),
            "burst_flags": burst_flags(settings.HOLD_FLAG_BURST_COUNT, settings.HOLD_FLAG_BURST_SECONDS),
            "flag_settings": {
                "share": settings.HOLD_FLAG_AREA_SHARE,
                "count": settings.HOLD_FLAG_BURST_COUNT,
                "seconds": settings.HOLD_FLAG_BURST_SECONDS,
            },
            "suspended": Organisation.objects.filter(suspended_at__isnull=False).order_by("-suspended_at")[
                :200
            ],
        },
    )


def _operator(request: HttpRequest) -> Organisation:
    org = org_for_request(request)
    if org is None or org.kind != OrgKind.OPERATOR:
        raise PermissionDenied(_("Halaman ini hanya untuk operator."))
    return org


@login_required
def organisation_holds(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """An operator's view of one organisation's holds, where it is suspended or
    restored (POST ``action`` = ``suspend`` with a reason, or ``unsuspend``)."""
    operator = _operator(request)
    subject = get_object_or_404(Organisation, pk=organisation_id)
    form = SuspendForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "unsuspend":
            if suspension.organisation_unsuspend(actor=request.user, operator=operator, organisation=subject):
                messages.success(request, _("%(name)s dapat berkomitmen lagi.") % {"name": subject.name})
            return HttpResponseRedirect(request.path)
        if action == "suspend" and form.is_valid():
            try:
                report = suspension.organisation_suspend(
                    actor=request.user,
                    operator=operator,
                    organisation=subject,
                    reason=form.cleaned_data["reason"],
                )
            except services.PledgeError as exc:
                form.add_error("reason", exc.message)
            else:
                messages.success(
                    request,
                    _("%(name)s ditangguhkan; %(n)s komitmen dilepas (%(units)s paket kembali tersedia).")
                    % {"name": subject.name, "n": report.pledges, "units": report.released_units},
                )
                return HttpResponseRedirect(request.path)
    pledges = (
        Pledge.objects.filter(organisation=subject, status__in=LIVE_STATUSES)
        .select_related("target", "aid_type")
        .order_by("-created_at", "-pk")
    )
    return TemplateResponse(
        request,
        "pledges/organisation.html",
        {
            "subject": subject,
            "policy": hold_policy(subject),
            "held": OrganisationHold.objects.filter(pk=subject.pk).values_list("held", flat=True).first()
            or 0,
            "pledges": pledges[:200],
            "live_count": pledges.count(),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


RETURN_PAGES = ("/komitmen/", "/komitmen/konfirmasi/", "/komitmen/semua/", "/komitmen/dipersoalkan/")


def done_redirect(request: HttpRequest, default: str = "/komitmen/") -> HttpResponseRedirect:
    nxt = request.POST.get("next", "") or request.GET.get("next", "")
    return HttpResponseRedirect(nxt if nxt in RETURN_PAGES else default)


def _delivery_page(
    request: HttpRequest, pledge: Pledge, form: DeliveryForm, *, status: int = 200
) -> TemplateResponse:
    """The delivery form for one pledge. After a refusal it keeps what was typed, with the
    reason beside the field; a photo cannot be kept by the browser, so the page says to
    attach it again."""
    context = {
        "pledge": pledge,
        "form": form,
        "left": pledge.quantity - pledge.delivered,
        "photo_again": status != 200 and bool(request.FILES.get("evidence")),
        "next": done_redirect(request).url,
    }
    return TemplateResponse(request, "pledges/deliver.html", context, status=status)


@login_required
@throttle("evidence", by_active_organisation_uploading("evidence"))
def deliver(request: HttpRequest, pledge_id: int) -> HttpResponse:
    pledge, org = get_pledge_for_user(request.user, pledge_id, action="deliver")
    if request.method != "POST":
        return _delivery_page(request, pledge, DeliveryForm(initial={"delivered_on": timezone.localdate()}))
    form = DeliveryForm(request.POST, request.FILES)
    if not form.is_valid():
        return _delivery_page(request, pledge, form, status=422)
    return record_with_evidence(
        request,
        form,
        refused=lambda status: _delivery_page(request, pledge, form, status=status),
        write=lambda clean: services.delivery_record(
            actor=request.user,
            organisation=org,
            pledge=pledge,
            quantity=form.cleaned_data["quantity"],
            delivered_on=form.cleaned_data["delivered_on"],
            clean_evidence=clean,
        ),
        success=_("Penyaluran untuk komitmen #%(id)s tercatat.") % {"id": pledge.pk},
    )


def record_with_evidence(
    request: HttpRequest,
    form: DeliveryForm | AnswerForm,
    *,
    refused: Callable[[int], HttpResponse],
    write: Callable[[CleanImage | None], object],
    success: str,
) -> HttpResponse:
    """The form's photo (if any) checked, decoded and re-encoded, then ``write`` once
    (``core.once.guarded``) and back to the page the reader came from. The photo is done
    — and may wait for a free slot — before the write transaction opens, so meanwhile
    nobody else's writes wait on it. A refused photo or write shows the page again
    (``refused(status)``) with the reason beside its field."""
    upload = form.cleaned_data.get("evidence")
    clean: CleanImage | None = None
    if upload is not None:
        try:
            clean = evidence_clean(upload, size=upload.size)
        except EvidenceRejected as exc:
            form.add_error("evidence", str(exc))
            return refused(422)
        except heavy.Busy as exc:
            return heavy.busy_response(request, exc)  # type: ignore[return-value]

    def record() -> HttpResponse:
        try:
            write(clean)
        except (services.PledgeError, CampaignClosed, CampaignFrozen) as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return refused(exc.status)
        messages.success(request, success)
        done = done_redirect(request)
        created(request, done.url)
        return done

    return guarded(request, record)


@login_required
@require_POST
def cancel(request: HttpRequest, pledge_id: int) -> HttpResponse:
    pledge, org = get_pledge_for_user(request.user, pledge_id, action="cancel")
    if not confirmed(request):
        left = pledge.quantity - pledge.delivered
        return confirmation_page(
            request,
            title=_("Batalkan sisa komitmen #%(id)s?") % {"id": pledge.pk},
            consequence=_(
                "%(left)s paket yang belum disalurkan untuk %(target)s dilepas dan dapat diambil "
                "donatur lain. Yang sudah disalurkan tetap tercatat. Pembatalan tidak dapat diurungkan."
            )
            % {"left": left, "target": pledge.target.name},
            action_label=_("Ya, batalkan sisanya"),
            back_url=done_redirect(request).url,
            keep=("next",),
        )
    try:
        services.pledge_cancel(actor=request.user, organisation=org, pledge=pledge)
    except (services.PledgeError, CampaignFrozen) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Komitmen #%(id)s dibatalkan; sisanya kembali tersedia.") % {"id": pledge.pk}
        )
    return done_redirect(request)


@login_required
@require_POST
def extend(request: HttpRequest, pledge_id: int) -> HttpResponse:
    pledge, org = get_pledge_for_user(request.user, pledge_id, action="extend")
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tanggal rencana baru tidak sah."))
        return done_redirect(request)
    try:
        services.pledge_extend(
            actor=request.user,
            organisation=org,
            pledge=pledge,
            planned_delivery=form.cleaned_data["planned_delivery"],
        )
    except (services.PledgeError, CampaignFrozen) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tanggal rencana komitmen #%(id)s diubah.") % {"id": pledge.pk})
    return done_redirect(request)


@login_required
def need_edit(request: HttpRequest, target_id: int) -> HttpResponse:
    """A coordinator corrects the household count of an RW it covers (an operator: any
    target), with a reason. Pledges are never cancelled by it."""
    target = get_object_or_404(Target.objects.select_related("village"), pk=target_id)
    org = org_for_request(request)
    if org is None or not can_update_need(org, target):
        raise PermissionDenied(
            _("Hanya koordinator wilayah ini atau operator yang dapat mengubah kebutuhan.")
        )
    form = NeedUpdateForm(request.POST or None, initial={"size": target.size})
    if request.method == "POST" and form.is_valid():
        try:
            need_update(
                actor=request.user,
                organisation=org,
                target=target,
                size=form.cleaned_data["size"],
                reason=form.cleaned_data["reason"],
            )
        except NeedUpdateError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Kebutuhan %(name)s diperbarui.") % {"name": target.name})
            return HttpResponseRedirect(request.path)
    needs = target.needs.select_related("aid_type").order_by("aid_type__sort_order")
    return TemplateResponse(
        request, "pledges/need_edit.html", {"target": target, "form": form, "needs": needs}
    )

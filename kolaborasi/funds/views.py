"""Funds pages: public aggregator profiles; donation form (donors); confirm/reject
(aggregators); package templates and the allocation planner (aggregators). Thin:
parse, check access (access.py), call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kolaborasi.accounts.access import by_active_organisation
from kolaborasi.campaigns.errors import CampaignChoiceNeeded, CampaignClosed
from kolaborasi.core.confirm import confirmation_page, confirmed
from kolaborasi.core.errors import NotFound
from kolaborasi.core.money import format_rupiah
from kolaborasi.core.once import created_redirect, exactly_once
from kolaborasi.core.throttle import throttle
from kolaborasi.pledges.errors import PlanConflict, PledgeError
from kolaborasi.targets.models import Target

from . import plans, selectors, services
from .access import (
    acting_org,
    get_aggregator_public,
    get_donation_for_org,
    get_plan_for_org,
    get_template_for_org,
    require_aggregator,
    require_donor,
)
from .forms import DonationForm, PlanForm, RejectForm, TemplateForm
from .models import AllocationPlan, Donation, PackageTemplate

# --- public -------------------------------------------------------------------------


def aggregator_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {"org": org, "funds": selectors.aggregator_funds(org), **selectors.aggregator_packages(org)}
        for org in selectors.aggregators_list()
    ]
    return TemplateResponse(request, "funds/aggregator_list.html", {"rows": rows})


def aggregator_detail(request: HttpRequest, aggregator_id: int) -> HttpResponse:
    org = get_aggregator_public(aggregator_id)
    packages = selectors.aggregator_packages(org)
    aid_rows = [
        {"slug": slug, "pledged": n, "delivered": packages["delivered"].get(slug, 0)}
        for slug, n in packages["pledged"].items()
    ]
    return TemplateResponse(
        request,
        "funds/aggregator_detail.html",
        {
            "org": org,
            "funds": selectors.aggregator_funds(org),
            "aid_rows": aid_rows,
            "areas": selectors.aggregator_areas(org),
            "donors": selectors.aggregator_public_donors(org),
            "templates": PackageTemplate.objects.filter(aggregator=org).select_related("aid_type"),
        },
    )


def target_funding(request: HttpRequest, target_id: int) -> HttpResponse:
    """Whose money paid for the packages pledged to one target."""
    target = Target.objects.filter(pk=target_id).first()
    if target is None:
        raise NotFound(_("Sasaran tidak ditemukan."))
    rows = selectors.target_fundings(target)
    total = sum(r["amount"] for r in rows)
    return TemplateResponse(
        request, "funds/target_funding.html", {"target": target, "rows": rows, "total": total}
    )


# --- donors and aggregators -----------------------------------------------------------


def _org_or_403(request: HttpRequest) -> Any:
    org = acting_org(request)
    if org is None:
        raise PermissionDenied(_("Anda belum tergabung dalam organisasi."))
    return org


@login_required
def donations(request: HttpRequest) -> HttpResponse:
    """The acting organisation's donations: given (donor) or received (aggregator)."""
    org = _org_or_403(request)
    given = Donation.objects.filter(donor=org).select_related("aggregator", "campaign")
    received = Donation.objects.filter(aggregator=org).select_related("donor", "campaign")
    return TemplateResponse(
        request,
        "funds/donations.html",
        {"org": org, "given": given, "received": received, "reject_form": RejectForm()},
    )


@login_required
@throttle("donations", by_active_organisation)
@exactly_once
def donation_new(request: HttpRequest) -> HttpResponse:
    org = require_donor(_org_or_403(request))
    form = DonationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.donation_create(
                actor=request.user,
                donor=org,
                aggregator=data["aggregator"],
                amount=data["amount"],
                donated_on=data["donated_on"],
                channel=data["channel"],
                reference=data["reference"],
                public=data["public"],
                campaign=data["campaign"] or None,
            )
        except services.FundsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Donasi tercatat; menunggu konfirmasi agregator."))
            return created_redirect(request, reverse("funds:donations"))
    return TemplateResponse(request, "funds/donation_form.html", {"form": form, "org": org})


@login_required
@require_POST
def donation_decide(request: HttpRequest, donation_id: int, decision: str) -> HttpResponse:
    donation = get_donation_for_org(_org_or_403(request), donation_id, decide=True)
    if decision != "confirm" and not confirmed(request):
        return confirmation_page(
            request,
            title=_("Tolak donasi %(amount)s dari %(donor)s?")
            % {"amount": format_rupiah(donation.amount), "donor": donation.donor.name},
            consequence=_(
                "Donasi yang ditolak tidak masuk saldo dan tidak dapat dikonfirmasi lagi. Tolak "
                "hanya jika dana itu memang tidak Anda terima; donatur akan melihat alasannya."
            ),
            action_label=_("Ya, tolak donasi"),
            back_url=reverse("funds:donations"),
            fields=(("reason", _("Alasan")),),
        )
    try:
        if decision == "confirm":
            services.donation_confirm(actor=request.user, donation=donation)
            messages.success(request, _("Donasi dikonfirmasi dan masuk ke saldo."))
        else:
            form = RejectForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.donation_reject(actor=request.user, donation=donation, reason=reason)
            messages.success(request, _("Donasi ditolak."))
    except services.FundsError as exc:
        messages.error(request, exc.message)
    return redirect("funds:donations")


@login_required
@exactly_once
def templates_page(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    org = require_aggregator(_org_or_403(request))
    current = get_template_for_org(org, template_id) if template_id is not None else None
    initial = (
        {
            "aid_type": current.aid_type,
            "name": current.name,
            "contents": current.contents,
            "unit_cost": current.unit_cost,
        }
        if current
        else None
    )
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_save(actor=request.user, aggregator=org, template=current, **form.cleaned_data)
        except services.FundsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Paket disimpan."))
            return created_redirect(request, reverse("funds:templates"))
    return TemplateResponse(
        request,
        "funds/templates.html",
        {
            "org": org,
            "form": form,
            "current": current,
            "templates": PackageTemplate.objects.filter(aggregator=org).select_related("aid_type"),
        },
    )


@login_required
@exactly_once
def planner(request: HttpRequest) -> HttpResponse:
    org = require_aggregator(_org_or_403(request))
    form = PlanForm(request.POST or None, aggregator=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = plans.plan_create(
                actor=request.user,
                aggregator=org,
                aid_type=data["aid_type"],
                region=data["region"],
                quantity=data["quantity"],
                budget=data["budget"],
                template=data["template"],
                min_drop=data["min_drop"],
                kinds=data["kinds"],
                campaign=data["campaign"],
            )
        except (services.FundsError, CampaignClosed, CampaignChoiceNeeded) as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return created_redirect(request, reverse("funds:plan", kwargs={"plan_id": plan.pk}))
    balance = selectors.aggregator_funds(org)["balance"]
    recent = AllocationPlan.objects.filter(aggregator=org).select_related("aid_type", "region", "campaign")[
        :20
    ]
    return TemplateResponse(
        request, "funds/planner.html", {"org": org, "form": form, "balance": balance, "plans": recent}
    )


def _plan_context(plan: AllocationPlan) -> dict[str, Any]:
    # In the planner's order of priority, each with why it was chosen.
    lines = list(plan.lines.select_related("target", "target__village", "need").order_by("id"))
    for ln in lines:
        ln.why = selectors.plan_line_why(ln)  # type: ignore[attr-defined]
    points = []
    for ln in lines:
        # RWs often have no point of their own: fall back to their kelurahan's centroid.
        lat = ln.target.lat if ln.target.lat is not None else ln.target.village.centroid_lat
        lng = ln.target.lng if ln.target.lng is not None else ln.target.village.centroid_lng
        if lat is not None and lng is not None:
            points.append({"lat": lat, "lng": lng, "name": ln.target.name, "q": ln.quantity})
    cost = plan.total * plan.template.unit_cost if plan.template is not None else None
    return {"plan": plan, "lines": lines, "points": points, "cost": cost}


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    org = require_aggregator(_org_or_403(request))
    plan = get_plan_for_org(org, plan_id)
    return TemplateResponse(request, "funds/plan.html", _plan_context(plan))


@login_required
@require_POST
@exactly_once
def plan_commit(request: HttpRequest, plan_id: int) -> HttpResponse:
    org = require_aggregator(_org_or_403(request))
    plan = get_plan_for_org(org, plan_id)
    try:
        pledges = plans.plan_commit(actor=request.user, plan=plan)
    except PlanConflict as exc:
        ctx = _plan_context(plan) | {"conflicts": exc.conflicts}
        return TemplateResponse(request, "funds/plan.html", ctx, status=409)
    except (services.FundsError, PledgeError) as exc:
        messages.error(request, exc.message)
        return redirect("funds:plan", plan_id=plan.pk)
    total = sum(p.quantity for p in pledges)
    messages.success(request, _("%(n)s komitmen dibuat (%(q)s paket).") % {"n": len(pledges), "q": total})
    return created_redirect(request, reverse("funds:plan", kwargs={"plan_id": plan.pk}))


@login_required
@require_POST
@exactly_once
def plan_replan(request: HttpRequest, plan_id: int) -> HttpResponse:
    org = require_aggregator(_org_or_403(request))
    plan = get_plan_for_org(org, plan_id)
    try:
        new = plans.plan_replan(actor=request.user, plan=plan)
    except (services.FundsError, CampaignClosed, CampaignChoiceNeeded) as exc:
        messages.error(request, exc.message)
        return redirect("funds:plan", plan_id=plan.pk)
    return created_redirect(request, reverse("funds:plan", kwargs={"plan_id": new.pk}))

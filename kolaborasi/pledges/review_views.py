"""Pages of the review of deliveries: the coordinator (or an operator) confirms all or part
of a delivery or disputes it, and the donor answers a dispute. Thin: access check, one
service call (``confirmation``), render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kolaborasi.accounts.access import (
    by_active_organisation_uploading,
)
from kolaborasi.campaigns.errors import CampaignFrozen
from kolaborasi.core.throttle import throttle

from . import confirmation, services
from .access import (
    acting_org_for_user,
    get_delivery_for_user,
    get_pledge_for_user,
)
from .forms import (
    AnswerForm,
    ConfirmForm,
    DisputeForm,
)
from .models import Delivery, Pledge
from .views import done_redirect, record_with_evidence


@login_required
@require_POST
def confirm(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Confirm every unit of the pledge awaiting confirmation (the inbox's quick button)."""
    pledge, org = get_pledge_for_user(request.user, pledge_id, action="confirm")
    try:
        confirmation.pledge_confirm(actor=request.user, organisation=org, pledge=pledge)
    except (services.PledgeError, CampaignFrozen) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Penyaluran komitmen #%(id)s dikonfirmasi.") % {"id": pledge.pk})
    return done_redirect(request, "/komitmen/konfirmasi/")


def _may(user: Any, pledge: Pledge, action: Any) -> bool:
    try:
        acting_org_for_user(user, pledge, action)
    except PermissionDenied:
        return False
    return True


def _review_page(
    request: HttpRequest,
    delivery: Delivery,
    *,
    confirm_form: ConfirmForm | None = None,
    dispute_form: DisputeForm | None = None,
    answer_form: AnswerForm | None = None,
    notice: str = "",
    status: int = 200,
) -> TemplateResponse:
    """One delivery: its photo, who delivered it, its review so far, and what the
    reader may do — the receiving side confirms (all or fewer) or disputes, the
    delivering organisation answers a dispute."""
    pledge = delivery.pledge
    can_review = _may(request.user, pledge, "confirm")
    default_next = "/komitmen/konfirmasi/" if can_review else "/komitmen/"
    may_review = can_review and delivery.awaiting > 0
    may_answer = _may(request.user, pledge, "answer") and delivery.review == "disputed"
    context = {
        "delivery": delivery,
        "pledge": pledge,
        "answers": delivery.answers.order_by("created_at", "pk"),
        # A closed campaign's deliveries are frozen: the page says so instead of the forms.
        "frozen": (may_review or may_answer) and pledge.frozen,
        "notice": notice,
        "can_review": may_review and not pledge.frozen,
        "can_answer": may_answer and not pledge.frozen,
        "confirm_form": confirm_form or ConfirmForm(),
        "dispute_form": dispute_form or DisputeForm(),
        "answer_form": answer_form or AnswerForm(),
        "photo_again": status != 200 and bool(request.FILES.get("evidence")),
        "next": done_redirect(request, default_next).url,
    }
    return TemplateResponse(request, "pledges/delivery.html", context, status=status)


@login_required
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery, _org = get_delivery_for_user(request.user, delivery_id, action="view")
    return _review_page(request, delivery)


@login_required
@require_POST
def delivery_confirm(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery, org = get_delivery_for_user(request.user, delivery_id, action="confirm")
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _review_page(request, delivery, confirm_form=form, status=422)
    quantity = form.cleaned_data["quantity"]
    try:
        confirmation.pledge_confirm(
            actor=request.user,
            organisation=org,
            pledge=delivery.pledge,
            delivery=delivery,
            quantity=quantity,
            note=form.cleaned_data["note"],
        )
    except CampaignFrozen as exc:
        return _review_page(request, delivery, notice=str(exc.message), status=exc.status)
    except services.PledgeError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        return _review_page(request, delivery, confirm_form=form, status=exc.status)
    if quantity is None or quantity == delivery.awaiting:
        messages.success(request, _("Penyaluran #%(id)s dikonfirmasi.") % {"id": delivery.pk})
    else:
        messages.success(
            request,
            _("%(n)s paket dari penyaluran #%(id)s dikonfirmasi; sisanya masih menunggu.")
            % {"n": quantity, "id": delivery.pk},
        )
    return done_redirect(request, "/komitmen/konfirmasi/")


@login_required
@require_POST
def delivery_dispute(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery, org = get_delivery_for_user(request.user, delivery_id, action="dispute")
    form = DisputeForm(request.POST)
    if not form.is_valid():
        return _review_page(request, delivery, dispute_form=form, status=422)
    try:
        confirmation.pledge_dispute(
            actor=request.user,
            organisation=org,
            pledge=delivery.pledge,
            delivery=delivery,
            reason=form.cleaned_data["reason"],
        )
    except CampaignFrozen as exc:
        return _review_page(request, delivery, notice=str(exc.message), status=exc.status)
    except services.PledgeError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        return _review_page(request, delivery, dispute_form=form, status=exc.status)
    messages.success(
        request,
        _("Penyaluran #%(id)s dipersoalkan; penyalur akan melihat alasan Anda.") % {"id": delivery.pk},
    )
    return done_redirect(request, "/komitmen/konfirmasi/")


@login_required
@require_POST
@throttle("evidence", by_active_organisation_uploading("evidence"))
def delivery_answer(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery, org = get_delivery_for_user(request.user, delivery_id, action="answer")
    form = AnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _review_page(request, delivery, answer_form=form, status=422)
    return record_with_evidence(
        request,
        form,
        refused=lambda status: _review_page(request, delivery, answer_form=form, status=status),
        write=lambda clean: confirmation.dispute_answer(
            actor=request.user,
            organisation=org,
            delivery=delivery,
            note=form.cleaned_data["note"],
            clean_evidence=clean,
        ),
        success=_("Jawaban Anda untuk penyaluran #%(id)s terkirim.") % {"id": delivery.pk},
    )

"""Pledge API (a public contract: README, "API"). Thin: parse, check access, call one service.

Errors are JSON ``{"detail": ...}``, answered from the application's errors by
kolaborasi.core.api_contract: 403 wrong role (a review or a dispute answer by anyone but
its party, whether or not it can see the pledge: ``access.refusal``), 404 a pledge that
does not exist or that the organisation may not see when it reads or changes it,
409 ``{detail, remaining}`` when the quantity does not fit or the pledge's current state
refuses the change, 422 bad input; 401, 429 and 503 can come before the view runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import ValidationError as PydanticValidationError

from kolaborasi.accounts.auth import token_auth
from kolaborasi.accounts.models import Organisation
from kolaborasi.campaigns.selectors import campaign_by_slug
from kolaborasi.core import throttle
from kolaborasi.core.api_contract import (
    TEXT_PATTERN,
)
from kolaborasi.core.errors import Conflict, Forbidden, Invalid, NotFound

from . import confirmation, services
from .access import PLEDGING_KINDS, get_pledge_for_org
from .errors import PLEDGERS_ONLY, suspended_message
from .models import Delivery, IdempotencyKey, Pledge, PledgeStatus
from .schemas import (
    ANSWER_BODY,
    DELIVERY_BODY,
    ERRORS,
    STATE_ERRORS,
    AnswerIn,
    AnswerOut,
    ConfirmIn,
    ConflictOut,
    DeliveryId,
    DeliveryIn,
    DeliveryOut,
    DisputeIn,
    ExtendIn,
    PledgeId,
    PledgeIn,
    PledgeOut,
)
from .selectors import need_for_pledge, pledges_for_org

router = Router(tags=["pledges"], auth=token_auth)


def pledge_out(pledge: Pledge, *, aid_type: str = "") -> dict[str, Any]:
    """The API's pledge; ``aid_type`` (the slug) when the caller already knows it."""
    return {
        "id": pledge.pk,
        "status": pledge.status,
        "target": pledge.target_id,
        "aid_type": aid_type or pledge.aid_type.slug,
        "quantity": pledge.quantity,
        "delivered": pledge.delivered,
        "confirmed": pledge.confirmed,
        "released": pledge.released,
        "planned_delivery": pledge.planned_delivery.isoformat(),
        "organisation": pledge.organisation_id,
        "disputed": pledge.disputed,
        "progress": pledge.progress(),
    }


def _org(request: HttpRequest) -> Organisation:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _pledge_for(request: HttpRequest, pledge_id: int, action: Any) -> Pledge:
    return get_pledge_for_org(_org(request), pledge_id, action=action)


def _body_hash(payload: PledgeIn) -> str:
    # Without ``campaign`` when it is not given, so a key recorded before the field
    # existed still matches the same body.
    body = payload.model_dump(mode="json", exclude={"campaign"} if payload.campaign is None else None)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(org: Organisation, key: str, body_hash: str) -> Status[dict[str, Any]] | None:
    row = IdempotencyKey.objects.filter(organisation=org, key=key).first()
    if row is None:
        return None
    if row.request_hash != body_hash:
        # The request itself is well formed (with a fresh key it would be taken): what
        # refuses it is the key's recorded first use, so it is a conflict.
        raise Conflict(_("Idempotency-Key ini sudah dipakai untuk permintaan dengan isi lain."))
    return Status(row.status_code, row.response)


@router.post(
    "/pledges",
    response={201: PledgeOut, 409: ConflictOut, **ERRORS},
    summary="Create a pledge (komitmen)",
    description=(
        "Reserves `quantity` units of the target's need for the token's organisation, atomically: "
        "409 with `remaining` when it does not fit, or with `reason`, `limit` and `allowed` when "
        "the organisation would hold more undelivered units than its trust tier allows. "
        "404 when the target does not exist or has no need of `aid_type`. "
        "`planned_delivery` lies within `PLEDGE_HORIZON_DAYS` of today (else 422); a suspended "
        "organisation gets 403. With an `Idempotency-Key` header the first "
        "successful answer is replayed for the same body; another body with the same key is 409."
    ),
)
def pledge_create(
    request: HttpRequest,
    payload: PledgeIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200, pattern=TEXT_PATTERN),
) -> Any:
    org = _org(request)
    throttle.check(request, "pledges", throttle.by_organisation(org))
    if org.kind not in PLEDGING_KINDS:
        raise Forbidden(PLEDGERS_ONLY)
    if org.suspended_at is not None:
        raise Forbidden(suspended_message(org))
    key = (idempotency_key or "").strip()
    body_hash = _body_hash(payload) if key else ""
    if key:
        replay = _replay(org, key, body_hash)
        if replay is not None:
            return replay
    if payload.campaign is not None and campaign_by_slug(payload.campaign) is None:
        raise NotFound(
            _("Program %(campaign)r tidak ada.") % {"campaign": payload.campaign}, field="campaign"
        )
    need = need_for_pledge(payload.target, payload.aid_type, payload.campaign)
    if need is None:
        # The body names something that does not exist: 404, like an unknown id in a path.
        raise NotFound(
            _("Sasaran %(target)s tidak ada atau tidak memiliki kebutuhan %(aid_type)r.")
            % {"target": payload.target, "aid_type": payload.aid_type},
            field="target/aid_type",
        )
    try:
        # A transaction only to keep the pledge and its idempotency record together: the
        # service is atomic by itself (on PostgreSQL a single statement, no BEGIN/COMMIT).
        with transaction.atomic() if key else nullcontext():
            pledge = services.pledge_create(
                actor=None,
                organisation=org,
                need=need,
                quantity=payload.quantity,
                planned_delivery=payload.planned_delivery,
                contact_name=payload.contact_name,
                contact_phone=payload.contact_phone,
            )
            body = pledge_out(pledge, aid_type=payload.aid_type)
            if key:
                IdempotencyKey.objects.create(
                    organisation=org,
                    key=key,
                    request_hash=body_hash,
                    status_code=201,
                    response=body,
                    pledge=pledge,
                )
    except IntegrityError:
        # The same key raced with itself: the other request won; answer as it did.
        replay = _replay(org, key, body_hash) if key else None
        if replay is None:
            raise
        return replay
    return Status(201, body)


@router.get("/pledges", response={200: list[PledgeOut]}, summary="My organisation's pledges")
def pledge_list(
    request: HttpRequest,
    status: PledgeStatus | None = None,
    limit: int = Query(100, ge=1, le=settings.API_MAX_LIMIT),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> list[dict[str, Any]]:
    qs = pledges_for_org(_org(request), status=status)
    return [pledge_out(p) for p in qs[offset : offset + limit]]


@router.get("/pledges/{pledge_id}", response={200: PledgeOut, **ERRORS}, summary="One pledge")
def pledge_get(request: HttpRequest, pledge_id: PledgeId) -> dict[str, Any]:
    return pledge_out(_pledge_for(request, pledge_id, "view"))


def _json_or_form(request: HttpRequest, schema: type[Schema], fields: tuple[str, ...]) -> tuple[Any, Any]:
    """``schema`` from a JSON body, or from a multipart form's ``fields`` with an optional
    ``evidence`` photo (the upload, or None)."""
    content_type = (request.content_type or "").lower()
    upload = None
    if content_type == "application/json":
        try:
            raw: Any = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid(_("Badan permintaan bukan JSON yang sah: %(error)s") % {"error": exc}) from exc
        if not isinstance(raw, dict):
            raise Invalid(_("Badan permintaan harus objek JSON."))
    elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raw = {k: request.POST.get(k) for k in fields if k in request.POST}
        upload = request.FILES.get("evidence")
        if "evidence" in request.POST and upload is None:
            raise Invalid(_("Bukti harus berkas foto, bukan teks."), field="evidence")
    else:
        raise Invalid(_("Gunakan application/json atau multipart/form-data."))
    try:
        data = schema.model_validate(raw)
    except PydanticValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise Invalid("; ".join(parts)) from exc
    return data, upload


@router.post(
    "/pledges/{pledge_id}/deliveries",
    response={201: DeliveryOut, **STATE_ERRORS},
    summary="Record a delivery (penyaluran)",
    description=(
        "JSON `{quantity, delivered_on}`, or multipart with an optional `evidence` photo. "
        "409 when the pledge is no longer live (cancelled, expired, fully delivered) or "
        "`quantity` exceeds its undelivered units."
    ),
    openapi_extra={"requestBody": DELIVERY_BODY},
)
def delivery_create(request: HttpRequest, pledge_id: PledgeId) -> Any:
    pledge = _pledge_for(request, pledge_id, "deliver")
    data, upload = _json_or_form(request, DeliveryIn, ("quantity", "delivered_on"))
    if upload is not None:
        throttle.check(request, "evidence", throttle.by_organisation(_org(request)))
    delivery: Delivery = services.delivery_record(
        actor=None,
        organisation=_org(request),
        pledge=pledge,
        quantity=data.quantity,
        delivered_on=data.delivered_on,
        evidence=upload,
        evidence_size=upload.size if upload is not None else None,
    )
    pledge.refresh_from_db()
    return Status(
        201,
        {
            "id": delivery.pk,
            "pledge": pledge_out(pledge),
            "quantity": delivery.quantity,
            "delivered_on": delivery.delivered_on,
            "evidence": delivery.evidence.url if delivery.evidence else None,
        },
    )


def _act(request: HttpRequest, pledge_id: int, action: Any, call: Callable[..., Pledge], **kw: Any) -> Any:
    pledge = _pledge_for(request, pledge_id, action)
    pledge = call(actor=None, organisation=_org(request), pledge=pledge, **kw)
    return Status(200, pledge_out(pledge))


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _json_body(request: HttpRequest, schema: type[Schema], *, optional: bool) -> Any:
    """The JSON body as ``schema``; with ``optional``, no body (or ``null``) is None."""
    raw_body = request.body or b""
    content_type = (request.content_type or "").lower()
    # No body, or a form post without fields (what clients sent before the body existed).
    empty = not raw_body.strip() or (content_type in _FORM_TYPES and not request.POST and not request.FILES)
    raw: Any
    if empty:
        if optional:
            return None
        raw = {}
    elif content_type != "application/json":
        raise Invalid(_("Gunakan application/json."))
    else:
        try:
            raw = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid(_("Badan permintaan bukan JSON yang sah: %(error)s") % {"error": exc}) from exc
    if raw is None and optional:
        return None
    if not isinstance(raw, dict):
        raise Invalid(_("Badan permintaan harus objek JSON."))
    try:
        return schema.model_validate(raw)
    except PydanticValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise Invalid("; ".join(parts)) from exc


def _body_doc(schema: type[Schema], *, required: bool) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/json": {"schema": schema.model_json_schema(ref_template="{model}")}},
    }


def _delivery_in(pledge: Pledge, delivery_id: int) -> Delivery:
    delivery = Delivery.objects.filter(pk=delivery_id, pledge=pledge).first()
    if delivery is None:
        raise NotFound(_("Penyaluran %(id)s bukan bagian dari komitmen ini.") % {"id": delivery_id})
    delivery.pledge = pledge
    return delivery


def _delivery_of(pledge: Pledge, delivery_id: int | None) -> Delivery | None:
    return None if delivery_id is None else _delivery_in(pledge, delivery_id)


@router.post(
    "/pledges/{pledge_id}/confirm",
    response={200: PledgeOut, **STATE_ERRORS},
    summary="Confirm deliveries",
    description=(
        "Without a body (or with `{}`): every delivered unit awaiting confirmation, as the "
        "receiving side (a coordinator covering the target, or an operator). "
        "`{quantity, note}`: fewer units, with a note saying why (required when fewer are "
        "confirmed than await); the rest stays delivered and awaits confirmation. `delivery` "
        "limits it to one delivery; otherwise the pledge's deliveries are filled oldest first. "
        "409 when nothing awaits confirmation; 422 when `quantity` is more than awaits, or the "
        "note is missing."
    ),
    openapi_extra={"requestBody": _body_doc(ConfirmIn, required=False)},
)
def pledge_confirm(request: HttpRequest, pledge_id: PledgeId) -> Any:
    pledge = _pledge_for(request, pledge_id, "confirm")
    data = _json_body(request, ConfirmIn, optional=True) or ConfirmIn.model_validate({})
    pledge = confirmation.pledge_confirm(
        actor=None,
        organisation=_org(request),
        pledge=pledge,
        quantity=data.quantity,
        note=data.note,
        delivery=_delivery_of(pledge, data.delivery),
    )
    return Status(200, pledge_out(pledge))


@router.post(
    "/pledges/{pledge_id}/dispute",
    response={200: PledgeOut, **STATE_ERRORS},
    summary="Dispute deliveries",
    description=(
        "`{reason}`: the receiving side (a coordinator covering the target, or an operator) "
        "disputes every delivery of the pledge still awaiting confirmation, or one `delivery`. "
        "The delivering organisation sees the reason and can answer; the dispute ends when the "
        "receiving side confirms. 403 for anyone else; 409 when nothing awaits confirmation or "
        "the delivery is already disputed."
    ),
    openapi_extra={"requestBody": _body_doc(DisputeIn, required=True)},
)
def pledge_dispute(request: HttpRequest, pledge_id: PledgeId) -> Any:
    pledge = _pledge_for(request, pledge_id, "dispute")
    data = _json_body(request, DisputeIn, optional=False)
    pledge = confirmation.pledge_dispute(
        actor=None,
        organisation=_org(request),
        pledge=pledge,
        reason=data.reason,
        delivery=_delivery_of(pledge, data.delivery),
    )
    return Status(200, pledge_out(pledge))


@router.post(
    "/pledges/{pledge_id}/deliveries/{delivery_id}/answer",
    response={201: AnswerOut, **STATE_ERRORS},
    summary="Answer a dispute",
    description=(
        "The pledging organisation answers the dispute about one of its deliveries: JSON "
        "`{note}`, or multipart with a `note`, an `evidence` photo, or both (the same answer as "
        "on the delivery's page). The dispute stays open until the receiving side confirms. "
        "403 for any other organisation; 404 when the delivery is not one of the pledge's; "
        "409 when the delivery is not under an open dispute; 422 without a note or photo, or "
        "for a file that is not a readable JPEG, PNG or WebP photo."
    ),
    openapi_extra={"requestBody": ANSWER_BODY},
)
def dispute_answer(request: HttpRequest, pledge_id: PledgeId, delivery_id: DeliveryId) -> Any:
    pledge = _pledge_for(request, pledge_id, "answer")
    data, upload = _json_or_form(request, AnswerIn, ("note",))
    delivery = _delivery_in(pledge, delivery_id)
    if upload is not None:
        throttle.check(request, "evidence", throttle.by_organisation(_org(request)))
    answer = confirmation.dispute_answer(
        actor=None,
        organisation=_org(request),
        delivery=delivery,
        note=data.note,
        evidence=upload,
        evidence_size=upload.size if upload is not None else None,
    )
    return Status(
        201,
        {
            "id": answer.pk,
            "pledge": pledge.pk,
            "delivery": delivery.pk,
            "note": answer.note,
            "evidence": answer.evidence.url if answer.evidence else None,
            "review": answer.delivery.review,
        },
    )


@router.post(
    "/pledges/{pledge_id}/cancel",
    response={200: PledgeOut, **STATE_ERRORS},
    summary="Cancel a pledge",
    description="409 when the pledge is no longer live or everything was already delivered.",
)
def pledge_cancel(request: HttpRequest, pledge_id: PledgeId) -> Any:
    return _act(request, pledge_id, "cancel", services.pledge_cancel)


@router.post(
    "/pledges/{pledge_id}/extend",
    response={200: PledgeOut, **STATE_ERRORS},
    summary="Move the planned date",
    description=(
        "`planned_delivery` lies within `PLEDGE_HORIZON_DAYS` of today (else 422); 409 when the "
        "pledge is no longer live, fully delivered or already expired."
    ),
)
def pledge_extend(request: HttpRequest, pledge_id: PledgeId, payload: ExtendIn) -> Any:
    return _act(
        request, pledge_id, "extend", services.pledge_extend, planned_delivery=payload.planned_delivery
    )

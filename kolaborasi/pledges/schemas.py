"""The pledge API's request and answer shapes, and the OpenAPI descriptions of the bodies
ninja cannot describe itself (JSON or a form with a photo). The endpoints are in api.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Path, Schema

from kolaborasi.core.api_contract import (
    AID_TYPE_DESCRIPTION,
    AID_TYPE_MAX,
    AID_TYPE_PATTERN,
    MAX_ID,
    TEXT_PATTERN,
    ErrorOut,
    errors,
    planning_dates,
)

from . import confirmation
from .models import PledgeStatus, Progress, Review

MAX_QUANTITY = 10_000_000
CAMPAIGN_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
PledgeId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PledgeIn(Schema):
    target: int = Field(..., ge=1, le=MAX_ID, description="id of the target (sasaran)")
    aid_type: str = Field(
        ...,
        min_length=1,
        max_length=AID_TYPE_MAX,
        pattern=AID_TYPE_PATTERN,
        description=AID_TYPE_DESCRIPTION,
        examples=["sembako"],
    )
    quantity: int = Field(..., ge=1, le=MAX_QUANTITY)
    planned_delivery: dt.date = Field(
        ...,
        description="today or later, within the planning horizon (the `enum`; 422 outside it)",
        json_schema_extra=planning_dates,
    )
    contact_name: str = Field("", max_length=120, pattern=TEXT_PATTERN)
    contact_phone: str = Field("", max_length=40, pattern=TEXT_PATTERN)
    campaign: str | None = Field(
        None,
        min_length=1,
        max_length=60,
        pattern=CAMPAIGN_PATTERN,
        description=(
            "slug of the campaign (`GET /api/v1/campaigns`); required only when the target has open"
            " needs of this aid type in more than one campaign (otherwise 422 with `choices`)"
        ),
        examples=["program-bantuan"],
    )


class PledgeOut(Schema):
    id: int
    status: PledgeStatus
    target: int
    aid_type: str = Field(description=AID_TYPE_DESCRIPTION)
    quantity: int
    delivered: int
    confirmed: int
    released: int
    planned_delivery: dt.date
    organisation: int
    disputed: int = Field(0, description="delivered units under an open dispute")
    progress: Progress = Field(
        Progress.COMMITTED,
        description="the status as the pages show it: `partly_delivered` / `partly_confirmed` when "
        "only part of the pledge is, `disputed` while a delivery is under dispute",
    )


class DeliveryIn(Schema):
    quantity: int = Field(..., ge=1, le=MAX_QUANTITY)
    delivered_on: dt.date


class DeliveryOut(Schema):
    id: int
    pledge: PledgeOut
    quantity: int
    delivered_on: dt.date
    evidence: str | None


class ExtendIn(Schema):
    planned_delivery: dt.date = Field(
        ...,
        description="today or later, within the planning horizon (the `enum`; 422 outside it)",
        json_schema_extra=planning_dates,
    )


class ConflictOut(ErrorOut):
    """409: the need cannot take the quantity, or the organisation's hold limit refused
    it; each says what is still possible."""

    remaining: int | None = Field(None, description="units of the need still free")
    reason: str = Field(
        "need",
        description="`need`: the need has no room; `total` / `need_share`: the organisation's hold "
        "limit (in all / of this one need)",
    )
    limit: int | None = Field(None, description="the organisation's hold limit that refused it")
    allowed: int | None = Field(None, description="units the organisation may still pledge here")


ERRORS: dict[int, Any] = errors(403, 404, 422)
# The operations on an existing pledge also answer 409 when its state refuses them.
STATE_ERRORS: dict[int, Any] = errors(403, 404, 409, 422)


DELIVERY_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["quantity", "delivered_on"],
                "properties": {
                    "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                    "delivered_on": {"type": "string", "format": "date", "description": "today or earlier"},
                },
            }
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["quantity", "delivered_on"],
                "properties": {
                    "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                    "delivered_on": {"type": "string", "format": "date", "description": "today or earlier"},
                    "evidence": {
                        "type": "string",
                        "format": "binary",
                        "description": "JPEG, PNG or WebP photo",
                    },
                },
            }
        },
    },
}


NOTE_PATTERN = r"^[^\u0000]*$"
REASON_PATTERN = r"^[^\u0000]*[^\u0000\s][^\u0000]*$"


class ConfirmIn(Schema):
    quantity: int | None = Field(
        None,
        ge=1,
        le=MAX_QUANTITY,
        description="units to confirm, at most those awaiting confirmation; leave out for all",
    )
    note: str = Field(
        "",
        max_length=confirmation.NOTE_MAX,
        pattern=NOTE_PATTERN,
        description="why fewer than awaiting are confirmed (required then)",
    )
    delivery: int | None = Field(
        None, ge=1, le=MAX_ID, description="one delivery of the pledge; leave out for the whole pledge"
    )


class DisputeIn(Schema):
    reason: str = Field(
        ...,
        min_length=1,
        max_length=confirmation.NOTE_MAX,
        pattern=REASON_PATTERN,
        description="what does not match the reported delivery (shown to the delivering organisation)",
    )
    delivery: int | None = Field(
        None, ge=1, le=MAX_ID, description="one delivery of the pledge; leave out for all it awaits"
    )


class AnswerIn(Schema):
    note: str = Field("", max_length=confirmation.ANSWER_MAX, pattern=NOTE_PATTERN)


class AnswerOut(Schema):
    id: int
    pledge: int
    delivery: int
    note: str
    evidence: str | None = Field(description="the photo sent with the answer, re-encoded")
    review: Review = Field(
        description="the delivery's review: it stays `disputed` until the receiving side confirms"
    )


ANSWER_NOTE = {
    "type": "string",
    "maxLength": confirmation.ANSWER_MAX,
    "pattern": REASON_PATTERN,
    "description": "the delivering organisation's answer, shown to the receiving side",
}
ANSWER_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "required": ["note"], "properties": {"note": ANSWER_NOTE}},
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "description": "a note, a photo, or both",
                "properties": {
                    "note": {**ANSWER_NOTE, "pattern": NOTE_PATTERN},
                    "evidence": {
                        "type": "string",
                        "format": "binary",
                        "description": "JPEG, PNG or WebP photo",
                    },
                },
            }
        },
    },
}

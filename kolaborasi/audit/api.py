"""The audit chain's public anchors under /api/v1/audit/: the key that signs its head
and the head signed last (thin: call the signing module or a selector)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from kolaborasi.core.api_contract import errors
from kolaborasi.core.errors import NotFound

from . import signing
from .selectors import audit_head_latest

router = Router(tags=["audit"])

# The key changes only when an operator replaces it; a head is signed at least once a
# minute, so a cached one is at most this much older than the newest.
KEY_CACHE_SECONDS = 300
HEAD_CACHE_SECONDS = 10


class KeyOut(Schema):
    algorithm: Literal["Ed25519"]
    public_key: Annotated[str, Field(description="the raw 32-byte Ed25519 public key, standard base64")]


class HeadOut(Schema):
    seq: Annotated[int, Field(ge=0, description="the chain's last event at signing (0: empty chain)")]
    hash: Annotated[
        str, Field(pattern="^[0-9a-f]{64}$", description="that event's hash (64 zeros for seq 0)")
    ]
    at: Annotated[
        str,
        Field(
            pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            description="when it was signed, UTC, whole seconds: YYYY-MM-DDTHH:MM:SSZ",
        ),
    ]
    signature: Annotated[str, Field(description="Ed25519 signature, standard base64")]


@router.get("/audit/key", response={200: KeyOut}, summary="The public key that signs the audit chain's head")
def audit_key(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """Verify a head from `GET /api/v1/audit/head` with this key: the signature covers the
    UTF-8 bytes of `kolaborasi-audit-head:1:<seq>:<hash>:<at>`, the head's three fields
    exactly as in its JSON."""
    response["Cache-Control"] = f"public, max-age={KEY_CACHE_SECONDS}"
    return {"algorithm": signing.ALGORITHM, "public_key": signing.public_key_base64()}


@router.get(
    "/audit/head",
    response={200: HeadOut, **errors(404)},
    summary="The audit chain's head, signed last",
)
def audit_head(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """The worker signs the head at least once a minute (and whenever it moved). Save
    one now and then: `kolaborasi audit verify --head FILE` later shows whether the chain
    still contains it — a chain rewritten or cut short since does not. 404 before the
    first signature."""
    head = audit_head_latest()
    if head is None:
        raise NotFound(_("Kepala rantai audit belum pernah ditandatangani. Coba lagi dalam satu menit."))
    response["Cache-Control"] = f"public, max-age={HEAD_CACHE_SECONDS}"
    return head.as_json()

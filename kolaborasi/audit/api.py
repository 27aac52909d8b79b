"""The audit chain's public anchors under /api/v1/audit/: the key that signs its head
and the head signed last; and the chain itself, /api/v1/exports/audit.jsonl (thin: call
the signing module, a selector or the export)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from kolaborasi.core import throttle
from kolaborasi.core.api_contract import errors
from kolaborasi.core.errors import NotFound

from . import signing
from .exports import audit_export_response
from .selectors import audit_head_latest

router = Router(tags=["audit"])

# The key changes only when an operator replaces it; a head is signed at least once a
# minute, so a cached one is at most this much older than the newest.
KEY_CACHE_SECONDS = 300
HEAD_CACHE_SECONDS = 10


_FINGERPRINT = Field(
    pattern="^[0-9a-f]{64}$", description="SHA-256 of the raw 32-byte public key, lowercase hex"
)


class RetiredKeyOut(Schema):
    public_key: Annotated[str, Field(description="the raw 32-byte Ed25519 public key, standard base64")]
    fingerprint: Annotated[str, _FINGERPRINT]


class KeyOut(Schema):
    algorithm: Literal["Ed25519"]
    public_key: Annotated[str, Field(description="the raw 32-byte Ed25519 public key, standard base64")]
    fingerprint: Annotated[str, _FINGERPRINT]
    retired: Annotated[
        list[RetiredKeyOut],
        Field(description="keys that signed before a rotation, oldest first: heads they signed stay valid"),
    ]


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
    exactly as in its JSON. A head signed before the key was rotated verifies with one of
    the `retired` keys."""
    response["Cache-Control"] = f"public, max-age={KEY_CACHE_SECONDS}"
    current = signing.public_key()
    return {
        "algorithm": signing.ALGORITHM,
        "public_key": signing.public_key_base64(current),
        "fingerprint": signing.fingerprint(current),
        "retired": [
            {"public_key": signing.public_key_base64(key), "fingerprint": signing.fingerprint(key)}
            for key in signing.retired_public_keys()
        ],
    }


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


SEQ_MAX = 2**63 - 1


@router.get(
    "/exports/audit.jsonl",
    summary="The audit chain as JSON Lines, to check without our server",
    response={200: None, **errors(422)},
    openapi_extra={
        "responses": {
            200: {
                "description": "One JSON object per line, one line per event, in order",
                "content": {"application/jsonl": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_audit(
    request: HttpRequest,
    after: int = Query(0, ge=0, le=SEQ_MAX, description="only the events after this seq (default 0: all)"),
) -> HttpResponseBase:
    """Every event after `after`, up to the head as it is when the export starts: `seq`,
    `prev_hash`, `hash` (= sha256 of `prev_hash:seq:digest`), `digest_version` and
    `content`, whose canonical JSON (keys sorted, no spaces, UTF-8) the digest is.
    Personal data appears only as keyed commitments (`hmac-sha256:…`); events written
    before commitments (`digest_version` 1) leave their personal values out (`omitted`)
    and carry their `digest`. Check a file with `python tools/verify_audit.py FILE
    [--head HASH]` (standard library only), the head from `GET /api/v1/audit/head`."""
    throttle.check(request, "exports", throttle.by_client(request))
    return audit_export_response(after)

"""Reads of the audit log that more than one caller needs."""

from __future__ import annotations

import datetime as dt

from . import signing
from .models import AuditEvent, AuditSignedHead
from .services import head_of


def audit_head_latest() -> signing.Head | None:
    """The head signed last, or None before the first signature."""
    row = AuditSignedHead.objects.order_by("-id").first()
    return head_of(row) if row is not None else None


def chain_head_at(moment: dt.datetime) -> AuditEvent | None:
    """The last link of the chain written before ``moment``: what a report of the time
    up to then anchors. A printed report that names it lets anyone check later that the
    chain still holds that link (``kolaborasi audit verify``), so the history the report
    summarises cannot be rewritten or cut without it showing."""
    before = AuditEvent.objects.filter(created_at__lt=moment).only("seq", "hash", "created_at")
    return before.order_by("-seq").first()

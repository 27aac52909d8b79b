"""Reads of the audit log that more than one caller needs."""

from __future__ import annotations

from . import signing
from .models import AuditSignedHead
from .services import head_of


def audit_head_latest() -> signing.Head | None:
    """The head signed last, or None before the first signature."""
    row = AuditSignedHead.objects.order_by("-id").first()
    return head_of(row) if row is not None else None

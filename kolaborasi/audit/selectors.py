"""Reads of the audit chain for other apps."""

from __future__ import annotations

import datetime as dt

from .models import AuditEvent


def chain_head_at(moment: dt.datetime) -> AuditEvent | None:
    """The last link of the chain written before ``moment``: what a report of the time
    up to then anchors. A printed report that names it lets anyone check later that the
    chain still holds that link (``kolaborasi audit verify``), so the history the report
    summarises cannot be rewritten or cut without it showing."""
    before = AuditEvent.objects.filter(created_at__lt=moment).only("seq", "hash", "created_at")
    return before.order_by("-seq").first()

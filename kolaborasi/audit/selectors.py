"""Reads of the audit chain for other apps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import AuditEvent


def chain_head_at(moment: dt.datetime) -> AuditEvent | None:
    """The last link of the chain written before ``moment``: what a report of the time
    up to then anchors. A printed report that names it lets anyone check later that the
    chain still holds that link (``kolaborasi audit verify``), so the history the report
    summarises cannot be rewritten or cut without it showing."""
    before = AuditEvent.objects.filter(created_at__lt=moment).only("seq", "hash", "created_at")
    return before.order_by("-seq").first()


def last_event_of(obj: Any, action: str) -> AuditEvent | None:
    """The latest event ``action`` on ``obj`` (a model instance), e.g. the close of a
    campaign: the link a report of something frozen since then anchors."""
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action)
        .only("seq", "hash", "created_at")
        .order_by("-seq")
        .first()
    )

"""Reads of the audit log that more than one caller needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import signing
from .actions import AuditAction, names_of
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


def last_event_of(obj: Any, action: AuditAction) -> AuditEvent | None:
    """The latest event of kind ``action`` on ``obj`` (a model instance), e.g. the close
    of a campaign: the link a report of something frozen since then anchors. Events
    written under the kind's older name count too."""
    return (
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action__in=names_of(action)
        )
        .only("seq", "hash", "created_at")
        .order_by("-seq")
        .first()
    )

"""Retention of delivery photos (docs/privacy.md): a photo of aid being handed over may
show residents' faces, so it is kept only as long as it serves the review. Once a
delivery is older than ``EVIDENCE_RETENTION_DAYS`` and not under an open dispute, the
worker removes its photos and those of the answers to its dispute: the files, their
small copies and the references to them. The delivery itself, its units and its review
stay; the page says when the photos were removed. Each removal is one audit event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.services import audit_record

from .models import Delivery, DisputeAnswer, Review

# Deliveries handled per transaction: a long backlog is worked off in short steps that
# never hold locks for long.
BATCH = 200


@dataclass
class RetentionReport:
    deliveries: int = 0
    files: int = 0


def _names(*fields: object) -> list[str]:
    return [str(field.name) for field in fields if field]  # type: ignore[attr-defined]


def evidence_expire(*, today: dt.date | None = None) -> RetentionReport:
    """Remove the photos whose retention has ended; returns what was removed."""
    today = today or timezone.localdate()
    cut = today - dt.timedelta(days=settings.EVIDENCE_RETENTION_DAYS)
    report = RetentionReport()
    while True:
        doomed: list[str] = []
        with transaction.atomic():
            # Only deliveries that still have a photo (or an answer with one): one recorded
            # without any is left as it is, so its page keeps saying no photo was sent.
            with_photo = ~Q(evidence="") | Q(
                pk__in=DisputeAnswer.objects.exclude(evidence="").values("delivery_id")
            )
            due = list(
                Delivery.objects.select_for_update()
                .filter(with_photo, delivered_on__lt=cut, evidence_removed_on__isnull=True)
                .exclude(review=Review.DISPUTED)
                .order_by("pk")[:BATCH]
            )
            if not due:
                break
            for delivery in due:
                answers = list(delivery.answers.exclude(evidence=""))
                names = _names(delivery.evidence, delivery.evidence_thumb)
                for answer in answers:
                    names += _names(answer.evidence, answer.evidence_thumb)
                    DisputeAnswer.objects.filter(pk=answer.pk).update(
                        evidence="", evidence_thumb="", evidence_removed=True
                    )
                Delivery.objects.filter(pk=delivery.pk).update(
                    evidence="", evidence_thumb="", evidence_removed_on=today
                )
                if names:
                    audit_record(
                        actor=None,
                        actor_label="retensi",
                        action=AuditAction.DELIVERY_EVIDENCE_REMOVED,
                        obj=delivery,
                        before={"evidence": names},
                        after={"evidence": [], "removed_on": today.isoformat()},
                    )
                    report.deliveries += 1
                doomed += names
        # The files go once the rows no longer point at them: a failed delete leaves an
        # orphan file on disk, never a row pointing at nothing.
        for name in doomed:
            default_storage.delete(name)
        report.files += len(doomed)
    return report

"""Writing and verifying the hash-chained audit log (DESIGN §3.5)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kolaborasi.core.sql import Inserter, table

from .models import AuditEvent, AuditHead


def _canonical(value: Any) -> Any:
    """JSON-native copy of ``value`` so the stored JSON and the hashed JSON are identical."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _digest(fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: Any | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: Any = None,
    after: Any = None,
    organisation: Any | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event. Must run inside the caller's transaction so the event and the
    change it describes commit (or roll back) together."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.get_username() if user is not None else "system")
    # No savepoint of its own: an error here fails the caller's whole transaction, which
    # is what §3.5 wants anyway. The head row is taken (locked and advanced) by one
    # UPDATE … RETURNING and the link is written by two plain statements: every write of
    # the platform passes here while holding the chain's lock, so the fewer round trips
    # (and the less ORM work) between the lock and the commit, the more writes per second.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_ADVANCE_HEAD)
        row = cursor.fetchone()
        if row is None:  # the head is created by migration audit 0002
            raise RuntimeError("audit chain head row is missing: run `kolaborasi migrate`")
        seq, prev_hash = row
        event = AuditEvent(
            seq=seq,
            created_at=timezone.now(),
            actor=user,
            actor_label=label[:150],
            organisation_id=getattr(organisation, "pk", None),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=_canonical(before),
            after=_canonical(after),
            prev_hash=prev_hash,
        )
        event.hash = _digest(_fields(event))
        _insert_event(event)
        cursor.execute(_SET_HEAD_HASH, [event.hash])
    return event


_HEAD = table(AuditHead)
_ADVANCE_HEAD = f"UPDATE {_HEAD} SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash"  # noqa: S608
_SET_HEAD_HASH = f"UPDATE {_HEAD} SET last_hash = %s WHERE id = 1"  # noqa: S608
_insert_event = Inserter(AuditEvent)


@dataclass
class ChainReport:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_verify() -> ChainReport:
    """Re-walk the chain from the first event; name the first link that does not hold."""
    prev_hash = "0" * 64
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "prev_hash does not match the previous event")
        if _digest(_fields(event)) != event.hash:
            return ChainReport(checked, event.seq, "content does not match its hash (edited)")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq != checked:
        return ChainReport(checked, checked + 1, f"event #{checked + 1} is missing (head at #{head.seq})")
    return ChainReport(checked)

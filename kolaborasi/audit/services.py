"""Writing and verifying the hash-chained audit log (docs/decisions/0003-audit-chain.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.sql import Inserter, table

from .actions import AuditAction
from .models import AuditEvent, AuditHead


def _canonical(value: Any) -> Any:
    """JSON-native copy of ``value`` so the stored JSON and the hashed JSON are identical."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def content_digest(event: AuditEvent) -> str:
    """SHA-256 of everything an event says (all but its place in the chain), as
    canonical JSON."""
    fields = {
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
    }
    return _sha256(json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    """An event's hash: its predecessor's hash, its place and its content, chained.
    PostgreSQL computes the same expression in ``_LINK_PG`` (see ``audit_record``)."""
    return _sha256(f"{prev_hash}:{seq}:{digest}")


def audit_event(
    *,
    actor: Actor,
    action: AuditAction,
    obj: Any | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: Any = None,
    after: Any = None,
    organisation: Any | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """The event (not yet linked nor saved) that ``audit_record`` appends. ``action``
    must be one of ``audit.actions.AuditAction``: an unknown name is a programming error."""
    kind = AuditAction(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    user = acting_user(actor)
    label = actor_label or (user.get_username() if user is not None else "system")
    return AuditEvent(
        created_at=timezone.now(),
        actor_id=getattr(user, "pk", None),
        actor_label=label[:150],
        organisation_id=getattr(organisation, "pk", None),
        action=kind.value,
        object_type=object_type,
        object_id=str(object_id),
        before=_canonical(before),
        after=_canonical(after),
    )


def audit_record(**fields: Any) -> AuditEvent:
    """Append one event (the keyword arguments of ``audit_event``). Must run inside the
    caller's transaction so the event and the change it describes commit (or roll back)
    together."""
    event = audit_event(**fields)
    # No savepoint of its own: an error here fails the caller's whole transaction, as
    # the audit chain requires (docs/decisions/0003-audit-chain.md).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql, params = pg_link_sql(event)
            cursor.execute("WITH " + sql, params)
            pg_link_done(event, cursor.fetchone())
        else:  # SQLite: writers are serialised by the database; three plain statements.
            cursor.execute(_ADVANCE_HEAD)
            row = cursor.fetchone()
            if row is None:  # the head is created by migration audit 0002
                raise RuntimeError("audit chain head row is missing: run `kolaborasi migrate`")
            event.seq, event.prev_hash = row
            event.hash = link_hash(event.prev_hash, event.seq, content_digest(event))
            _insert_event(event)
            cursor.execute(_SET_HEAD_HASH, [event.hash, event.prev_hash])
    return event


def pg_link_sql(event: AuditEvent, *, only_if: str = "") -> tuple[str, list[Any]]:
    """PostgreSQL: the tail of a ``WITH`` statement that links ``event`` into the chain
    and inserts it, answering (id, seq, prev_hash, hash). The event's content is hashed
    here, before the chain's lock is taken; the statement then takes the head row (its
    lock is the chain's), advances it and writes the event with no round trip while
    holding it. ``only_if`` names an earlier CTE of the caller's statement: the event is
    written only if that CTE yields a row (a pledge that fitted, say)."""
    condition = f" AND EXISTS (SELECT 1 FROM {only_if})" if only_if else ""  # noqa: S608 (a CTE name in code)
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _CONTENT_FIELDS]
    return _LINK_PG.replace("{condition}", condition), [content_digest(event), *values]


def pg_link_done(event: AuditEvent, row: Any) -> None:
    """Fill ``event`` from the row the statement of ``pg_link_sql`` answered."""
    if row is None:  # the head is created by migration audit 0002
        raise RuntimeError("audit chain head row is missing: run `kolaborasi migrate`")
    event.pk, event.seq, event.prev_hash, event.hash = row
    event._state.adding = False


_HEAD = table(AuditHead)
_ADVANCE_HEAD = f"UPDATE {_HEAD} SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash"  # noqa: S608
_SET_HEAD_HASH = f"UPDATE {_HEAD} SET last_hash = %s, prev_hash = %s WHERE id = 1"  # noqa: S608
_insert_event = Inserter(AuditEvent)
_CONTENT_FIELDS: list[Field[Any, Any]] = [
    field
    for name in (
        "created_at",
        "actor_id",
        "actor_label",
        "organisation_id",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
    )
    if isinstance(field := AuditEvent._meta.get_field(name), Field)
]
# In an UPDATE every SET expression reads the row as it was: prev_hash takes the old
# last_hash, and the new last_hash is link_hash(old last_hash, old seq + 1, digest).
_LINK_PG = """audit_link AS (
    UPDATE {head} SET prev_hash = last_hash, seq = seq + 1,
        last_hash = encode(
            sha256(convert_to(last_hash || ':' || (seq + 1)::text || ':' || %s, 'UTF8')), 'hex'
        )
    WHERE id = 1{{condition}}
    RETURNING seq, prev_hash, last_hash
)
INSERT INTO {event} ({content}, seq, prev_hash, hash)
SELECT {params}, audit_link.seq, audit_link.prev_hash, audit_link.last_hash FROM audit_link
RETURNING id, seq, prev_hash, hash
""".format(  # noqa: S608 (names only)
    head=_HEAD,
    event=table(AuditEvent),
    content=", ".join(connection.ops.quote_name(str(f.column)) for f in _CONTENT_FIELDS),
    # Typed, so PostgreSQL does not read a NULL or a string in a SELECT list as text.
    params=", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in _CONTENT_FIELDS),
)


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
        if link_hash(prev_hash, event.seq, content_digest(event)) != event.hash:
            return ChainReport(checked, event.seq, "content does not match its hash (edited)")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq != checked:
        return ChainReport(checked, checked + 1, f"event #{checked + 1} is missing (head at #{head.seq})")
    return ChainReport(checked)

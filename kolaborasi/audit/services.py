"""Writing and verifying the hash-chained audit log (docs/decisions/0003-audit-chain.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import batched
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from kolaborasi.core.actor import Actor, acting_user
from kolaborasi.core.sql import Inserter, table

from . import personal, signing
from .actions import AuditAction
from .models import AuditEvent, AuditHead, AuditSignedHead


def _canonical(value: Any) -> Any:
    """JSON-native copy of ``value`` so the stored JSON and the hashed JSON are identical."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digested_content(event: AuditEvent) -> dict[str, Any]:
    """Everything an event says (all but its place in the chain), as its digest covers
    it: the line of the export (``audit.exports``) carries exactly this."""
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
    # Version 1 (events written before commitments) digests exactly these keys, as it
    # always did; from version 2 on the version is digested too, so that it cannot be
    # changed to make a verifier read the content another way.
    if event.digest_version != 1:
        fields["digest_version"] = event.digest_version
    return fields


def content_digest(event: AuditEvent) -> str:
    """SHA-256 of everything an event says, as canonical JSON (``digested_content``).
    A version-2 event's personal data is in it only as commitments
    (``audit.personal``), so recomputing it needs no key."""
    return _sha256(
        json.dumps(digested_content(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )


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
    event = AuditEvent(
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
    # Personal data enters the chain only as keyed commitments (digest version 2).
    personal.event_commit(event, obj)
    return event


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
        "digest_version",
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


GENESIS = "0" * 64
# The worker signs the head when it moved since the last signature, and otherwise once
# the last signature is this old (kolaborasi.audit.tasks runs the check every few seconds).
SIGN_MAX_AGE = dt.timedelta(minutes=1)


@dataclass
class ChainReport:
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    # Signed heads (stored ones, and the saved one given to audit_verify) found in the chain.
    heads_checked: int = 0
    # "link": the chain itself does not hold at broken_seq; "head": the chain holds, but
    # not the head signed for broken_seq (rewritten or truncated since).
    kind: str = "link"

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _walk(after_seq: int, prev_hash: str, upto: int | None = None) -> ChainReport:
    """Check every link after ``after_seq`` (whose hash is ``prev_hash``), up to
    ``upto`` (inclusive; None: to the last event). ``checked`` counts the events checked."""
    expected_seq = after_seq + 1
    checked = 0
    events = AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq")
    if upto is not None:
        events = events.filter(seq__lte=upto)
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "prev_hash does not match the previous event")
        if link_hash(prev_hash, event.seq, content_digest(event)) != event.hash:
            return ChainReport(checked, event.seq, "content does not match its hash (edited)")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    if upto is not None and expected_seq <= upto:
        return ChainReport(checked, expected_seq, f"event #{expected_seq} is missing (head at #{upto})")
    return ChainReport(checked)


def _hash_at(seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    return AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()


class ChainNotSigned(Exception):
    """The head was not signed: the chain does not extend the head signed before (or
    does not hold). The message says where."""


def audit_head_sign(*, only_if_due: bool = False) -> AuditSignedHead | None:
    """Sign the chain's current head with the key kept outside the database and store
    it. Never signs a chain that does not hold, or that does not extend the last signed
    head: the links from that head to this one are checked first (all of them, the
    first time), so a signature vouches for the whole chain up to its head.

    ``only_if_due`` (the worker): only when the head moved since the last signature or
    that signature is at least ``SIGN_MAX_AGE`` old; otherwise None."""
    signing.private_key()  # a missing or malformed key stops here, before any work
    head = AuditHead.objects.filter(pk=1).values_list("seq", "last_hash").first()
    if head is None:  # the head is created by migration audit 0002
        raise RuntimeError("audit chain head row is missing: run `kolaborasi migrate`")
    seq, hash = int(head[0]), str(head[1])
    at = timezone.now().replace(microsecond=0)
    last = AuditSignedHead.objects.order_by("-id").first()
    if (
        only_if_due
        and last is not None
        and (last.seq, last.hash) == (seq, hash)
        and at - last.at < SIGN_MAX_AGE
    ):
        return None
    since, since_hash = (last.seq, last.hash) if last is not None else (0, GENESIS)
    if seq < since:
        raise ChainNotSigned(f"the chain's head #{seq} is behind the last signed head #{since}: truncated")
    if _hash_at(since) != since_hash:
        raise ChainNotSigned(f"event #{since} no longer has the hash signed for it: rewritten")
    report = _walk(since, since_hash, upto=seq)
    if not report.ok:
        raise ChainNotSigned(f"event #{report.broken_seq}: {report.reason}")
    if seq > 0 and _hash_at(seq) != hash:
        raise ChainNotSigned(f"the head row's hash is not the hash of event #{seq}")
    return AuditSignedHead.objects.create(seq=seq, hash=hash, at=at, signature=signing.sign(seq, hash, at))


@dataclass(frozen=True)
class KeyRotation:
    old_fingerprint: str
    new_fingerprint: str
    # The head signed with the new key at once; None when the chain could not be signed
    # (``error`` says why; the key is replaced all the same).
    head: AuditSignedHead | None
    error: str = ""


def audit_key_rotate(*, actor: Actor) -> KeyRotation:
    """Replace the key that signs the chain's head (``signing.rotate``: the old key's
    public half joins the retired keys, so every head it signed keeps verifying), record
    the rotation in the chain, and sign the head with the new key at once, so the first
    head the new key signs includes the rotation."""
    rotation = signing.rotate()
    old, new = signing.fingerprint(rotation.old), signing.fingerprint(rotation.new)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.AUDIT_KEY_ROTATED,
            object_type="audit.signing_key",
            object_id=new,
            before={"fingerprint": old},
            after={"fingerprint": new},
        )
    try:
        head = audit_head_sign()
    except ChainNotSigned as exc:
        return KeyRotation(old, new, None, str(exc))
    return KeyRotation(old, new, head)


def head_of(row: AuditSignedHead) -> signing.Head:
    return signing.Head(seq=row.seq, hash=row.hash, at=row.at, signature=row.signature)


def _signed_heads() -> Iterator[signing.Head]:
    for row in AuditSignedHead.objects.order_by("seq", "id").iterator(chunk_size=2000):
        yield head_of(row)


def _check_heads(heads: Iterable[signing.Head], *, length: int, saved: bool = False) -> ChainReport:
    """Each head against the chain of ``length`` events (which holds): its signature with
    the current public key or a retired one (``signing.verifying_keys``), its seq within
    the chain, and the event at its seq having its hash. Heads come in order of seq, so a
    rewrite is placed after the last head that still matched."""
    keys: list[Ed25519PublicKey] | None = None
    checked = matched = 0  # matched: the highest seq whose signed hash still matches
    which = "the saved head" if saved else "the head"
    for batch in batched(heads, 2000):
        seqs = [h.seq for h in batch if 0 < h.seq <= length]
        hashes = dict(AuditEvent.objects.filter(seq__in=seqs).values_list("seq", "hash"))
        hashes[0] = GENESIS
        for head in batch:
            keys = keys if keys is not None else signing.verifying_keys()
            at = signing.format_at(head.at)
            problem = ""
            signer = next((key for key in keys if head.signature_valid(key)), None)
            if signer is None:
                problem = (
                    f"{which} signed at {at} has a signature the current key does not verify, "
                    "nor any retired key"
                )
            elif head.seq > length:
                problem = (
                    f"truncated: {which} signed at {at} is event #{head.seq}, the chain ends at #{length}"
                )
            elif hashes.get(head.seq) != head.hash:
                problem = (
                    f"rewritten after #{matched}: event #{head.seq} no longer has the hash {which} "
                    f"signed at {at} names"
                )
            if problem:
                return ChainReport(length, head.seq, problem, heads_checked=checked, kind="head")
            # Heads come in time order: the key that signed this one is tried first next.
            if signer is not None and signer is not keys[0]:
                keys = [signer, *(key for key in keys if key is not signer)]
            matched = max(matched, head.seq)
            checked += 1
    return ChainReport(length, heads_checked=checked)


def audit_verify(saved_head: signing.Head | None = None) -> ChainReport:
    """Re-walk the chain from the first event and name the first link that does not
    hold; then check that every stored signed head, and ``saved_head`` (one someone kept,
    e.g. from ``GET /api/v1/audit/head``), is still in it. A chain re-hashed forward
    after an edit, or cut short with its head row rolled back, holds link by link: only
    a head signed before the change shows it."""
    report = _walk(0, GENESIS)
    if not report.ok:
        return report
    checked = report.checked
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq != checked:
        return ChainReport(checked, checked + 1, f"event #{checked + 1} is missing (head at #{head.seq})")
    heads = _check_heads(_signed_heads(), length=checked)
    if not heads.ok or saved_head is None:
        return heads
    mine = _check_heads([saved_head], length=checked, saved=True)
    mine.heads_checked += heads.heads_checked
    return mine

"""Personal data in the audit chain: the one rule for what is personal, and the keyed
commitments that stand in for it (docs/privacy.md, "The audit log";
docs/decisions/0003-audit-chain.md, "Personal data as commitments").

An event of digest version 2 holds no personal value. Each is replaced, before the event
is hashed and stored, by ``hmac-sha256:<hex>``: HMAC-SHA256, with a random key kept for
that person (``AuditPersonKey``), of the value's canonical JSON. The value itself is
stored beside the chain (``AuditPersonalValue``) so that the operator screens can show
it. Both tables are deletable: erasing a person deletes their key and values, and every
link still verifies, because the chain only ever hashed the commitment.

What is personal (the same rule reads the events written before, version 1, for the
export, which leaves their personal values out):

- ``actor_label`` when it names a person: every label but the machine ones (``system``,
  ``retensi``, ``token:<organisation>``), which are an account's username;
- in ``before`` / ``after`` (top-level keys of the snapshot): ``username``, ``email``,
  ``first_name``, ``last_name``, ``user`` (a member's or a device owner's username),
  ``phone``, ``head_name`` and every ``contact_*`` key;
- ``name`` and ``description`` of a snapshot of an individual (``subtype``
  ``individual``: an individual donor's organisation is the person).

Whose data it is (the subject, one key each): ``user:<id>`` for an account — the actor
for the label, the account itself, or the account of a membership; otherwise the object
the event is about, ``<app.model>:<id>`` (an individual donor's organisation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from .models import AuditEvent, AuditPersonalValue, AuditPersonKey

PREFIX = "hmac-sha256:"
# The digest version of events written with commitments (``audit.services``).
CURRENT_VERSION = 2

PERSONAL_KEYS = frozenset({"username", "email", "first_name", "last_name", "user", "phone", "head_name"})
CONTACT_PREFIX = "contact_"
INDIVIDUAL_KEYS = frozenset({"name", "description"})
INDIVIDUAL = "individual"
MACHINE_LABELS = frozenset({"system", "retensi", ""})
TOKEN_LABEL = "token:"  # noqa: S105 (a label, not a secret)


def label_is_personal(label: str) -> bool:
    """Whether an ``actor_label`` names a person (an account's username)."""
    return not (label in MACHINE_LABELS or label.startswith(TOKEN_LABEL))


def snapshot_personal_keys(state: Any) -> list[str]:
    """The keys of a ``before`` / ``after`` snapshot that hold personal data, sorted."""
    if not isinstance(state, dict):
        return []
    individual = state.get("subtype") == INDIVIDUAL
    return sorted(
        key
        for key, value in state.items()
        if value is not None
        and (
            key in PERSONAL_KEYS or key.startswith(CONTACT_PREFIX) or (individual and key in INDIVIDUAL_KEYS)
        )
    )


def personal_paths(*, actor_label: str, before: Any, after: Any) -> list[str]:
    """Where an event's content holds personal data: ``actor_label``, ``before.<key>``,
    ``after.<key>``."""
    paths = ["actor_label"] if label_is_personal(actor_label) else []
    for part, state in (("before", before), ("after", after)):
        paths += [f"{part}.{key}" for key in snapshot_personal_keys(state)]
    return paths


def user_subject(user_id: Any) -> str:
    return f"user:{user_id}"


def _user_label() -> str:
    return str(get_user_model()._meta.label_lower)


def _object_subject(event: AuditEvent, obj: Any) -> str:
    """Whose data a snapshot's personal values are: the account the event is about or
    the account of the object (a membership's member), else the object itself."""
    if event.object_type == _user_label():
        return user_subject(event.object_id)
    user_id = getattr(obj, "user_id", None)
    if user_id is not None:
        return user_subject(user_id)
    return f"{event.object_type}:{event.object_id}"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_commitment(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX) and len(value) == len(PREFIX) + 64


def _key_of(subject: str) -> bytes:
    """The subject's key (its first, if two were made at once), made on first use."""
    key = AuditPersonKey.objects.filter(subject=subject).order_by("id").values_list("key", flat=True).first()
    if key is None:
        key = secrets.token_hex(32)
        AuditPersonKey.objects.create(subject=subject, key=key)
    return bytes.fromhex(key)


def commitment(key: bytes, value: Any) -> str:
    """What the chain holds for ``value``: HMAC-SHA256 of its canonical JSON."""
    return PREFIX + hmac.new(key, canonical_json(value).encode(), hashlib.sha256).hexdigest()


def event_commit(event: AuditEvent, obj: Any = None) -> None:
    """Replace every personal value of ``event`` (not yet linked) by its commitment, keep
    the values beside the chain, and mark the event as digest version 2. Runs in the
    caller's transaction, so a rolled-back event leaves no value behind (PostgreSQL's
    one-statement pledge runs without one: a pledge that did not fit leaves its value
    row, which holds only what the person's other rows hold). Once a person's key and
    values exist, two reads: the key, and whether the values are held already."""
    keys: dict[str, bytes] = {}
    kept: dict[str, AuditPersonalValue] = {}

    def commit(subject: str, value: Any) -> str:
        if subject not in keys:
            keys[subject] = _key_of(subject)
        made = commitment(keys[subject], value)
        kept[made] = AuditPersonalValue(commitment=made, subject=subject, value=value)
        return made

    if label_is_personal(event.actor_label):
        # Nobody signed in yet (actor_id None): the account registering itself.
        subject = user_subject(event.actor_id) if event.actor_id is not None else _object_subject(event, obj)
        event.actor_label = commit(subject, event.actor_label)
    for part in ("before", "after"):
        state = getattr(event, part)
        personal = snapshot_personal_keys(state)
        if personal:
            subject = _object_subject(event, obj)
            setattr(event, part, {k: commit(subject, v) if k in personal else v for k, v in state.items()})
    event.digest_version = CURRENT_VERSION
    if kept:
        held = AuditPersonalValue.objects.filter(commitment__in=list(kept)).values_list(
            "commitment", flat=True
        )
        for made in set(held):
            del kept[made]
        AuditPersonalValue.objects.bulk_create(list(kept.values()))


def opened(commitments: Iterable[str]) -> dict[str, Any]:
    """The personal values still held for these commitments (erased ones are absent)."""
    wanted = [c for c in commitments if is_commitment(c)]
    if not wanted:
        return {}
    rows = AuditPersonalValue.objects.filter(commitment__in=wanted).values_list("commitment", "value")
    return dict(rows)


def event_opened(event: AuditEvent) -> dict[str, Any]:
    """``event``'s content with each commitment replaced by its value while one is held
    (an operator's view; erased values stay commitments)."""
    content: dict[str, Any] = {
        "actor_label": event.actor_label,
        "before": event.before,
        "after": event.after,
    }
    found = [event.actor_label]
    for state in (event.before, event.after):
        if isinstance(state, dict):
            found += [v for v in state.values() if is_commitment(v)]
    values = opened(found)
    if not values:
        return content
    content["actor_label"] = values.get(event.actor_label, event.actor_label)
    for part in ("before", "after"):
        state = content[part]
        if isinstance(state, dict):
            content[part] = {k: values.get(v, v) if isinstance(v, str) else v for k, v in state.items()}
    return content


def personal_held(subjects: Iterable[str]) -> dict[str, Any]:
    """Everything held beside the chain for these subjects: whether a key exists and
    the values, per subject (``kolaborasi user export``)."""
    subjects = list(subjects)
    keys = set(AuditPersonKey.objects.filter(subject__in=subjects).values_list("subject", flat=True))
    held: dict[str, Any] = {s: {"key": s in keys, "values": []} for s in subjects}
    rows = AuditPersonalValue.objects.filter(subject__in=subjects).order_by("created_at", "id")
    for row in rows:
        held[row.subject]["values"].append({"commitment": row.commitment, "value": row.value})
    return held


def personal_erase(subjects: Iterable[str]) -> dict[str, int]:
    """Delete the keys and the values of these subjects. The chain is not touched: its
    commitments stay, and no longer open to anything."""
    subjects = list(subjects)
    values, _ = AuditPersonalValue.objects.filter(subject__in=subjects).delete()
    keys, _ = AuditPersonKey.objects.filter(subject__in=subjects).delete()
    return {"values": values, "keys": keys}


def legacy_events_naming(*, user_id: int, names: Iterable[str]) -> int:
    """How many events of digest version 1 (written before commitments, never rewritten)
    still hold personal data of this account: acted by it, about it, or with one of
    ``names`` (its username, address, name) at a personal place of their content."""
    wanted = {n for n in names if n}
    user_label = _user_label()
    count = 0
    events = AuditEvent.objects.filter(digest_version=1).only(
        "actor_id", "actor_label", "object_type", "object_id", "before", "after"
    )
    for event in events.iterator(chunk_size=2000):
        paths = personal_paths(actor_label=event.actor_label, before=event.before, after=event.after)
        if not paths:
            continue
        if event.actor_id == user_id and "actor_label" in paths:
            count += 1
            continue
        if event.object_type == user_label and event.object_id == str(user_id):
            count += 1
            continue
        values = [event.actor_label] if "actor_label" in paths else []
        for path in paths:
            part, _, key = path.partition(".")
            if key:
                values.append(getattr(event, part)[key])
        if any(isinstance(v, str) and v in wanted for v in values):
            count += 1
    return count

"""Migration audit 0003 re-links a chain under the v2 rule, and refuses to re-link one
that was tampered with (re-linking must not launder an edit; see
docs/decisions/0003-audit-chain.md)."""

from __future__ import annotations

import hashlib
import importlib
import json

import pytest
from django.apps import apps
from django.utils import timezone

from kolaborasi.audit.models import AuditEvent, AuditHead
from kolaborasi.audit.services import audit_verify
from tests.audit_support import guard_lifted

pytestmark = pytest.mark.django_db
relink = importlib.import_module("kolaborasi.audit.migrations.0003_chain_v2").relink


def _v1_chain(n: int) -> None:
    """n events linked under the v1 rule (hash of every field, seq and prev_hash too),
    in place of the chain there is (with the append-only guard lifted, as the database
    stood when migration 0003 ran: the guard came with 0006)."""
    with guard_lifted():
        AuditEvent.objects.all().delete()
    prev = "0" * 64
    for seq in range(1, n + 1):
        event = AuditEvent(
            seq=seq,
            created_at=timezone.now(),
            actor_label="system",
            action="test.event",
            object_type="t",
            object_id=str(seq),
            before={"n": seq},
            after={"n": seq + 1},
            prev_hash=prev,
        )
        fields = {
            "seq": seq,
            "created_at": event.created_at.isoformat(),
            "actor_id": None,
            "actor_label": "system",
            "organisation_id": None,
            "action": "test.event",
            "object_type": "t",
            "object_id": str(seq),
            "before": event.before,
            "after": event.after,
            "prev_hash": prev,
        }
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event.hash = prev = hashlib.sha256(payload.encode()).hexdigest()
        event.save()
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": n, "last_hash": prev})


def test_a_sound_v1_chain_is_relinked_and_verifies() -> None:
    _v1_chain(5)
    assert not audit_verify().ok  # v1 links do not hold under the v2 rule
    with guard_lifted():
        relink(apps, None)
    report = audit_verify()
    assert report.ok and report.checked == 5
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.last_hash) == (5, AuditEvent.objects.get(seq=5).hash)


def test_a_tampered_v1_chain_is_refused_and_left_as_it_was() -> None:
    _v1_chain(5)
    with guard_lifted():
        AuditEvent.objects.filter(seq=3).update(actor_label="mallory")
    before = dict(AuditEvent.objects.values_list("seq", "hash"))
    with pytest.raises(RuntimeError, match="#3"), guard_lifted():
        relink(apps, None)
    assert dict(AuditEvent.objects.values_list("seq", "hash")) == before

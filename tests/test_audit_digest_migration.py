"""Migration audit 0008 (digest versions, personal data as commitments) on a chain the
release before wrote: nothing of it is rewritten, it verifies as before (digest version
1, personal data in clear), the append-only guard is still in place afterwards, and
the chain continues with version 2. Transactional: it takes the schema back a step."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent, AuditHead, AuditSignedHead
from kolaborasi.audit.personal import PREFIX
from kolaborasi.audit.services import GENESIS, audit_record, audit_verify
from tests.audit_support import guard_lifted
from tests.test_audit_export import export, run_verifier

BEFORE = [("audit", "0007_signed_head")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)  # type: ignore[arg-type]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _old_release_chain() -> list[tuple[int, str]]:
    """Three events as the release before wrote them (its model has no digest version),
    the first naming a person in clear."""
    Old = MigrationExecutor(connection).loader.project_state(BEFORE[0]).apps.get_model("audit", "AuditEvent")
    prev = GENESIS
    for seq in range(1, 4):
        fields = {
            "created_at": timezone.now().isoformat(),
            "actor_id": None,
            "actor_label": "sari@contoh.id" if seq == 1 else "system",
            "organisation_id": None,
            "action": "user.registered" if seq == 1 else "need.changed",
            "object_type": "auth.user" if seq == 1 else "t",
            "object_id": str(seq),
            "before": None,
            "after": {"username": "sari@contoh.id"} if seq == 1 else {"n": seq},
        }
        digest = _sha256(json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
        link = _sha256(f"{prev}:{seq}:{digest}")
        Old.objects.create(
            seq=seq,
            created_at=fields["created_at"],
            actor_label=fields["actor_label"],
            action=fields["action"],
            object_type=fields["object_type"],
            object_id=fields["object_id"],
            after=fields["after"],
            prev_hash=prev,
            hash=link,
        )
        prev_before, prev = prev, link
    AuditHead.objects.filter(pk=1).update(seq=3, last_hash=prev, prev_hash=prev_before)
    return list(Old.objects.order_by("seq").values_list("seq", "hash"))


@pytest.mark.django_db(transaction=True)
def test_a_chain_written_before_keeps_verifying_and_continues_with_commitments(
    client: Client, tmp_path: Path
) -> None:
    AuditHead.objects.get_or_create(pk=1)
    with guard_lifted():
        AuditEvent.objects.all().delete()
        AuditSignedHead.objects.all().delete()
    AuditHead.objects.filter(pk=1).update(seq=0, last_hash=GENESIS, prev_hash=GENESIS)
    try:
        _migrate(BEFORE)
        written = _old_release_chain()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "hash")) == written
    assert set(AuditEvent.objects.values_list("digest_version", flat=True)) == {1}
    assert AuditEvent.objects.get(seq=1).actor_label == "sari@contoh.id"  # not rewritten
    report = audit_verify()
    assert report.ok and report.checked == 3
    # The guard survived the migration (SQLite rebuilt the table).
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(actor_label="mallory")
    # The chain continues with version 2.
    with transaction.atomic():
        event = audit_record(
            actor=None,
            actor_label="sari@contoh.id",
            action=AuditAction.USER_VERIFIED,
            object_type="auth.user",
            object_id=1,
            after={"username": "sari@contoh.id"},
        )
    assert event.digest_version == 2 and event.actor_label.startswith(PREFIX)
    assert audit_verify().ok
    body = export(client)
    assert b"sari@contoh.id" not in body
    path = tmp_path / "audit.jsonl"
    path.write_bytes(body)
    done = run_verifier(path, "--head", AuditHead.objects.get(pk=1).last_hash)
    assert done.returncode == 0, done.stderr

"""The chain's head, signed with a key kept outside the database: signed by the worker
and by `kolaborasi audit sign`, published at /api/v1/audit/head with its public key at
/api/v1/audit/key, and checked by `kolaborasi audit verify` (every stored signed head, and
with --head one someone saved). A chain rebuilt by hand — an event edited and every link
after it re-hashed with the application's own functions, or the tail cut off and the
head row rolled back — holds link by link, and is caught by a head signed before."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client
from django.utils import timezone

from kolaborasi.audit.models import AuditEvent, AuditHead, AuditSignedHead
from kolaborasi.audit.services import content_digest, link_hash
from kolaborasi.audit.signing import sign
from kolaborasi.audit.tasks import audit_head_sign_task
from tests.audit_support import guard_lifted, need_change_events
from tests.tasks_support import run_tasks

pytestmark = pytest.mark.django_db


def _sign(run_cli) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out, _err = run_cli("audit", "sign")
    head: dict[str, object] = json.loads(out)
    return head


def _verify(run_cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    out, _err = run_cli("audit", "verify", *args)
    return str(out)


def _published_head(client: Client, tmp_path: Path) -> Path:
    """The head as anyone gets it from the API, saved to a file."""
    response = client.get("/api/v1/audit/head")
    assert response.status_code == 200
    path = tmp_path / "head.json"
    path.write_bytes(response.content)
    return path


def _public_key(client: Client) -> Ed25519PublicKey:
    answer = client.get("/api/v1/audit/key").json()
    assert answer["algorithm"] == "Ed25519"
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(answer["public_key"]))


def _rehash_forward(from_seq: int) -> None:
    """What someone with write access to the database (guard lifted) can do: re-link
    every event from ``from_seq`` on with the application's own functions, and move the
    head row to the new end."""
    prev = AuditEvent.objects.get(seq=from_seq - 1).hash if from_seq > 1 else "0" * 64
    for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
        event.prev_hash = prev
        event.hash = prev = link_hash(prev, event.seq, content_digest(event))
        event.save(update_fields=["prev_hash", "hash"])
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    AuditHead.objects.filter(pk=1).update(seq=last.seq, last_hash=last.hash, prev_hash=last.prev_hash)


def _cut_tail(count: int) -> None:
    """Delete the last ``count`` events and roll the head row back to the new end."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert last is not None
    AuditEvent.objects.filter(seq__gt=last - count).delete()
    end = AuditEvent.objects.get(seq=last - count)
    AuditHead.objects.filter(pk=1).update(seq=end.seq, last_hash=end.hash, prev_hash=end.prev_hash)


def test_a_signed_head_is_published_and_verifies_with_the_published_key(
    client: Client, run_cli, personas, settings
) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/audit/head")
    assert response.status_code == 404
    assert "belum pernah ditandatangani" in response.json()["detail"]
    assert not AuditSignedHead.objects.exists()

    need_change_events(personas, 3)
    signed = _sign(run_cli)
    head = AuditHead.objects.get(pk=1)
    assert (signed["seq"], signed["hash"]) == (head.seq, head.last_hash)

    response = client.get("/api/v1/audit/head")
    assert response.status_code == 200
    assert response.json() == signed
    assert response["Cache-Control"] == "public, max-age=10"
    key_response = client.get("/api/v1/audit/key")
    assert key_response["Cache-Control"] == "public, max-age=300"

    # Independently of the application: the documented message, the published key.
    message = f"kolaborasi-audit-head:1:{signed['seq']}:{signed['hash']}:{signed['at']}".encode()
    signature = base64.b64decode(str(signed["signature"]))
    _public_key(client).verify(signature, message)  # raises InvalidSignature if not
    at = dt.datetime.strptime(str(signed["at"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(timezone.now() - at) < dt.timedelta(minutes=1)
    with pytest.raises(InvalidSignature):
        _public_key(client).verify(signature, message.replace(b":1:", b":1:9", 1))

    # The key was made once, readable by its owner only, and is reused.
    key_file = Path(settings.AUDIT_SIGNING_KEY_FILE)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pem = key_file.read_bytes()
    need_change_events(personas, 1)
    _sign(run_cli)
    assert key_file.read_bytes() == pem
    assert AuditSignedHead.objects.count() == 2
    assert "2 signed heads match" in _verify(run_cli)


def test_the_worker_signs_when_the_head_moved_or_the_signature_is_a_minute_old(personas) -> None:  # type: ignore[no-untyped-def]
    audit_head_sign_task.enqueue()
    assert run_tasks() == 1
    first = AuditSignedHead.objects.get()

    audit_head_sign_task.enqueue()  # nothing moved, signed just now: nothing to do
    assert run_tasks() == 1
    assert AuditSignedHead.objects.count() == 1

    need_change_events(personas, 1)
    audit_head_sign_task.enqueue()
    run_tasks()
    moved = AuditSignedHead.objects.order_by("-id").first()
    assert moved is not None and moved.seq == first.seq + 1

    # A head signed a minute ago and not moved since: signed again, with a new time.
    old = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=61)
    AuditSignedHead.objects.create(
        seq=moved.seq, hash=moved.hash, at=old, signature=sign(moved.seq, moved.hash, old)
    )
    audit_head_sign_task.enqueue()
    run_tasks()
    latest = AuditSignedHead.objects.order_by("-id").first()
    assert latest is not None and (latest.seq, latest.hash) == (moved.seq, moved.hash) and latest.at > old
    assert AuditSignedHead.objects.count() == 4


def test_a_chain_rehashed_after_an_edit_no_longer_matches_a_signed_head(
    client: Client, run_cli, personas, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    events = need_change_events(personas, 6)
    _sign(run_cli)
    saved = _published_head(client, tmp_path)
    victim = events[2]

    with guard_lifted():
        AuditEvent.objects.filter(pk=victim.pk).update(after={"quantity": 999})
        _rehash_forward(victim.seq)
    assert AuditEvent.objects.get(pk=victim.pk).after == {"quantity": 999}

    # Link by link the rebuilt chain holds; the head signed before it does not.
    with pytest.raises(
        CommandError, match=rf"#{events[-1].seq}: rewritten after #0: event #{events[-1].seq}"
    ):
        _verify(run_cli)
    # The worker will not sign the rebuilt chain either.
    with pytest.raises(CommandError, match="rewritten"):
        _sign(run_cli)
    assert AuditSignedHead.objects.count() == 1

    # Even with the stored signed heads gone too, the head someone saved shows it.
    with guard_lifted():
        AuditSignedHead.objects.all().delete()
    assert "audit chain OK" in _verify(run_cli)
    with pytest.raises(CommandError, match=rf"#{events[-1].seq}: rewritten after #0"):
        _verify(run_cli, "--head", str(saved))


def test_a_truncated_chain_no_longer_matches_a_signed_head(
    client: Client, run_cli, personas, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    events = need_change_events(personas, 5)
    _sign(run_cli)
    saved = _published_head(client, tmp_path)
    assert "2 signed heads match" in _verify(run_cli, "--head", str(saved))  # stored and saved

    with guard_lifted():
        _cut_tail(2)
    end = events[-3].seq
    with pytest.raises(CommandError, match=rf"truncated: the head signed at .* is event #{events[-1].seq}"):
        _verify(run_cli)
    with pytest.raises(CommandError, match=rf"behind the last signed head #{events[-1].seq}"):
        _sign(run_cli)

    with guard_lifted():
        AuditSignedHead.objects.all().delete()
    assert "audit chain OK" in _verify(run_cli)
    with pytest.raises(CommandError, match=rf"the saved head .* the chain ends at #{end}"):
        _verify(run_cli, "--head", str(saved))


def test_a_head_signed_with_another_key_is_reported(
    client: Client, run_cli, personas, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    need_change_events(personas, 2)
    signed = _sign(run_cli)
    forged = Ed25519PrivateKey.generate()
    message = f"kolaborasi-audit-head:1:{signed['seq']}:{signed['hash']}:{signed['at']}".encode()
    path = tmp_path / "forged.json"
    path.write_text(json.dumps({**signed, "signature": base64.b64encode(forged.sign(message)).decode()}))
    with pytest.raises(CommandError, match=r"the saved head signed at .* current key does not verify"):
        _verify(run_cli, "--head", str(path))
    # The same head with a different seq than was signed fails the same way.
    path.write_text(json.dumps({**signed, "seq": int(str(signed["seq"])) - 1}))
    with pytest.raises(CommandError, match="current key does not verify"):
        _verify(run_cli, "--head", str(path))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"seq": 1, "hash": "' + "a" * 64 + '"}', "missing at, signature"),
        ('{"seq": -1, "hash": "", "at": "", "signature": ""}', "seq must be a whole number"),
        ('{"seq": 1, "hash": "XYZ", "at": "", "signature": ""}', "hash must be 64 lowercase"),
        (
            '{"seq": 1, "hash": "' + "a" * 64 + '", "at": "2026-11-30", "signature": ""}',
            "at must be a UTC time",
        ),
        (
            '{"seq": 1, "hash": "' + "a" * 64 + '", "at": "2026-02-30T10:00:00Z", "signature": ""}',
            "at is not a real date",
        ),
        (
            '{"seq": 1, "hash": "' + "a" * 64 + '", "at": "2026-11-30T10:00:00Z", "signature": "AAAA"}',
            "signature must be 64 bytes",
        ),
    ],
)
def test_a_malformed_saved_head_is_refused_with_what_is_wrong(
    run_cli, tmp_path: Path, content: str, reason: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "head.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=rf"head.json: not a signed head: {reason}"):
        _verify(run_cli, "--head", str(path))
    with pytest.raises(CommandError, match="cannot be read"):
        _verify(run_cli, "--head", str(tmp_path / "missing.json"))


def test_a_missing_or_malformed_key_refuses_to_start_or_sign(
    run_cli, personas, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    need_change_events(personas, 1)
    # Named by the setting (not the default): never made up on the spot.
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "production.key"
    settings.AUDIT_SIGNING_KEY_CREATE = False
    with pytest.raises(CommandError, match=r"production.key: no such file"):
        _sign(run_cli)
    assert not (tmp_path / "production.key").exists()

    (tmp_path / "production.key").write_text("not a key\n")
    with pytest.raises(CommandError, match=r"production.key: not an unencrypted PEM private key"):
        _sign(run_cli)
    with pytest.raises(SystemCheckError, match=r"audit.E001.*production.key: not an unencrypted PEM"):
        call_command("check")

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "production.key").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(CommandError, match=r"production.key: not an Ed25519 key but an RSAPrivateKey"):
        _sign(run_cli)
    assert not AuditSignedHead.objects.exists()

    # A key made elsewhere (as `openssl genpkey -algorithm ed25519` makes it) is used as is.
    (tmp_path / "production.key").write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    call_command("check")
    _sign(run_cli)
    assert AuditSignedHead.objects.count() == 1


def test_heads_signed_with_a_replaced_key_are_reported(run_cli, personas, settings) -> None:  # type: ignore[no-untyped-def]
    need_change_events(personas, 1)
    _sign(run_cli)
    Path(settings.AUDIT_SIGNING_KEY_FILE).unlink()  # a new key is made on the next use
    with pytest.raises(CommandError, match="current key does not verify"):
        _verify(run_cli)

"""Rotating the key that signs the audit chain's head (`kolaborasi audit rotate-key`):
a new key signs from the rotation on, the old key's public half is kept as retired
(AUDIT_RETIRED_KEYS_FILE, public keys only) and published at /api/v1/audit/key, and
every head the old key signed — stored, or saved by someone — keeps verifying. A head
no known key verifies is still reported."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client

from kolaborasi.audit.actions import AuditAction
from kolaborasi.audit.models import AuditEvent, AuditSignedHead
from tests.audit_support import need_change_events

pytestmark = pytest.mark.django_db


def _cli(run_cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    out, _err = run_cli("audit", *args)
    return str(out)


def _key_file(settings) -> Path:  # type: ignore[no-untyped-def]
    return Path(settings.AUDIT_SIGNING_KEY_FILE)


def _retired_file(settings) -> Path:  # type: ignore[no-untyped-def]
    key = _key_file(settings)
    return key.with_name(f"{key.stem}-retired.pem")


def _raw_fingerprint(public_key_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()


def _verifies(public_key_b64: str, head: dict[str, object]) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    message = f"kolaborasi-audit-head:1:{head['seq']}:{head['hash']}:{head['at']}".encode()
    try:
        key.verify(base64.b64decode(str(head["signature"])), message)
    except Exception:
        return False
    return True


def test_after_a_rotation_old_heads_keep_verifying_and_the_new_key_signs(
    client: Client, run_cli, personas, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    need_change_events(personas, 3)
    old_head = json.loads(_cli(run_cli, "sign"))
    saved = tmp_path / "old-head.json"
    saved.write_bytes(client.get("/api/v1/audit/head").content)
    before = client.get("/api/v1/audit/key").json()
    assert before["retired"] == []
    assert before["fingerprint"] == _raw_fingerprint(before["public_key"])
    old_pem = _key_file(settings).read_bytes()

    out = _cli(run_cli, "rotate-key")
    assert out.count("\n") <= 1  # one line of JSON
    rotation = json.loads(out)
    assert rotation["old_fingerprint"] == before["fingerprint"]
    assert rotation["new_fingerprint"] != before["fingerprint"]

    # The new private key replaced the old one, readable by its owner only.
    key_file = _key_file(settings)
    assert key_file.read_bytes() != old_pem
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The retired file holds the old key's public half only.
    retired_text = _retired_file(settings).read_text()
    assert "PRIVATE" not in retired_text and "BEGIN PUBLIC KEY" in retired_text
    assert before["fingerprint"] in retired_text

    # The rotation is an event of the chain, and the head naming it is signed with the new key.
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == AuditAction.AUDIT_KEY_ROTATED
    assert event.before == {"fingerprint": rotation["old_fingerprint"]}
    assert event.after == {"fingerprint": rotation["new_fingerprint"]}
    assert rotation["head"]["seq"] == event.seq

    # The API: the current answer's fields, the new key, and the old one as retired.
    after = client.get("/api/v1/audit/key").json()
    assert after["algorithm"] == "Ed25519"
    assert after["fingerprint"] == rotation["new_fingerprint"] == _raw_fingerprint(after["public_key"])
    assert after["retired"] == [{"public_key": before["public_key"], "fingerprint": before["fingerprint"]}]
    assert _verifies(after["public_key"], rotation["head"])
    assert not _verifies(after["public_key"], old_head)
    assert _verifies(after["retired"][0]["public_key"], old_head)
    assert client.get("/api/v1/audit/head").json() == rotation["head"]

    # Every stored head (old key and new) verifies, and so does the one saved before.
    assert AuditSignedHead.objects.count() == 2
    assert "2 signed heads match" in _cli(run_cli, "verify")
    assert "3 signed heads match" in _cli(run_cli, "verify", "--head", str(saved))

    # A second rotation: both earlier keys are retired, in order, every head still verifies.
    need_change_events(personas, 1)
    _cli(run_cli, "sign")
    second = json.loads(_cli(run_cli, "rotate-key"))
    assert second["old_fingerprint"] == rotation["new_fingerprint"]
    listed = client.get("/api/v1/audit/key").json()
    assert [k["fingerprint"] for k in listed["retired"]] == [
        before["fingerprint"],
        rotation["new_fingerprint"],
    ]
    assert "4 signed heads match" in _cli(run_cli, "verify")
    assert "5 signed heads match" in _cli(run_cli, "verify", "--head", str(saved))


def test_a_forged_head_verifies_under_no_key(run_cli, personas, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    need_change_events(personas, 2)
    signed = json.loads(_cli(run_cli, "sign"))
    _cli(run_cli, "rotate-key")
    forged = Ed25519PrivateKey.generate()
    message = f"kolaborasi-audit-head:1:{signed['seq']}:{signed['hash']}:{signed['at']}".encode()
    path = tmp_path / "forged.json"
    path.write_text(json.dumps({**signed, "signature": base64.b64encode(forged.sign(message)).decode()}))
    with pytest.raises(CommandError, match=r"the saved head .* current key does not verify, nor any retired"):
        _cli(run_cli, "verify", "--head", str(path))
    # The real head, altered after signing, fails the same way under both keys.
    path.write_text(json.dumps({**signed, "seq": int(signed["seq"]) - 1}))
    with pytest.raises(CommandError, match="nor any retired key"):
        _cli(run_cli, "verify", "--head", str(path))
    path.write_text(json.dumps(signed))
    assert "audit chain OK" in _cli(run_cli, "verify", "--head", str(path))


def test_a_stored_head_of_a_key_never_published_is_reported(run_cli, personas, settings) -> None:  # type: ignore[no-untyped-def]
    """A key replaced by hand instead of rotated: its heads verify under no known key."""
    need_change_events(personas, 1)
    _cli(run_cli, "sign")
    _cli(run_cli, "rotate-key")
    need_change_events(personas, 1)
    _cli(run_cli, "sign")
    _key_file(settings).unlink()  # a new key is made on the next use; the last one is lost
    with pytest.raises(CommandError, match=r"#\d+: the head signed at .* nor any retired key"):
        _cli(run_cli, "verify")


def test_a_malformed_retired_keys_file_is_refused_at_start_and_at_verify(
    client: Client, run_cli, personas, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    need_change_events(personas, 1)
    _cli(run_cli, "sign")
    retired = tmp_path / "retired.pem"
    settings.AUDIT_RETIRED_KEYS_FILE = retired

    retired.write_text("not a key\n")
    with pytest.raises(CommandError, match=r"retired.pem, line 1: expected a PEM public key"):
        _cli(run_cli, "verify")
    with pytest.raises(SystemCheckError, match=r"audit.E002.*retired.pem, line 1: expected a PEM"):
        call_command("check")
    with pytest.raises(CommandError, match=r"signing key not rotated.*retired.pem, line 1"):
        _cli(run_cli, "rotate-key")

    pem = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    retired.write_text("# retired by hand\n" + pem.replace("-----END PUBLIC KEY-----\n", ""))
    with pytest.raises(CommandError, match=r"retired.pem, line 2: the public key is not closed"):
        _cli(run_cli, "verify")

    private = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    retired.write_text(pem + private.decode())
    with pytest.raises(CommandError, match=r"retired.pem, line 4: a private key"):
        _cli(run_cli, "verify")

    broken = pem.splitlines()
    broken[1] = "AAAA" + broken[1][4:]
    retired.write_text("\n".join(broken) + "\n")
    with pytest.raises(CommandError, match=r"retired.pem, line 1: not a PEM public key"):
        _cli(run_cli, "verify")
    assert AuditSignedHead.objects.count() == 1  # the failed rotation changed nothing

    # A well-formed file with a comment and a key that signed nothing here: accepted and listed.
    retired.write_text("# an old key\n" + pem)
    call_command("check")
    assert "1 signed heads match" in _cli(run_cli, "verify")
    answer = client.get("/api/v1/audit/key").json()
    assert [k["fingerprint"] for k in answer["retired"]] == [
        hashlib.sha256(
            serialization.load_pem_public_key(pem.encode()).public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ).hexdigest()
    ]


def test_a_key_put_in_place_during_the_rotation_is_never_overwritten(
    run_cli, personas, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from kolaborasi.audit import signing

    need_change_events(personas, 1)
    _cli(run_cli, "sign")
    key_file = _key_file(settings)
    theirs = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    real_write = signing._write_new

    def write_then_race(path: Path, data: bytes, mode: int, owner: object = None) -> Path:
        partial = real_write(path, data, mode, owner)  # type: ignore[arg-type]
        if path == key_file:
            key_file.write_bytes(theirs)  # someone else's key appears meanwhile
        return partial

    monkeypatch.setattr(signing, "_write_new", write_then_race)
    with pytest.raises(CommandError, match="changed while rotating; not replaced"):
        _cli(run_cli, "rotate-key")
    assert key_file.read_bytes() == theirs
    assert not [p for p in key_file.parent.iterdir() if p.name.endswith(".new")]
    assert not AuditEvent.objects.filter(action=AuditAction.AUDIT_KEY_ROTATED).exists()


def test_a_rotation_interrupted_after_retiring_the_key_is_finished_by_rotating_again(
    client: Client, run_cli, personas, settings
) -> None:  # type: ignore[no-untyped-def]
    """The old key already listed as retired (the crash came before the new key was
    written): it still signs, is not listed as retired while current, and is listed once."""
    need_change_events(personas, 1)
    _cli(run_cli, "sign")
    current = client.get("/api/v1/audit/key").json()
    pem = (
        serialization.load_pem_private_key(_key_file(settings).read_bytes(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    _retired_file(settings).write_bytes(pem)
    assert client.get("/api/v1/audit/key").json()["retired"] == []
    assert "1 signed heads match" in _cli(run_cli, "verify")

    rotation = json.loads(_cli(run_cli, "rotate-key"))
    assert rotation["old_fingerprint"] == current["fingerprint"]
    assert _retired_file(settings).read_text().count("BEGIN PUBLIC KEY") == 1
    retired = client.get("/api/v1/audit/key").json()["retired"]
    assert [k["fingerprint"] for k in retired] == [current["fingerprint"]]
    assert "2 signed heads match" in _cli(run_cli, "verify")

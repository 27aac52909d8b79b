"""GET /api/v1/exports/audit.jsonl and tools/verify_audit.py: the chain, checked without
our server by a file that needs only Python's standard library.

Tamper drills on a real export: one byte changed anywhere in a line, a line removed, two
swapped, the tail cut (caught with a published head). The verifier runs as
``python3 -I`` (isolated: no site-packages, no project on the path), which proves it
needs the standard library only."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kolaborasi.audit.models import AuditEvent, AuditHead
from kolaborasi.audit.personal import PREFIX
from kolaborasi.audit.services import GENESIS, audit_verify
from tests.audit_world import EMAIL, FIRST, FULL, LAST, build

pytestmark = pytest.mark.django_db

TOOL = Path(__file__).resolve().parent.parent / "tools" / "verify_audit.py"
URL = "/api/v1/exports/audit.jsonl"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("verify_audit", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export(client: Client, after: int | None = None) -> bytes:
    response = client.get(URL, {} if after is None else {"after": after})
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"].startswith("application/jsonl")
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def run_verifier(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The verifier as anyone would run it: plain python3, isolated mode, outside the
    project (cwd elsewhere, no environment it could borrow modules from)."""
    return subprocess.run(
        ["/usr/bin/python3", "-I", str(TOOL), str(path), *args],
        capture_output=True,
        text=True,
        cwd=path.parent,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Any:
    return build(monkeypatch, legacy=True)


def test_export_carries_what_each_hash_covers_and_no_personal_value(client: Client, world: Any) -> None:
    body = export(client)
    lines = [json.loads(line) for line in body.decode().splitlines()]
    head = AuditHead.objects.get(pk=1)
    assert [line["seq"] for line in lines] == list(range(1, head.seq + 1))
    assert lines[-1]["hash"] == head.last_hash
    text = body.decode()
    for value in (EMAIL, FIRST, LAST, FULL, "Sari Dewi"):
        assert value not in text, value
    versions = [line["digest_version"] for line in lines]
    assert versions == sorted(versions) and {1, 2} <= set(versions)
    # The legacy event acted by the person: its label left out, its digest carried.
    legacy = [line for line in lines if line["digest_version"] == 1]
    assert any(line["omitted"] == ["actor_label"] and "actor_label" not in line["content"] for line in legacy)
    assert any(line["omitted"] == [] for line in legacy)
    # Version 2: the commitments themselves, in the content the digest covers.
    created = next(line for line in lines if line["content"]["action"] == "user.created")
    assert created["content"]["after"]["email"].startswith(PREFIX)
    assert created["content"]["after"]["first_name"].startswith(PREFIX)
    assert created["content"]["after"]["is_staff"] is False
    acted = next(line for line in lines if line["content"]["action"] == "organisation.created")
    assert acted["content"]["actor_label"].startswith(PREFIX)
    assert acted["content"]["after"]["name"].startswith(PREFIX)  # an individual is a person
    assert acted["content"]["after"]["kind"] == "donor"


def test_untouched_export_verifies_standalone(client: Client, world: Any, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(export(client))
    head = AuditHead.objects.get(pk=1)
    done = run_verifier(path, "--head", head.last_hash)
    assert done.returncode == 0, done.stderr
    assert f"seq 1 to {head.seq}" in done.stdout
    assert audit_verify().ok


def test_export_after_seq_is_anchored_by_its_first_line(client: Client, world: Any, tmp_path: Path) -> None:
    after = 3
    body = export(client, after=after)
    first = json.loads(body.splitlines()[0])
    anchor = AuditEvent.objects.get(seq=after).hash
    assert first["seq"] == after + 1 and first["prev_hash"] == anchor
    path = tmp_path / "tail.jsonl"
    path.write_bytes(body)
    assert run_verifier(path, "--anchor", anchor).returncode == 0
    wrong = run_verifier(path, "--anchor", GENESIS)
    assert wrong.returncode == 1 and "line 1:" in wrong.stderr
    assert export(client, after=10**6) == b""


@pytest.mark.parametrize("after", ["-1", "x", str(2**63)])
def test_bad_after_is_refused(client: Client, after: str) -> None:
    response = client.get(URL, {"after": after})
    assert response.status_code == 422
    assert "after" in response.json()["detail"]


def test_every_changed_byte_is_named_by_its_line(client: Client, world: Any, tmp_path: Path) -> None:
    """Each byte of the first lines, of a version-2 line in the middle and of the last
    line, changed in turn: the verifier names exactly that line."""
    tool = _tool()
    body = export(client)
    lines = body.splitlines(keepends=True)
    v2 = [i for i, raw in enumerate(lines) if json.loads(raw)["digest_version"] == 2]
    no_personal_v1 = [
        i
        for i, raw in enumerate(lines)
        if json.loads(raw).get("omitted") == [] and json.loads(raw)["seq"] > 0
    ]
    path = tmp_path / "drill.jsonl"
    for index in sorted({0, v2[0], v2[len(v2) // 2], len(lines) - 1, *no_personal_v1}):
        raw = lines[index]
        if json.loads(raw)["digest_version"] == 1 and json.loads(raw)["omitted"]:
            continue  # a legacy line with personal data: its content is not checkable
        for at in range(len(raw)):
            changed = bytearray(raw)
            changed[at] ^= 0x01 if raw[at] != ord("\\") else 0x02
            path.write_bytes(b"".join([*lines[:index], bytes(changed), *lines[index + 1 :]]))
            holds, message = tool.verify(str(path))
            assert not holds, (index, at, bytes(changed))
            assert message.startswith(f"line {index + 1}:"), (at, message)
    # And through the command line, as anyone would run it.
    changed = bytearray(lines[v2[0]])
    changed[changed.index(b'"action":"') + 10] ^= 0x01
    path.write_bytes(b"".join([*lines[: v2[0]], bytes(changed), *lines[v2[0] + 1 :]]))
    done = run_verifier(path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"line {v2[0] + 1}:"), done.stderr


def test_removed_swapped_and_cut_lines_are_named(client: Client, world: Any, tmp_path: Path) -> None:
    lines = export(client).splitlines(keepends=True)
    head = AuditHead.objects.get(pk=1).last_hash
    assert len(lines) >= 8
    path = tmp_path / "drill.jsonl"

    path.write_bytes(b"".join(lines[:4] + lines[5:]))  # line 5 removed
    done = run_verifier(path)
    assert done.returncode == 1 and done.stderr.startswith("line 5:") and "#5 is missing" in done.stderr

    path.write_bytes(b"".join([*lines[:5], lines[6], lines[5], *lines[7:]]))  # lines 6 and 7 swapped
    done = run_verifier(path)
    assert done.returncode == 1 and done.stderr.startswith("line 6:")

    path.write_bytes(b"".join(lines[:-2]))  # the tail cut: holds link by link ...
    assert run_verifier(path).returncode == 0
    done = run_verifier(path, "--head", head)  # ... but not with the published head
    assert done.returncode == 1
    assert done.stderr.startswith(f"line {len(lines) - 1}:") and "cut" in done.stderr

    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:-9])  # cut inside the last line
    done = run_verifier(path)
    assert done.returncode == 1 and done.stderr.startswith(f"line {len(lines)}:")


def test_a_legacy_line_cannot_be_slipped_in_after_commitments(
    client: Client, world: Any, tmp_path: Path
) -> None:
    """Claiming version 1 for a later line (to have its content taken on trust) fails."""
    tool = _tool()
    lines = export(client).splitlines(keepends=True)
    last = json.loads(lines[-1])
    assert last["digest_version"] == 2
    digest = tool.sha256(tool.canonical(last["content"]))
    forged = {**last, "digest_version": 1, "digest": digest, "omitted": ["actor_label"]}
    forged["content"] = {
        k: v for k, v in last["content"].items() if k not in ("digest_version", "actor_label")
    }
    forged["content"]["action"] = "need.changed"
    path = tmp_path / "forged.jsonl"
    path.write_bytes(b"".join(lines[:-1]) + (tool.canonical(forged) + "\n").encode())
    holds, message = tool.verify(str(path))
    assert not holds and message.startswith(f"line {len(lines)}:") and "versions only go up" in message


def test_export_is_public_and_reads_in_pages(
    client: Client, world: Any, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    from kolaborasi.audit import exports

    monkeypatch.setattr(exports, "PAGE", 2)
    count = AuditEvent.objects.count()
    response = client.get(URL)
    assert response.status_code == 200
    with django_assert_max_num_queries(count // 2 + 4):
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    response.close()
    assert len(body.splitlines()) == count

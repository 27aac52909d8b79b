"""`kolaborasi backup PATH` and `kolaborasi restore PATH` as an operator runs them: real
processes on real databases (a SQLite file; a PostgreSQL database of its own), while
another process keeps writing audited rows during the backup.

Then: the restored database has exactly the manifest's rows and audit chain head,
`audit verify` and `stats check` pass (restore runs them), the evidence files are back;
a second restore into the now non-empty database is refused and changes nothing; a
backup directory that is not empty is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KOL = Path(sys.executable).with_name("kolaborasi")

# Creates organisations through the service (each one audited) until it is stopped.
WRITER = """
import itertools, sys, django
django.setup()
from kolaborasi.accounts.services import organisation_create
for i in itertools.count():
    organisation_create(actor=None, name=f"Penulis {i}", kind="donor", subtype="company")
    if i == 0:
        print("writing", flush=True)
"""


def _env(database_url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    return {
        **env,
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
        "PYTHONPATH": str(ROOT),
    }


def _kol(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KOL), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@contextmanager
def _writing(env: dict[str, str]) -> Iterator[None]:
    """Another process writing audited rows for as long as the block runs."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "kolaborasi.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing", proc.stderr.read() if proc.stderr else ""
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _drill(tmp_path: Path, source_url: str, target_url: str) -> None:
    """From a migrated source database into an empty target."""
    source = _env(source_url, tmp_path / "media-source")
    target = _env(target_url, tmp_path / "media-target")
    created = _kol(
        source, "org", "create", "--name", "Donatur Cadangan", "--kind", "donor", "--subtype", "company"
    )
    assert created.returncode == 0, created.stderr
    photo = tmp_path / "media-source" / "evidence" / "2026" / "11" / "serah-terima.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff" + b"foto" * 100)

    backup = tmp_path / "backup"
    with _writing(source):
        time.sleep(0.5)
        result = _kol(source, "backup", str(backup))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["rows"]["accounts_organisation"] >= 2  # the writer's rows are in it
    assert manifest["audit_head"]["seq"] >= manifest["rows"]["accounts_organisation"]
    assert manifest["media"] == {"evidence/2026/11/serah-terima.jpg": photo.stat().st_size}
    assert oct((backup / "manifest.json").stat().st_mode & 0o777) == "0o600"

    # A backup never overwrites another.
    again = _kol(source, "backup", str(backup))
    assert again.returncode != 0 and "bukan direktori kosong" in again.stderr

    restored = _kol(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "sesuai manifest" in restored.stdout
    assert "rantai audit utuh" in restored.stdout  # audit verify passed
    assert "total kelurahan sesuai" in restored.stdout  # stats check passed
    assert (tmp_path / "media-target" / "evidence" / "2026" / "11" / "serah-terima.jpg").read_bytes() == (
        photo.read_bytes()
    )
    verify = _kol(target, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert f"{manifest['audit_head']['seq']} peristiwa" in verify.stdout

    # Into a database that is no longer empty: refused, nothing changed.
    before = _kol(target, "dumpdata", "accounts.organisation", "audit")
    refused = _kol(_env(target_url, tmp_path / "media-other"), "restore", str(backup))
    assert refused.returncode != 0
    assert "basis data tidak kosong" in refused.stderr
    assert _kol(target, "dumpdata", "accounts.organisation", "audit").stdout == before.stdout
    assert not (tmp_path / "media-other").exists()


def test_backup_and_restore_on_sqlite(tmp_path: Path, migrated_sqlite: Callable[..., str]) -> None:
    _drill(tmp_path, migrated_sqlite("source.sqlite3"), f"sqlite:///{tmp_path / 'target.sqlite3'}")


def test_backup_and_restore_on_postgresql(tmp_path: Path, new_postgres: Callable[..., str]) -> None:
    _drill(tmp_path, new_postgres(), new_postgres(migrated=False))

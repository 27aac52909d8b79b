"""Backup and restore of a whole site: the database, the uploaded evidence and a
manifest that says what the snapshot holds (docs/operations.md, "Backup and restore").

A backup is a directory:

- ``database.dump`` (PostgreSQL, ``pg_dump`` custom format) or ``database.sqlite3``
  (SQLite, the online backup API: a consistent copy while the site keeps writing);
- ``media/``: the uploaded files (evidence photos), copied after the database, so every
  photo the database names is there (a photo uploaded meanwhile is extra, never missing);
- ``manifest.json``: the rows of every table and the audit chain's head, taken from the
  same snapshot as the dump, and every media file with its size.

PostgreSQL: the counts are read in a REPEATABLE READ transaction whose snapshot is
exported and handed to ``pg_dump --snapshot``, so the manifest and the dump see the very
same committed writes however busy the site is.

Restore goes into an empty database only (no table at all): anything else is refused
before a single change. After loading, the rows and the chain head are compared with the
manifest; the caller then runs ``audit verify`` and ``stats check``."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed (restore) or the
    partial backup directory is not to be used (backup)."""


def _engine() -> str:
    if connection.vendor == "postgresql":
        return "postgresql"
    if connection.vendor == "sqlite":
        return "sqlite"
    raise BackupError(_("basis data %(vendor)s tidak didukung") % {"vendor": connection.vendor})


def _pg_env() -> dict[str, str]:
    d = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(d["NAME"])}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if d.get(key):
            env[name] = str(d[key])
    return env


def _counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected name)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _chain_head(cursor: Any) -> dict[str, object] | None:
    table = apps.get_model("audit", "AuditHead")._meta.db_table
    cursor.execute(f"SELECT seq, last_hash FROM {connection.ops.quote_name(table)} WHERE id = 1")  # noqa: S608
    row = cursor.fetchone()
    return {"seq": int(row[0]), "hash": str(row[1])} if row else None


def _media_files(root: Path) -> dict[str, int]:
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def backup(path: Path) -> dict[str, Any]:
    """Write a backup into ``path`` (a new or empty directory); return the manifest."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(_("%(path)s sudah ada dan bukan direktori kosong") % {"path": path})
    engine = _engine()
    path.mkdir(parents=True, exist_ok=True)
    if engine == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError(_("pg_dump belum terpasang (Debian: apt-get install postgresql-client)"))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _counts(cursor, connection.introspection.table_names(cursor))
            head = _chain_head(cursor)
            result = subprocess.run(  # noqa: S603 (our arguments, no shell)
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={path / PG_DUMP}",
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(_("pg_dump gagal: %(detail)s") % {"detail": result.stderr.strip()})
    else:
        copy = path / SQLITE_COPY
        connection.ensure_connection()
        source = connection.connection
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
        # The counts come from the copy itself: exactly what the backup holds.
        with sqlite3.connect(copy) as copied:
            reader = copied.cursor()
            reader.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            tables = [row[0] for row in reader.fetchall()]
            counts = _counts(reader, tables)
            head = _chain_head(reader)
        copied.close()
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        shutil.copytree(media_root, path / MEDIA, dirs_exist_ok=True)
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "rows": counts,
        "audit_head": head,
        "media": _media_files(path / MEDIA),
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    # A backup holds everything the site keeps private: readable by its owner only.
    for item in [path, *path.rglob("*")]:
        item.chmod(0o700 if item.is_dir() else 0o600)
    return manifest


@dataclass
class Restored:
    rows: int
    media_files: int


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(
            _("%(file)s tidak ada: ini bukan cadangan kolaborasi") % {"file": path / MANIFEST}
        ) from None
    except ValueError as exc:
        raise BackupError(
            _("%(file)s bukan JSON yang sah: %(detail)s") % {"file": path / MANIFEST, "detail": exc}
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("%(file)s: format cadangan tidak dikenal") % {"file": path / MANIFEST})
    return manifest


def _existing_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def restore(path: Path) -> Restored:
    """Load the backup in ``path`` into this (empty) database and MEDIA_ROOT, then
    compare rows and chain head with the manifest."""
    manifest = read_manifest(path)
    engine = _engine()
    if manifest["engine"] != engine:
        raise BackupError(
            _("cadangan ini dari basis data %(backup)s; situs ini memakai %(site)s")
            % {"backup": manifest["engine"], "site": engine}
        )
    dump = path / (PG_DUMP if engine == "postgresql" else SQLITE_COPY)
    if not dump.is_file():
        raise BackupError(_("%(file)s tidak ada") % {"file": dump})
    for name, size in manifest["media"].items():
        file = path / MEDIA / name
        if not file.is_file() or file.stat().st_size != size:
            raise BackupError(_("%(file)s tidak ada atau ukurannya berbeda dari manifest") % {"file": file})
    # Refuse before changing anything: the database and MEDIA_ROOT must be empty.
    tables = _existing_tables()
    if tables:
        raise BackupError(
            _(
                "basis data tidak kosong (%(count)s tabel, mis. %(table)s): pulihkan hanya ke basis "
                "data baru yang kosong"
            )
            % {"count": len(tables), "table": sorted(tables)[0]}
        )
    media_root = Path(settings.MEDIA_ROOT)
    clashes = [name for name in manifest["media"] if (media_root / name).exists()]
    if clashes:
        raise BackupError(
            _("MEDIA_ROOT sudah berisi %(file)s: pulihkan ke MEDIA_ROOT yang kosong") % {"file": clashes[0]}
        )
    if engine == "postgresql":
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise BackupError(_("pg_restore belum terpasang (Debian: apt-get install postgresql-client)"))
        connection.close()
        result = subprocess.run(  # noqa: S603 (our arguments, no shell)
            [
                pg_restore,
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={_pg_env()['PGDATABASE']}",
                str(dump),
            ],
            env=_pg_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(
                _("pg_restore gagal, tidak ada yang dimuat: %(detail)s") % {"detail": result.stderr.strip()}
            )
    else:
        connection.ensure_connection()
        with sqlite3.connect(dump) as source:
            source.backup(connection.connection)
        source.close()
    if (path / MEDIA).is_dir():
        shutil.copytree(path / MEDIA, media_root, dirs_exist_ok=True)
    with connection.cursor() as cursor:
        counts = _counts(cursor, connection.introspection.table_names(cursor))
        head = _chain_head(cursor)
    if counts != manifest["rows"]:
        differ = sorted(
            t for t in set(counts) | set(manifest["rows"]) if counts.get(t) != manifest["rows"].get(t)
        )
        raise BackupError(
            _("baris yang dipulihkan berbeda dari manifest di %(tables)s") % {"tables": ", ".join(differ)}
        )
    if head != manifest["audit_head"]:
        raise BackupError(
            _("kepala rantai audit yang dipulihkan %(head)s berbeda dari manifest (%(expected)s)")
            % {"head": head, "expected": manifest["audit_head"]}
        )
    return Restored(rows=sum(counts.values()), media_files=len(manifest["media"]))

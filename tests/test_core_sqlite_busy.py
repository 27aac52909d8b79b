"""SQLite busy: another process holds the database's write lock longer than
``SQLITE_BUSY_TIMEOUT``; a request that must write (here the area picker, whose
per-address count is kept in the database) is answered 503 with Retry-After on a page
in Indonesian, or in English for a visitor who chose English, never 500; once the lock
is released the same request is served. A real gunicorn on a SQLite file of its own."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import GUNICORN, ROOT, free_port

pytestmark = pytest.mark.slow

PICKER = "/wilayah/pilih/?_name=region"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path
) -> Iterator[tuple[int, Path]]:
    tmp = tmp_path_factory.mktemp("sqlite-busy")
    database = tmp / "site.sqlite3"
    shutil.copyfile(migrated_sqlite_template, database)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL")
    }
    env.update(
        # The refusal is raised inside a view, where DEBUG changes nothing; DEBUG keeps
        # the development static files (no collectstatic for a test).
        DEBUG="1",
        SQLITE_PATH=str(database),
        KOLABORASI_VAR_DIR=str(tmp / "var"),
        SQLITE_BUSY_TIMEOUT="1",
        DB_RETRY_AFTER="4",
        REQUEST_QUEUE_DEADLINE_MS="0",
        PYTHONPATH=str(ROOT),
    )
    port = free_port()
    log = tmp / "gunicorn.log"
    cmd = [str(GUNICORN), "-c", "python:kolaborasi.gunicorn_conf", "kolaborasi.wsgi"]
    cmd += ["-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "2", "--error-logfile", str(log)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()[-3000:] if log.exists() else "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        yield port, database
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _get(port: int, path: str, cookie: str = "") -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def test_a_busy_sqlite_database_answers_503_then_serves(server: tuple[int, Path]) -> None:
    port, database = server
    assert _get(port, PICKER)[0] == 200
    holder = sqlite3.connect(database, timeout=5, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held
        status, headers, page = _get(port, PICKER)
        assert status == 503, page[:500]
        assert headers["retry-after"] == "4"
        assert 'lang="id"' in page and "Basis data sedang sibuk" in page
        status, headers, page = _get(port, PICKER, "django_language=en")
        assert status == 503 and headers["retry-after"] == "4"
        assert 'lang="en"' in page and "The database is busy" in page
        assert "Basis data" not in page
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _get(port, PICKER)[0] == 200

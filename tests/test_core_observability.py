"""Request ids, JSON log lines and /readyz.

- ``X-Request-ID``: a well-formed incoming one is kept and returned, anything else is
  replaced by one the server makes; every answer has one.
- Log lines are JSON objects carrying the request id (the formatter the settings use
  with DEBUG off, fed by a real request through the middleware).
- ``/readyz``: 503 naming what is not ready (no worker heartbeat, a stale one, a
  migration not applied), 200 when all is; a real ``kolaborasi worker`` writes the
  heartbeat."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from kolaborasi.core import health
from kolaborasi.core.models import WorkerHeartbeat
from kolaborasi.core.observability import JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_an_incoming_request_id_is_kept_and_returned(client: Client) -> None:
    response = client.get("/healthz", headers={"x-request-id": "lb-7f3a.01:2"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-7f3a.01:2"


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["", "bad id with spaces", "x" * 129, "<script>"])
def test_a_missing_or_malformed_request_id_is_replaced(client: Client, given: str) -> None:
    headers = {"x-request-id": given} if given else {}
    response = client.get("/", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


@pytest.mark.django_db
def test_a_refusal_carries_the_request_id_too(client: Client) -> None:
    response = client.get("/tidak-ada/", headers={"x-request-id": "abc-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "abc-404"


class _Lines(logging.Handler):
    """The JSON lines the settings' formatter writes, kept instead of printed."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.django_db
def test_log_lines_are_json_with_the_request_id(client: Client) -> None:
    handler = _Lines()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        client.get("/tidak-ada/", headers={"x-request-id": "jejak-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert handler.lines, "the 404 was not logged"
    entry = json.loads(handler.lines[-1])
    assert entry["request_id"] == "jejak-1"
    assert entry["level"] == "WARNING" and entry["logger"] == "django.request"
    assert entry["status"] == 404 and "/tidak-ada/" in entry["message"]
    assert entry["time"].endswith("+00:00")


@pytest.mark.django_db
def test_readyz_wants_a_fresh_worker_heartbeat(client: Client) -> None:
    WorkerHeartbeat.objects.all().delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "worker": "none"}
    assert "Retry-After" in response.headers

    health.heartbeat()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }

    WorkerHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(minutes=3))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("stale")
    # Liveness does not care about the worker.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_names_a_migration_not_applied(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    health.heartbeat()
    monkeypatch.setattr(health, "_migrated", False)
    MigrationRecorder(connection).record_unapplied("core", "0004_worker_heartbeat")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending"


@pytest.mark.slow
def test_the_worker_writes_its_heartbeat(tmp_path: Path, migrated_sqlite: Callable[..., str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    migrated_sqlite("site.sqlite3")
    database = tmp_path / "site.sqlite3"
    env.update(DEBUG="1", SQLITE_PATH=str(database), KOLABORASI_VAR_DIR=str(tmp_path / "var"))
    env["WORKER_HEARTBEAT_SECONDS"] = "1"
    kol = str(Path(sys.executable).with_name("kolaborasi"))
    worker = subprocess.Popen(
        [kol, "worker", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        beats: list[str] = []
        deadline = time.monotonic() + 60
        while len(set(beats)) < 2 and time.monotonic() < deadline:
            with sqlite3.connect(database) as db:
                row = db.execute("SELECT beat_at FROM core_workerheartbeat").fetchone()
            db.close()
            if row:
                beats.append(row[0])
            time.sleep(0.5)
        assert len(set(beats)) >= 2, f"the worker did not beat twice: {beats}"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

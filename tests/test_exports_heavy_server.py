"""Six parallel downloads of the national needs export against a real multi-worker
gunicorn on PostgreSQL: the export is computed once, every download gets the same file
(those that find every work slot taken are told 503 + Retry-After and come back), and
/healthz keeps answering while they run.

"Not starved" is checked two ways, neither a timing threshold on our code: /healthz
answered 200 at least once before the last download finished, and every /healthz
request completed within its client timeout. That timeout (HEALTHZ_TIMEOUT) is what a
load balancer's health check allows; a server whose workers all sit in export
computations would leave it unanswered until they end."""

from __future__ import annotations

import io
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import load_workbook

from tests.server import gunicorn

HEALTHZ_TIMEOUT = 5.0
DOWNLOADS = 6

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real server on PostgreSQL"),
    # The server reads the demo committed by the session's set-up; this test writes nothing.
    pytest.mark.django_db,
    pytest.mark.slow,
]


def test_six_parallel_exports_compute_once_while_healthz_answers(tmp_path: Path) -> None:
    env = {
        "HEAVY_WORK_SLOTS": "2",
        "HEAVY_RETRY_AFTER": "1",
        # One cache period for the whole test: only a write may move the version here.
        "HEAVY_CACHE_SECONDS": str(10**9),
    }
    bodies: list[bytes] = [b""] * DOWNLOADS
    statuses: list[list[int]] = [[] for _ in range(DOWNLOADS)]
    finished: list[float] = [0.0] * DOWNLOADS
    errors: list[BaseException] = []
    health: list[tuple[int, float]] = []

    with gunicorn(tmp_path, workers=4, env=env) as server:
        url = server.base + "/api/v1/exports/needs.xlsx"

        def download(i: int) -> None:
            try:
                while True:
                    try:
                        with urllib.request.urlopen(url, timeout=300) as resp:  # noqa: S310
                            bodies[i] = resp.read()
                            statuses[i].append(resp.status)
                            break
                    except urllib.error.HTTPError as exc:
                        statuses[i].append(exc.code)
                        if exc.code != 503:
                            raise
                        time.sleep(int(exc.headers["Retry-After"]))
                finished[i] = time.monotonic()
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=download, args=(i,)) for i in range(DOWNLOADS)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            with urllib.request.urlopen(server.base + "/healthz", timeout=HEALTHZ_TIMEOUT) as resp:  # noqa: S310
                health.append((resp.status, time.monotonic()))
            time.sleep(0.05)
        for t in threads:
            t.join()
        log = server.log_text()

    assert not errors, errors
    assert all(s and s[-1] == 200 and set(s) <= {200, 503} for s in statuses), statuses
    assert health and all(status == 200 for status, _ in health)
    assert any(at < max(finished) for _, at in health), "no /healthz answer while downloads ran"
    assert log.count("heavy: computed export needs xlsx") == 1, log[-3000:]
    assert all(body == bodies[0] for body in bodies)
    sheet = load_workbook(io.BytesIO(bodies[0]), read_only=True).active
    rows = sheet.iter_rows(values_only=True)  # type: ignore[union-attr]
    assert next(rows)[0] == "need_id" and next(rows)[0] == "#meta+id"

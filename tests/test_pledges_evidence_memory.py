"""Ten decompression bombs and ten photos just under the pixel limit, uploaded at once to
a real multi-worker gunicorn on PostgreSQL: the server's resident memory (master and
workers, read from /proc while the uploads run) grows by less than the memory budget
of photo processing (IMAGE_WORK_SLOTS × EVIDENCE_MAX_PIXELS × 10 bytes).

The server runs with one image slot, so the budget (200 MB) is below what the four
workers would take decoding four such photos at once (~80 MB each): the test fails if
decoding is not bounded across processes, if bombs are decoded, or if workers keep the
freed pixel memory. It runs on a database of its own (the registry of DKI Jakarta and
one RW, through the CLI), dropped afterwards, so nothing it writes reaches other tests."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.bombs import zero_png
from tests.server import ROOT, gunicorn

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real server on PostgreSQL"),
    pytest.mark.slow,
]

KOLABORASI = Path(sys.executable).parent / "kolaborasi"
MAX_PIXELS = 20_000_000
IMAGE_SLOTS = 1
BUDGET = IMAGE_SLOTS * MAX_PIXELS * 10  # kolaborasi.pledges.evidence.memory_budget()


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(KOLABORASI), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def site(tmp_path: Path, new_postgres: Callable[..., str]) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": new_postgres()}
    _cli(env, "regions", "load", "--province", "31")
    rw = tmp_path / "rw.csv"
    rw.write_text("village_code,rw_number,households,as_of,source\n31.74.05.1003,1,100,2026-01-01,Uji\n")
    _cli(env, "import", "rw", str(rw))
    org = json.loads(
        _cli(env, "org", "create", "--name", "PT Uji Foto", "--kind", "donor", "--subtype", "company")
    )
    return {"DATABASE_URL": env["DATABASE_URL"], "token": org["token"]}


def _post(base: str, path: str, token: str, *, body: bytes, content_type: str) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1)
        base + path,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _multipart(image: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    today = dt.date.today().isoformat()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="quantity"\r\n\r\n2\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="delivered_on"\r\n\r\n{today}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="b.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + image
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_twenty_hostile_uploads_stay_within_the_memory_budget(site: dict[str, str], tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": site["DATABASE_URL"],
        "EVIDENCE_MAX_PIXELS": str(MAX_PIXELS),
        "IMAGE_WORK_SLOTS": str(IMAGE_SLOTS),
        "IMAGE_WORK_WAIT_SECONDS": "600",
    }
    bomb = zero_png(6300, 6300)
    near = zero_png(4400, 4400)  # 19.4 MP: under the limit, so really decoded
    token = site["token"]
    with gunicorn(tmp_path, workers=4, env=env) as server:
        with urllib.request.urlopen(server.base + "/api/v1/targets?region=31.74.05.1003") as resp:  # noqa: S310
            target = json.loads(resp.read())["items"][0]["id"]
        planned = (dt.date.today() + dt.timedelta(days=2)).isoformat()
        status, pledge = _post(
            server.base,
            "/api/v1/pledges",
            token,
            body=json.dumps(
                {"target": target, "aid_type": "sembako", "quantity": 1, "planned_delivery": planned}
            ).encode(),
            content_type="application/json",
        )
        assert status == 201, pledge
        path = f"/api/v1/pledges/{pledge['id']}/deliveries"
        # Warm every worker up (Pillow's plugins load on first use) before the baseline.
        small, small_type = _multipart(zero_png(64, 64))
        for _ in range(12):
            assert _post(server.base, path, token, body=small, content_type=small_type)[0] == 409

        baseline = server.rss_bytes()
        peak = [baseline]
        running = threading.Event()
        running.set()

        def sample() -> None:
            while running.is_set():
                peak[0] = max(peak[0], server.rss_bytes())
                time.sleep(0.02)

        answers: list[tuple[str, int, str]] = []

        def upload(kind: str, image: bytes) -> None:
            body, ctype = _multipart(image)
            code, data = _post(server.base, path, token, body=body, content_type=ctype)
            answers.append((kind, code, str(data.get("detail", ""))))

        sampler = threading.Thread(target=sample)
        sampler.start()
        threads = [threading.Thread(target=upload, args=("bomb", bomb)) for _ in range(10)]
        threads += [threading.Thread(target=upload, args=("near", near)) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        running.clear()
        sampler.join()

    growth = peak[0] - baseline
    assert len(answers) == 20
    for kind, code, detail in answers:
        if kind == "bomb":
            assert code == 422, (kind, code, detail)
            assert "6300×6300 piksel" in detail
        else:
            # Decoded in full, then refused for the quantity (2 > 1 undelivered, a
            # conflict with the pledge's state): no row.
            assert code == 409, (kind, code, detail)
            assert "melebihi" in detail, detail
    assert growth < BUDGET, f"RSS grew by {growth / 1e6:.0f} MB, budget {BUDGET / 1e6:.0f} MB"

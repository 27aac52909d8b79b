"""A crash loses no acknowledged write. Our gunicorn (kolaborasi/gunicorn_conf.py, DEBUG
off) serves concurrent pledges on a database of its own (a SQLite file; a PostgreSQL
database); mid-load the master and every worker are killed with SIGKILL. The server is
started again: every pledge answered 201 is in the database with its units held, no
need is over-committed, and `kolaborasi audit verify` and `kolaborasi stats check` pass.

Bounded: 8 clients for about 3 s before the kill, loopback only."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server import GUNICORN, ROOT, free_port

pytestmark = pytest.mark.slow

KOL = str(Path(sys.executable).with_name("kolaborasi"))
CLIENTS = 8
LOAD_SECONDS = 3.0

# The world, made through the models in the site's own database: one need, four donors.
SETUP = """
import json, django
django.setup()
from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from tests.pledges_support import small_world
need = small_world(100000)
tokens = []
for i in range(4):
    org = Organisation.objects.create(
        name=f"Donatur Tangguh {i}", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
    )
    tokens.append(token_create(actor=None, organisation=org))
print(json.dumps({"target": need.target_id, "need": need.pk, "tokens": tokens}))
"""

# After the restart: what the database holds.
INSPECT = """
import json, django
django.setup()
from django.db.models import Sum
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import Need
need = Need.objects.get()
print(json.dumps({
    "ids": list(Pledge.objects.values_list("id", flat=True)),
    "held": need.held,
    "quantity": need.quantity,
    "sum": Pledge.objects.aggregate(s=Sum("quantity"))["s"] or 0,
}))
"""


def _env(tmp: Path, database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="crash-test-key-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        KOLABORASI_VAR_DIR=str(tmp / "var"),
        THROTTLES_ENABLED="0",
        REQUEST_QUEUE_DEADLINE_MS="0",
        DB_POOL="1",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="kolaborasi.settings",
    )
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@contextmanager
def _server(tmp: Path, env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [str(GUNICORN), "-c", "python:kolaborasi.gunicorn_conf", "kolaborasi.wsgi"]
    cmd += ["-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4"]
    with open(tmp / "server.log", "ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
            try:
                if _post(port, "GET", "/healthz", None, {})[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _post(port: int, method: str, path: str, body: object, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _drill(tmp: Path, database_url: str) -> None:
    """On a migrated database of the test's own."""
    env = _env(tmp, database_url)
    made = _run({**env, "DEBUG": "1"}, sys.executable, "-c", SETUP)
    assert made.returncode == 0, made.stderr
    world = json.loads(made.stdout.strip().splitlines()[-1])
    rebuilt = _run(env, KOL, "stats", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    body = {
        "target": world["target"],
        "aid_type": "sembako",
        "quantity": 3,
        "planned_delivery": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
    }
    acknowledged: list[int] = []
    statuses: list[int | None] = []
    lock = threading.Lock()
    stop = threading.Event()
    port = free_port()

    def client(c: int) -> None:
        token = world["tokens"][c % len(world["tokens"])]
        n = 0
        while not stop.is_set():
            n += 1
            try:
                status, payload = _post(
                    port,
                    "POST",
                    "/api/v1/pledges",
                    body,
                    {"Authorization": f"Bearer {token}", "Idempotency-Key": f"crash-{c}-{n}"},
                )
            except (OSError, http.client.HTTPException):
                status, payload = None, b""  # cut off by the crash: not acknowledged
            with lock:
                statuses.append(status)
                if status == 201:
                    acknowledged.append(int(json.loads(payload)["id"]))

    with _server(tmp, env, port) as proc:
        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        os.killpg(proc.pid, signal.SIGKILL)  # the master and its workers, mid-write
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
    assert acknowledged, f"nothing was acknowledged before the crash: {statuses[:20]}"
    assert {s for s in statuses if s is not None} <= {201, 409, 429, 503}, set(statuses)

    # Started again on the same database.
    with _server(tmp, env, free_port()):
        inspected = _run({**env, "DEBUG": "1"}, sys.executable, "-c", INSPECT)
        assert inspected.returncode == 0, inspected.stderr
    state = json.loads(inspected.stdout.strip().splitlines()[-1])
    missing = set(acknowledged) - set(state["ids"])
    assert not missing, f"{len(missing)} acknowledged pledges lost in the crash"
    assert state["held"] == state["sum"] <= state["quantity"]
    verify = _run(env, KOL, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    check = _run(env, KOL, "stats", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    print(f"{len(acknowledged)} acknowledged, {len(state['ids'])} stored")


def test_a_crash_loses_no_acknowledged_pledge_on_sqlite(
    tmp_path: Path, migrated_sqlite: Callable[..., str]
) -> None:
    _drill(tmp_path, migrated_sqlite())


def test_a_crash_loses_no_acknowledged_pledge_on_postgresql(
    tmp_path: Path, new_postgres: Callable[..., str]
) -> None:
    _drill(tmp_path, new_postgres())

"""The database cannot serve: requests get 503 with Retry-After, never 500, and the
server recovers by itself. A real gunicorn (our configuration, DEBUG off) on the
PostgreSQL test database, each worker with a connection pool lowered to one connection
and a one-second wait for it, so that a handful of concurrent clients saturate it:

- saturated (slow statements hold the pool's connections): every answer to concurrent
  pledges is 201, 409, 429 or 503; the 503s carry Retry-After; no need is
  over-committed; every 201 is in the database, no 503 is; the app's log lines are
  JSON with the request id;
- locked: another connection holds the need's row; a pledge waits ``DB_LOCK_TIMEOUT_MS``
  and gets 503 with Retry-After, then 201 once the lock is gone.

Bounded: two workers, 16 clients × 3 requests, loopback only."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db.models import Sum

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from kolaborasi.pledges.models import IdempotencyKey, Pledge
from kolaborasi.targets.models import Need
from tests.conftest import is_postgres
from tests.pledges_support import small_world, today
from tests.server import GUNICORN, ROOT, database_url, free_port

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

CLIENTS = 16
PER_CLIENT = 3
NEED = 40  # units; 48 requests of 2 ask for more, so some get 409


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None
) -> Iterator[tuple[str, int, Path]]:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    tmp = tmp_path_factory.mktemp("unavailable")
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=database_url(),
        DEBUG="0",
        SECRET_KEY=django_settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        KOLABORASI_VAR_DIR=str(tmp / "var"),
        # One connection per worker, one second to wait for it, one to wait for a lock.
        DB_POOL="1",
        DB_POOL_MIN_SIZE="0",
        DB_POOL_MAX_SIZE="1",
        DB_POOL_TIMEOUT="1",
        DB_LOCK_TIMEOUT_MS="1000",
        DB_RETRY_AFTER="2",
        # The 503s here are the database's, not the queueing deadline's.
        REQUEST_QUEUE_DEADLINE_MS="0",
        THROTTLES_ENABLED="0",
        PYTHONPATH=str(ROOT),
    )
    log = tmp / "gunicorn.log"
    cmd = [str(GUNICORN), "-c", "python:kolaborasi.gunicorn_conf", "kolaborasi.wsgi"]
    cmd += ["-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4", "--error-logfile", str(log)]
    app_log = tmp / "app.log"
    with open(app_log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:] if log.exists() else ''}"
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
            try:
                if _request("127.0.0.1", port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        yield "127.0.0.1", port, app_log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        text = log.read_text() if log.exists() else ""
        print(text[-2000:])
        assert "Traceback" not in text, text[-3000:]


def _request(
    host: str, port: int, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _pledge_body(need: Need) -> dict[str, object]:
    return {
        "target": need.target_id,
        "aid_type": "sembako",
        "quantity": 2,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
    }


def _donor_tokens(count: int) -> list[str]:
    tokens = []
    for i in range(count):
        org = Organisation.objects.create(
            name=f"Donatur Basis Data {i}", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
        )
        tokens.append(token_create(actor=None, organisation=org))
    return tokens


@pytest.mark.django_db(transaction=True)
def test_a_saturated_pool_answers_503_never_500(server: tuple[str, int, Path]) -> None:
    host, port, app_log = server
    need = small_world(NEED)
    tokens = _donor_tokens(4)
    body = _pledge_body(need)
    results: list[tuple[str, int, dict[str, str], bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> None:
        start.wait()
        for r in range(PER_CLIENT):
            key = f"basisdata-{c}-{r}"
            headers = {"Authorization": f"Bearer {tokens[c % len(tokens)]}", "Idempotency-Key": key}
            status, resp_headers, payload = _request(host, port, "POST", "/api/v1/pledges", body, headers)
            with lock:
                results.append((key, status, resp_headers, payload))

    # Saturation as in a busy hour: slow statements (here, the need's row held by
    # another connection for a while) keep each worker's one connection busy, so the
    # requests behind them wait for the pool, and give up after DB_POOL_TIMEOUT.
    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=False) as holder:
        holder.execute("SELECT id FROM targets_need WHERE id = %s FOR UPDATE", [need.pk])
        for t in threads:
            t.start()
        time.sleep(2.5)
        holder.rollback()
    for t in threads:
        t.join()

    summary: dict[int, int] = {}
    for _key, status, _h, _p in results:
        summary[status] = summary.get(status, 0) + 1
    assert set(summary) <= {201, 409, 429, 503}, summary
    assert summary.get(503), f"the pool was never saturated: {summary}"
    assert summary.get(201), f"nothing was served: {summary}"
    for _key, status, headers, payload in results:
        if status == 503:
            assert headers["retry-after"] == "2"
            assert headers["content-type"].startswith("application/json")
            assert json.loads(payload)["retry_after"] == 2
    stored = dict(IdempotencyKey.objects.filter(key__startswith="basisdata-").values_list("key", "pledge_id"))
    assert Pledge.objects.filter(need=need).count() == len(stored)
    for key, status, _h, payload in results:
        if status == 201:
            assert stored.get(key) == json.loads(payload)["id"], f"201 for {key} but not in the database"
        if status == 503:
            assert key not in stored, f"a pledge was committed for {key}, answered 503"
    fresh = Need.objects.get(pk=need.pk)
    assert fresh.held <= fresh.quantity
    assert fresh.held == (Pledge.objects.filter(need=need).aggregate(s=Sum("quantity"))["s"] or 0)

    # Recovered by itself: once the crowd is gone, a pledge is served.
    key = "basisdata-after"
    headers = {"Authorization": f"Bearer {tokens[0]}", "Idempotency-Key": key}
    status, _h, payload = _request(host, port, "POST", "/api/v1/pledges", {**body, "quantity": 1}, headers)
    assert status in (201, 409), (status, payload)
    print(f"outcomes: {summary}")

    # With DEBUG off the app logs JSON lines; the refusals' summary names a request.
    entries = [json.loads(line) for line in app_log.read_text().splitlines() if line.startswith("{")]
    refused = [e for e in entries if e["message"].startswith("database unavailable")]
    assert refused, app_log.read_text()[-2000:]
    assert all(e["level"] == "WARNING" and len(e["request_id"]) == 32 for e in refused)


@pytest.mark.django_db(transaction=True)
def test_a_locked_row_answers_503_and_then_serves(server: tuple[str, int, Path]) -> None:
    host, port, _app_log = server
    need = small_world(NEED)
    (token,) = _donor_tokens(1)
    headers = {"Authorization": f"Bearer {token}"}
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=False) as holder:
        holder.execute("SELECT id FROM targets_need WHERE id = %s FOR UPDATE", [need.pk])
        status, resp_headers, payload = _request(
            host,
            port,
            "POST",
            "/api/v1/pledges",
            _pledge_body(need),
            {**headers, "Idempotency-Key": "kunci-1"},
        )
        assert status == 503, payload
        assert resp_headers["retry-after"] == "2"
        assert "detail" in json.loads(payload)
        # Liveness does not need the locked row.
        assert _request(host, port, "GET", "/healthz")[0] == 200
        holder.rollback()
    assert not Pledge.objects.filter(need=need).exists(), "a 503 left a pledge behind"
    status, _h, payload = _request(
        host, port, "POST", "/api/v1/pledges", _pledge_body(need), {**headers, "Idempotency-Key": "kunci-2"}
    )
    assert status == 201, payload
    assert Pledge.objects.filter(need=need).count() == 1

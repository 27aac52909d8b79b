"""The database cannot serve: requests get 503 with Retry-After, never 500, and the
server recovers by itself. A real gunicorn (our configuration, DEBUG off) on the
PostgreSQL test database, each worker with a connection pool lowered to one connection
and a one-second wait for it, so that a handful of concurrent clients saturate it:

- saturated (slow statements hold the pool's connections): every answer to concurrent
  pledges is 201, 409, 429 or 503; the 503s carry Retry-After; no need is
  over-committed; every 201 is in the database, no 503 is; the app's log lines are
  JSON with the request id;
- connections held elsewhere: the server logs in as a role that may hold three
  connections, another process holds two of them, and 64 concurrent donors pledge (two
  each): the same answers and invariants, and pledges are served again once the held
  connections are released (the pool reconnects by itself);
- locked: another connection holds the need's row; a pledge waits ``DB_LOCK_TIMEOUT_MS``
  and gets 503 with Retry-After, then 201 once the lock is gone.

Bounded: two workers, at most 64 clients × 2 requests, loopback only."""

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
from contextlib import contextmanager
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


@contextmanager
def _serve(tmp: Path, **overrides: str) -> Iterator[tuple[str, int, Path]]:
    """Our gunicorn (DEBUG off) on the test database: two workers of four threads, one
    connection per worker, one second to wait for it, one to wait for a lock."""
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
    env.update(overrides)
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
            assert time.monotonic() < deadline, "gunicorn did not start"
            try:
                _request("127.0.0.1", port, "GET", "/favicon.ico")
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


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None
) -> Iterator[tuple[str, int, Path]]:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    with _serve(tmp_path_factory.mktemp("unavailable")) as served:
        yield served


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


@pytest.fixture
def limited_role() -> Iterator[str]:
    """A login role of this test's own that may hold at most ROLE_LIMIT connections: the
    scarce connections of a busy database, without taking any from others on the same
    PostgreSQL server (superusers ignore such limits, so the server must log in as it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a login role with a connection limit")
    role = f"kol_scarce_{os.getpid()}"
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True) as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {ROLE_LIMIT}')
        admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        admin.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        try:
            yield role
        finally:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role])
            admin.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
            admin.execute(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
    connection.close()


ROLE_LIMIT = 3  # connections the server's role may hold in all
HELD = 2  # ... of which another process holds these


@pytest.mark.django_db(transaction=True)
def test_connections_held_elsewhere_answer_503_and_recover(tmp_path: Path, limited_role: str) -> None:
    """64 concurrent donors while another process holds most of the connections the
    server may open: every answer is 201, 409, 429 or 503, every 201 is in the database,
    nothing is over-committed; once the connections are free again, pledges are served."""
    need = small_world(NEED)
    tokens = _donor_tokens(8)
    role_url = database_url().replace("postgres://", "postgresql://")
    role_url = role_url.split("://", 1)[0] + f"://{limited_role}@" + role_url.split("@", 1)[1]
    held = [psycopg.connect(role_url, autocommit=True) for _ in range(HELD)]
    served = _serve(
        tmp_path, DATABASE_URL=role_url.replace("postgresql://", "postgres://"), DB_POOL_MAX_SIZE="4"
    )
    with served as (host, port, _app_log):
        try:
            body = _pledge_body(need)
            results: list[tuple[str, int, bytes]] = []
            lock = threading.Lock()
            start = threading.Barrier(64)

            def client(c: int) -> None:
                start.wait()
                for r in range(2):
                    key = f"langka-{c}-{r}"
                    headers = {"Authorization": f"Bearer {tokens[c % len(tokens)]}", "Idempotency-Key": key}
                    status, _h, payload = _request(host, port, "POST", "/api/v1/pledges", body, headers)
                    with lock:
                        results.append((key, status, payload))

            threads = [threading.Thread(target=client, args=(c,)) for c in range(64)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            for conn in held:
                conn.close()
        summary: dict[int, int] = {}
        for _key, status, _p in results:
            summary[status] = summary.get(status, 0) + 1
        assert set(summary) <= {201, 409, 429, 503}, summary
        assert summary.get(503), f"the connections were never short: {summary}"
        stored = dict(
            IdempotencyKey.objects.filter(key__startswith="langka-").values_list("key", "pledge_id")
        )
        for key, status, payload in results:
            if status == 201:
                assert stored.get(key) == json.loads(payload)["id"], f"201 for {key} but not in the database"
            if status == 503:
                assert key not in stored
        fresh = Need.objects.get(pk=need.pk)
        assert fresh.held <= fresh.quantity
        assert fresh.held == (Pledge.objects.filter(need=need).aggregate(s=Sum("quantity"))["s"] or 0)

        # The held connections are free again: the server recovers by itself.
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        deadline = time.monotonic() + 30
        recovered: list[int] = []
        while time.monotonic() < deadline and len(recovered) < 4:
            status, _h, payload = _request(
                host,
                port,
                "POST",
                "/api/v1/pledges",
                {**body, "quantity": 1},
                {**headers, "Idempotency-Key": f"pulih-{len(recovered)}-{time.monotonic()}"},
            )
            assert status in (201, 409, 503), payload
            if status != 503:
                recovered.append(status)
            time.sleep(0.2)
        assert len(recovered) == 4, "the server did not recover once connections were free"
        print(f"outcomes: {summary}")

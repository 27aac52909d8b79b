"""Overload against a real server: gunicorn started with our configuration
(kolaborasi/gunicorn_conf.py: our queue-stamping threaded worker) on PostgreSQL, on
loopback, with one worker of two threads, driven by far more concurrent connections
than it can serve and a short client timeout, every request tagged with its own
Idempotency-Key.

Then: every answer is 201, 409, 429 or 503 (never another 5xx); some requests were shed
(503); no pledge exists whose client was answered 503; every 201 is in the database; no
need is over-committed. A client that timed out and retries with its key gets the first
answer back, never a second pledge; and a pledge form sent again after the browser gave up
on it makes one pledge.

Bounded: at most CONNECTIONS × PER_CONNECTION requests within LOAD_SECONDS, loopback only."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client

from kolaborasi.accounts.models import Membership, Organisation, OrgKind, OrgSubtype, Role
from kolaborasi.accounts.services import token_create
from kolaborasi.pledges.models import IdempotencyKey, Pledge
from kolaborasi.targets.models import Need
from tests.conftest import is_postgres
from tests.personas import login
from tests.pledges_support import small_world, today
from tests.server import database_url, free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONNECTIONS = 160  # concurrent clients: far more than one worker's two threads serve in time
PER_CONNECTION = 3  # requests each client sends, one after the other
PAUSE = 0.5  # at most this many seconds (random) before each: arrivals spread, far above capacity
CLIENT_TIMEOUT = 2.0  # seconds, as impatient as the clients in the field
DEADLINE_MS = 300  # the server's queueing deadline for this test
LOAD_SECONDS = 25.0  # nobody starts a request after this
NEED = 400  # units; the requests ask for more in all, so some get 409
ORGS = 8  # pledges spread over several donors

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None) -> Iterator[tuple[str, int]]:
    """Our gunicorn on the test database (created by django_db_setup before its name is read)."""
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    tmp_path = tmp_path_factory.mktemp("overload")
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=database_url(),
        # Development static files: production's compressed manifest needs a collectstatic
        # that takes minutes on this machine; nothing else here depends on DEBUG.
        DEBUG="1",
        # The test's own key: a session made here (force_login) is valid there.
        SECRET_KEY=django_settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        KOLABORASI_VAR_DIR=str(tmp_path / "var"),
        REQUEST_QUEUE_DEADLINE_MS=str(DEADLINE_MS),
        REQUEST_SHED_RETRY_AFTER="1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    cmd = [str(GUNICORN), "-c", "python:kolaborasi.gunicorn_conf", "kolaborasi.wsgi"]
    cmd += ["-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "2", "--error-logfile", str(log)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:] if log.exists() else ''}"
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        # Our own server's process group only (it was started in a session of its own).
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        print(log.read_text()[-2000:] if log.exists() else "")


@dataclass
class Outcome:
    key: str
    token: str
    body: dict[str, object]
    sent: bool = False
    status: int | None = None  # None: no answer (timeout, reset)
    pledge_id: int | None = None


def _send(host: str, port: int, o: Outcome, timeout: float) -> None:
    o.sent = True
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/api/v1/pledges",
            body=json.dumps(o.body),
            headers={
                "Authorization": f"Bearer {o.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": o.key,
            },
        )
        resp = conn.getresponse()
        payload = resp.read()
        o.status = resp.status
        if resp.status == 201:
            o.pledge_id = int(json.loads(payload)["id"])
    except (OSError, http.client.HTTPException):
        o.status = None  # the client gave up or the connection was dropped
    finally:
        conn.close()


def _wait_until_quiet(host: str, port: int) -> None:
    """Requests whose clients gave up may still be queued or running in the server; the
    database is judged once they are done: two quick /healthz answers in a row (the
    worker takes queued requests in order)."""
    quick = 0
    deadline = time.monotonic() + 60
    while quick < 2 and time.monotonic() < deadline:
        conn = http.client.HTTPConnection(host, port, timeout=1.0)
        try:
            conn.request("GET", "/healthz")
            quick = quick + 1 if conn.getresponse().status == 200 else 0
        except (OSError, http.client.HTTPException):
            quick = 0
        finally:
            conn.close()
    time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_overload_sheds_with_503_and_commits_nothing_for_them(server: tuple[str, int]) -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    host, port = server
    need = small_world(NEED)
    tokens = []
    for i in range(ORGS):
        org = Organisation.objects.create(
            name=f"Donatur Beban {i}", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
        )
        tokens.append(token_create(actor=None, organisation=org))
    body = {
        "target": need.target_id,
        "aid_type": "sembako",
        "quantity": 2,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
    }
    outcomes: list[list[Outcome]] = [
        [Outcome(f"beban-{c}-{r}", tokens[c % ORGS], body) for r in range(PER_CONNECTION)]
        for c in range(CONNECTIONS)
    ]
    start = threading.Barrier(CONNECTIONS)
    stop_at = time.monotonic() + LOAD_SECONDS

    def client(mine: list[Outcome], pauses: list[float]) -> None:
        start.wait()
        for o, pause in zip(mine, pauses, strict=True):
            time.sleep(pause)
            if time.monotonic() > stop_at:
                break
            _send(host, port, o, CLIENT_TIMEOUT)

    rng = random.Random(11)
    threads = [
        threading.Thread(target=client, args=(mine, [rng.uniform(0, PAUSE) for _ in mine]))
        for mine in outcomes
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _wait_until_quiet(host, port)
    sent = [o for mine in outcomes for o in mine if o.sent]
    answered = [o for o in sent if o.status is not None]
    by_status: dict[int | None, list[Outcome]] = {}
    for o in sent:
        by_status.setdefault(o.status, []).append(o)
    summary = {k: len(v) for k, v in by_status.items()}

    assert {o.status for o in answered} <= {201, 409, 429, 503}, summary
    assert by_status.get(503), f"nothing was shed: {summary}"
    assert by_status.get(201), f"nothing was served: {summary}"

    # Every pledge came with its key (one transaction), so the keys account for all of them.
    stored = dict(IdempotencyKey.objects.filter(key__startswith="beban-").values_list("key", "pledge_id"))
    assert Pledge.objects.count() == len(stored)
    shed_keys = {o.key for o in by_status[503]}
    assert not shed_keys & stored.keys(), "a pledge was committed for a client answered 503"
    for o in by_status[201]:
        assert stored.get(o.key) == o.pledge_id, f"201 for {o.key} but not in the database"
    fresh = Need.objects.get(pk=need.pk)
    assert fresh.held <= fresh.quantity
    assert fresh.held == (Pledge.objects.filter(need=need).aggregate(s=Sum("quantity"))["s"] or 0)

    # The clients that got no answer retry with their key: the first answer comes back
    # when their pledge was made, a fresh decision otherwise, never a second pledge.
    for o in by_status.get(None, [])[:60]:
        had = stored.get(o.key)
        _send(host, port, o, 30.0)
        assert o.status in (201, 409, 429, 503), o
        if had is not None:
            assert (o.status, o.pledge_id) == (201, had)
    assert not shed_keys & set(
        IdempotencyKey.objects.filter(key__startswith="beban-").values_list("key", flat=True)
    ), "a pledge was committed for a client answered 503"
    assert Pledge.objects.count() == IdempotencyKey.objects.filter(key__startswith="beban-").count()
    fresh = Need.objects.get(pk=need.pk)
    assert fresh.held <= fresh.quantity
    print(f"outcomes: {summary}")


def _http(
    host: str, port: int, method: str, path: str, cookies: dict[str, str], body: str = ""
) -> tuple[int, dict[str, str], str, dict[str, str]]:
    """One request as a browser sends it: status, headers, text and the cookies set."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        jar: SimpleCookie = SimpleCookie()
        for value in resp.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return resp.status, dict(resp.getheaders()), text, {k: m.value for k, m in jar.items()}
    finally:
        conn.close()


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)


@pytest.mark.django_db(transaction=True)
def test_a_form_sent_again_after_the_client_gave_up_creates_one_pledge(server: tuple[str, int]) -> None:
    """The browser sends the pledge form and gives up before the answer (a timeout, a
    lost connection); the person sends it again. The real server makes one pledge."""
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    host, port = server
    need = small_world(100)
    org = Organisation.objects.create(
        name="Donatur Formulir", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
    )
    user = get_user_model().objects.create_user("formulir", "formulir@example.org")
    Membership.objects.create(user=user, organisation=org, role=Role.OWNER)
    browser = Client()
    login(browser, user)
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    url = f"/komitmen/baru/{need.target_id}/"
    status, _headers, html, set_cookies = _http(host, port, "GET", url, cookies)
    assert status == 200
    cookies |= set_cookies
    form = urlencode(
        {
            "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken"),
            "submission_key": _hidden(html, "submission_key"),
            "need": need.pk,
            "quantity": 5,
            "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
            "contact_name": "Dina",
            "contact_phone": "0812000000",
            "statement": "on",
        }
    )
    for _attempt in range(3):
        # The first sending: the whole request goes out, then the client is gone.
        raw = socket.create_connection((host, port), timeout=5)
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        raw.sendall(
            (
                f"POST {url} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie_header}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n{form}"
            ).encode()
        )
        raw.close()
        # The person sends the same page again and waits this time.
        status, headers, _text, _set = _http(host, port, "POST", url, cookies, form)
        assert status == 302 and headers["Location"] == "/komitmen/", status
    _wait_until_quiet(host, port)
    assert Pledge.objects.filter(organisation=org).count() == 1
    assert Need.objects.get(pk=need.pk).held == 5

"""A traffic spike against the production server: gunicorn started as `make run` starts
it (kolaborasi/gunicorn_conf.py: our queue-stamping threaded worker, the connection pool,
DEBUG off) with two workers on PostgreSQL, on loopback. A modest rate first, then ten
times that rate for SPIKE_SECONDS, on a mix of public reads and pledges (each with its
own Idempotency-Key), arrivals on a fixed schedule whatever the server answers (as a
crowd arrives), not one request after another.

Then: no 5xx but 503, and every 503 has Retry-After; no need is over-committed; every
201 is in the database and nothing answered 503 was stored; the metrics count exactly
the pledges the database has; and shortly after the spike a normal request is served
(polled a bounded number of times, never timed).

Bounded: at most BASE_RATE × BASE_SECONDS + SPIKE_RATE × SPIKE_SECONDS requests, nobody
starts one after the spike, each waits CLIENT_TIMEOUT at most; loopback only."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db.models import Sum

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from kolaborasi.pledges.models import IdempotencyKey, Pledge
from kolaborasi.targets.models import Need
from tests.conftest import is_postgres
from tests.metrics_support import parse, value
from tests.pledges_support import small_world, today
from tests.server import Server, gunicorn

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

BASE_RATE = 40  # requests a second that two workers serve with room to spare
BASE_SECONDS = 2.0
SPIKE_RATE = 10 * BASE_RATE
SPIKE_SECONDS = 10.0
SENDERS = 160  # client threads: each takes every SENDERS-th arrival of the schedule
CLIENT_TIMEOUT = 5.0
NEED = 300  # units; the spike asks for more, one at a time, so some get 409
ORGS = 4
TOKEN = "spike-" + "m" * 40
READS = ("/api/v1/targets?limit=20", "/api/v1/stats/summary", "/api/v1/campaigns", "/api/v1/aid-types")


@dataclass
class Call:
    at: float  # when it is due (monotonic)
    pledge: bool
    path: str
    key: str = ""
    token: str = ""
    sent: bool = False
    status: int | None = None  # None: no answer in time
    retry_after: str | None = None
    pledge_id: int | None = None


def _send(server: Server, call: Call, body: dict[str, object]) -> None:
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=CLIENT_TIMEOUT)
    try:
        if call.pledge:
            headers = {
                "Authorization": f"Bearer {call.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": call.key,
            }
            conn.request("POST", call.path, body=json.dumps(body), headers=headers)
        else:
            conn.request("GET", call.path)
        resp = conn.getresponse()
        payload = resp.read()
        call.status, call.retry_after = resp.status, resp.getheader("Retry-After")
        if resp.status == 201:
            call.pledge_id = int(json.loads(payload)["id"])
    except (OSError, http.client.HTTPException):
        call.status = None
    finally:
        conn.close()


def _schedule(start: float, rate: float, seconds: float, first: int, tokens: list[str]) -> list[Call]:
    calls = []
    for n in range(int(rate * seconds)):
        i = first + n
        pledge = i % 10 < 3  # three in ten write
        calls.append(
            Call(
                at=start + n / rate,
                pledge=pledge,
                path="/api/v1/pledges" if pledge else READS[i % len(READS)],
                key=f"spike-{i}" if pledge else "",
                token=tokens[i % len(tokens)],
            )
        )
    return calls


def _drive(server: Server, calls: list[Call], body: dict[str, object], stop_at: float) -> None:
    def sender(mine: list[Call]) -> None:
        for call in mine:
            time.sleep(max(0.0, call.at - time.monotonic()))
            if time.monotonic() > stop_at:
                return
            call.sent = True
            _send(server, call, body)

    threads = [threading.Thread(target=sender, args=(calls[k::SENDERS],)) for k in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _get(server: Server, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=CLIENT_TIMEOUT)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _served_again(server: Server, tries: int = 60) -> bool:
    """A normal read answered 200 three times in a row, within ``tries`` attempts (those
    still queued from the spike are answered or shed first)."""
    in_a_row = 0
    for _ in range(tries):
        try:
            status, _body = _get(server, "/api/v1/stats/summary")
        except (OSError, http.client.HTTPException):
            status = 0
        in_a_row = in_a_row + 1 if status == 200 else 0
        if in_a_row == 3:
            return True
        time.sleep(0.5)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_spike_of_ten_times_the_rate_is_shed_cleanly(tmp_path: Path) -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    need = small_world(NEED)
    tokens = []
    for i in range(ORGS):
        org = Organisation.objects.create(
            name=f"Donatur Lonjakan {i}", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
        )
        tokens.append(token_create(actor=None, organisation=org))
    body: dict[str, object] = {
        "target": need.target_id,
        "aid_type": "sembako",
        "quantity": 1,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
    }
    env = {"METRICS_TOKEN": TOKEN, "DB_POOL": "1", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"}
    with gunicorn(tmp_path, workers=2, threads=4, production=True, env=env) as server:
        start = time.monotonic() + 0.5
        base = _schedule(start, BASE_RATE, BASE_SECONDS, 0, tokens)
        spike = _schedule(start + BASE_SECONDS, SPIKE_RATE, SPIKE_SECONDS, len(base), tokens)
        calls = base + spike
        _drive(server, calls, body, stop_at=start + BASE_SECONDS + SPIKE_SECONDS)
        assert _served_again(server), "the server did not serve a normal read after the spike"
        status, _body = _get(server, "/api/v1/stats/summary")
        assert status == 200
        # Every request the server took has been answered or shed by now: read the counts.
        status, text = _get(server, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        metrics = parse(text.decode())

    sent = [c for c in calls if c.sent]
    answered = [c for c in sent if c.status is not None]
    summary: dict[str, int] = {}
    for c in sent:
        label = f"{'pledge' if c.pledge else 'read'} {c.status}"
        summary[label] = summary.get(label, 0) + 1
    offered = len([c for c in spike if c.sent]) / SPIKE_SECONDS
    print(f"spike: {offered:.0f} requests/s sent of {SPIKE_RATE} planned; {dict(sorted(summary.items()))}")

    assert answered, "nothing was answered"
    assert not [c for c in answered if c.status >= 500 and c.status != 503], summary  # type: ignore[operator]
    assert {c.status for c in answered} <= {200, 201, 409, 503}, summary
    shed = [c for c in answered if c.status == 503]
    assert all(c.retry_after is not None and c.retry_after.isdigit() for c in shed), summary
    assert [c for c in answered if c.status == 201], f"no pledge was made: {summary}"

    # Every pledge came with its key in one transaction: the keys account for all of them.
    stored = dict(IdempotencyKey.objects.filter(key__startswith="spike-").values_list("key", "pledge_id"))
    assert Pledge.objects.count() == len(stored)
    for c in answered:
        if c.status == 201:
            assert stored.get(c.key) == c.pledge_id, f"201 for {c.key} is not in the database"
    assert not {c.key for c in shed if c.pledge} & stored.keys(), "a pledge answered 503 was stored"
    fresh = Need.objects.get(pk=need.pk)
    assert fresh.held <= fresh.quantity, "over-committed"
    assert fresh.held == (Pledge.objects.filter(need=need).aggregate(s=Sum("quantity"))["s"] or 0)

    # The metrics, summed over both workers, agree with the database.
    assert value(metrics, "kolaborasi_pledges_created_total") == Pledge.objects.count()
    refused = value(metrics, "kolaborasi_pledges_refused_total", reason="over_commit")
    assert refused >= len([c for c in answered if c.pledge and c.status == 409])

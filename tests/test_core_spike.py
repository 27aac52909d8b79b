"""A traffic spike against the production server: gunicorn started as `make run` starts it
(kolaborasi/gunicorn_conf.py: our queue-stamping threaded worker, the connection pool,
DEBUG off) with two workers on PostgreSQL, on loopback, driven by wrk (a C load tool
that leaves the cores to the server; tests/spike.lua). First the rate the server
sustains is measured briefly (a few connections, one request after another); then ten
times that rate is offered for SPIKE_SECONDS on a mix of public reads and pledges (each
pledge with its own Idempotency-Key), many connections each sending on a schedule
whatever the server answers.

Then: no 5xx but 503, and every 503 has Retry-After; no need is over-committed; every
201 is in the database and no pledge answered 503 was stored; the metrics count exactly
the pledges the database has; and after the spike a normal request is served (polled a
bounded number of times, never timed).

Bounded: BASE_SECONDS + SPIKE_SECONDS of load, each request waiting CLIENT_TIMEOUT at
most, loopback only."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from kolaborasi.pledges.models import IdempotencyKey, Pledge
from kolaborasi.targets.models import Need
from tests.conftest import is_postgres
from tests.metrics_support import parse, value
from tests.pledges_support import small_world, today
from tests.server import ROOT, Server, gunicorn

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

WRK = shutil.which("wrk")
BASE_SECONDS = 2
BASE_CONNECTIONS = 2  # one request after another on each: what the server sustains
SPIKE_SECONDS = 10
SPIKE_CONNECTIONS = 400
CLIENT_TIMEOUT = 5
WRITE_EVERY = 3  # one request in three is a pledge
NEED = 300  # units; the spike asks for more, one at a time, so most pledges get 409
ORGS = 4
TOKEN = "spike-" + "m" * 40
READS = ("/api/v1/targets?limit=20", "/api/v1/stats/summary", "/api/v1/campaigns", "/api/v1/aid-types")


def _lua(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_lua(v)}" for k, v in value.items()) + "}"
    return str(value)


def _wrk(
    server: Server,
    tmp: Path,
    name: str,
    *,
    connections: int,
    seconds: int,
    delay_ms: int,
    data: dict[str, Any],
) -> dict[str, Any]:
    """One wrk run of tests/spike.lua; its results (see the script)."""
    assert WRK is not None
    out = tmp / f"{name}.json"
    script_data = tmp / f"{name}.lua"
    script_data.write_text("return " + _lua({**data, "delay_ms": delay_ms, "out": str(out)}) + "\n")
    cmd = [WRK, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{CLIENT_TIMEOUT}s"]
    cmd += ["-s", str(ROOT / "tests" / "spike.lua"), server.base]
    run = subprocess.run(
        cmd,
        env={"PATH": "/usr/bin:/bin", "SPIKE_LUA_DATA": str(script_data)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    assert run.returncode == 0 and out.exists(), run.stdout + run.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    return result


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
    """A normal read answered 200 three times in a row, within ``tries`` attempts (what
    was still queued from the spike is answered or shed first)."""
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


@pytest.mark.skipif(WRK is None, reason="needs wrk (apt-get install wrk)")
@pytest.mark.django_db(transaction=True)
def test_a_spike_of_ten_times_the_sustained_rate_is_shed_cleanly(tmp_path: Path) -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    need = small_world(NEED)
    tokens = []
    for i in range(ORGS):
        org = Organisation.objects.create(
            name=f"Donatur Lonjakan {i}", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
        )
        tokens.append(token_create(actor=None, organisation=org))
    data: dict[str, Any] = {
        "reads": list(READS),
        "tokens": tokens,
        "write_every": WRITE_EVERY,
        "body": json.dumps(
            {
                "target": need.target_id,
                "aid_type": "sembako",
                "quantity": 1,
                "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
            }
        ),
    }
    env = {"METRICS_TOKEN": TOKEN, "DB_POOL": "1", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"}
    with gunicorn(tmp_path, workers=2, threads=4, production=True, env=env) as server:
        base = _wrk(
            server,
            tmp_path,
            "base",
            connections=BASE_CONNECTIONS,
            seconds=BASE_SECONDS,
            delay_ms=0,
            data={**data, "prefix": "base"},
        )
        sustained = base["requests"] / (base["duration_us"] / 1e6)
        assert sustained > 0, base
        # Ten times that rate over SPIKE_CONNECTIONS connections: each waits this long
        # before each of its requests.
        delay_ms = int(SPIKE_CONNECTIONS * 1000 / (10 * sustained))
        spike = _wrk(
            server,
            tmp_path,
            "spike",
            connections=SPIKE_CONNECTIONS,
            seconds=SPIKE_SECONDS,
            delay_ms=delay_ms,
            data={**data, "prefix": "spike"},
        )
        assert _served_again(server), "the server did not serve a normal read after the spike"
        # What the server took has been answered or shed by now: read the counts.
        status, text = _get(server, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        metrics = parse(text.decode())

    offered = spike["requests"] / (spike["duration_us"] / 1e6)
    print(
        f"sustained {sustained:.0f}/s; spike {offered:.0f}/s answered of {10 * sustained:.0f}/s offered; "
        f"reads {spike['reads']}, pledges {spike['pledges']}, timeouts {spike['timeouts']}"
    )
    for run in (base, spike):
        statuses = {int(code) for kind in ("reads", "pledges") for code in run[kind]}
        assert not {s for s in statuses if s >= 500} - {503}, run
        assert statuses <= {200, 201, 409, 503}, run
        assert run["bare_503"] == 0, "a 503 without Retry-After"
    assert spike["pledges"].get("201") or base["pledges"].get("201"), "no pledge was made"

    # Every pledge came with its key in one transaction: the keys account for all of them.
    stored = dict(IdempotencyKey.objects.values_list("key", "pledge_id"))
    assert Pledge.objects.count() == len(stored)
    for run in (base, spike):
        for key, pledge_id in run["created"].items():
            assert stored.get(key) == pledge_id, f"201 for {key} is not in the database"
        assert not set(run["shed"]) & stored.keys(), "a pledge answered 503 was stored"
    fresh = Need.objects.get(pk=need.pk)
    assert fresh.held <= fresh.quantity, "over-committed"
    assert fresh.held == (Pledge.objects.filter(need=need).aggregate(s=Sum("quantity"))["s"] or 0)

    # The metrics, summed over both workers, agree with the database.
    assert value(metrics, "kolaborasi_pledges_created_total") == Pledge.objects.count()
    refused = value(metrics, "kolaborasi_pledges_refused_total", reason="over_commit")
    assert refused >= int(base["pledges"].get("409", 0)) + int(spike["pledges"].get("409", 0))

"""/metrics through a real gunicorn started as `make run` starts it (our configuration,
DEBUG off) with two worker processes on the PostgreSQL test database: requests spread
over both workers are all counted, whichever worker answers the scrape; the token is
required; real pledges move the created and refused counters; the task queue and the
worker heartbeat are read from the database. The counts of an earlier run are removed
when the server starts.

Bounded: a few hundred requests on loopback."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import math
import threading
from pathlib import Path

import pytest

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from kolaborasi.core import health
from kolaborasi.core.models import WorkerHeartbeat
from kolaborasi.core.tasks import keys_expire_task
from tests.conftest import is_postgres
from tests.metrics_support import Samples, parse, value
from tests.pledges_support import small_world, today
from tests.server import Server, gunicorn

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
TOKEN = "scrape-" + "q" * 40
CLIENTS = 8
PER_ROUND = 5  # requests per client per round, each on a new connection


def _request(
    server: Server, method: str, path: str, headers: dict[str, str] | None = None, body: object = None
):  # type: ignore[no-untyped-def]
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _scrape(server: Server) -> Samples:
    status, _headers, body = _request(server, "GET", "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body[:500]
    return parse(body.decode())


def _writers(metrics_dir: Path, workers: set[int]) -> set[int]:
    """The workers that have written counts (each into counter_<pid>.db)."""
    return {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("counter_*.db")} & workers


@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_across_gunicorn_workers(tmp_path: Path) -> None:
    if not is_postgres():
        pytest.skip("needs PostgreSQL: a real server and the test share the database")
    need = small_world(10)
    org = Organisation.objects.create(
        name="Donatur Metrik", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY, verified=True
    )
    pledger = {"Authorization": f"Bearer {token_create(actor=None, organisation=org)}"}
    # What an earlier run left: removed at start (only the .db files of the directory).
    metrics_dir = tmp_path / "var" / "metrics"
    metrics_dir.mkdir(parents=True)
    (metrics_dir / "counter_1.db").write_bytes(b"not a metrics file")
    (metrics_dir / "README").write_text("kept")
    WorkerHeartbeat.objects.all().delete()

    with gunicorn(tmp_path, workers=2, threads=2, production=True, env={"METRICS_TOKEN": TOKEN}) as server:
        assert not (metrics_dir / "counter_1.db").exists()
        assert (metrics_dir / "README").read_text() == "kept"

        # The token: nothing without it.
        for headers in ({}, {"Authorization": "Bearer " + "q" * 47}, {"Authorization": f"Basic {TOKEN}"}):
            status, answer, body = _request(server, "GET", "/metrics", headers)
            assert status == 401 and b"kolaborasi_" not in body, (headers, status)
            assert answer["WWW-Authenticate"] == "Bearer"

        # Requests spread over both workers (each on a new connection, several at once),
        # in rounds until both have counted some.
        workers = set(server.pids()[1:])
        assert len(workers) == 2
        before = _scrape(server)
        sent = 0
        statuses: list[int] = []

        def client() -> None:
            for _ in range(PER_ROUND):
                statuses.append(_request(server, "GET", "/healthz")[0])

        for _round in range(20):
            threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sent += CLIENTS * PER_ROUND
            if _writers(metrics_dir, workers) == workers:
                break
        assert _writers(metrics_dir, workers) == workers, "one worker served every request"
        assert statuses.count(200) == sent
        # Whichever worker answers the scrape, it counts every worker's requests.
        name = "kolaborasi_http_requests_total"
        labels = {"route": "core:healthz", "method": "GET", "status": "2xx"}
        for _ in range(6):
            after = _scrape(server)
            assert value(after, name, **labels) - value(before, name, **labels) == sent
            count = "kolaborasi_http_request_duration_seconds_count"
            assert (
                value(after, count, route="core:healthz", method="GET")
                - value(before, count, route="core:healthz", method="GET")
                == sent
            )

        # Real pledges: one made (with an Idempotency-Key: counted once committed), one
        # that no longer fits.
        body = {
            "target": need.target_id,
            "aid_type": "sembako",
            "quantity": 6,
            "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        }
        assert (
            _request(server, "POST", "/api/v1/pledges", {**pledger, "Idempotency-Key": "m-1"}, body)[0] == 201
        )
        assert _request(server, "POST", "/api/v1/pledges", pledger, body)[0] == 409
        # The same key again: the first answer replayed, not a second pledge.
        assert (
            _request(server, "POST", "/api/v1/pledges", {**pledger, "Idempotency-Key": "m-1"}, body)[0] == 201
        )
        pledged = _scrape(server)
        assert (
            value(pledged, "kolaborasi_pledges_created_total")
            - value(before, "kolaborasi_pledges_created_total")
            == 1
        )
        refused = "kolaborasi_pledges_refused_total"
        assert (
            value(pledged, refused, reason="over_commit") - value(before, refused, reason="over_commit") == 1
        )
        assert value(pledged, refused, reason="hold_limit") == value(before, refused, reason="hold_limit")

        # The queue and the heartbeat, as the database has them at the scrape.
        assert value(pledged, "kolaborasi_metrics_database_up") == 1
        assert value(pledged, "kolaborasi_worker_heartbeat_age_seconds") == math.inf
        assert value(pledged, "kolaborasi_workers_alive") == 0
        queued = value(pledged, "kolaborasi_tasks_queued", state="ready")
        keys_expire_task.enqueue()
        health.heartbeat()
        later = _scrape(server)
        assert value(later, "kolaborasi_tasks_queued", state="ready") == queued + 1
        assert 0 <= value(later, "kolaborasi_worker_heartbeat_age_seconds") < math.inf
        assert value(later, "kolaborasi_workers_alive") == 1

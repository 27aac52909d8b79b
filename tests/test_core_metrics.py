"""Prometheus metrics at /metrics (kolaborasi.core.metrics): only with the token, requests
by route name (never the raw path), pledges created and refused by reason where the
service decides, and the task queue and worker heartbeat read from the database at each
scrape. The same through a real gunicorn with two worker processes is in
tests/test_core_metrics_server.py."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import resolve

from kolaborasi.core import health
from kolaborasi.core.models import WorkerHeartbeat
from kolaborasi.core.tasks import keys_expire_task
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import Need
from tests.metrics_support import Samples, parse, value
from tests.personas import token_for
from tests.pledges_support import pledge_body, ratna_need
from tests.throttle_support import rates

pytestmark = pytest.mark.django_db
TOKEN = "metrik-" + "x" * 40
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scrape(client: Client, settings: Any) -> Callable[[], Samples]:
    settings.METRICS_TOKEN = TOKEN

    def read() -> Samples:
        response = client.get("/metrics", headers=BEARER)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=")
        return parse(response.content.decode())

    return read


def test_without_a_token_configured_the_page_does_not_exist(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404
    assert b"kolaborasi_" not in response.content


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN],
)
def test_a_missing_or_wrong_token_is_refused_and_told_nothing(
    client: Client, settings: Any, header: str | None
) -> None:
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", headers={} if header is None else {"Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.content == b"401 Unauthorized\n"
    assert response["Cache-Control"].startswith("max-age=0")
    # Only reading: a scraper never writes.
    assert client.post("/metrics", headers=BEARER).status_code == 405


def test_requests_are_counted_by_route_name_never_by_path(
    client: Client, scrape: Callable[[], Samples]
) -> None:
    before = scrape()
    assert client.get("/api/v1/aggregators/987654").status_code == 404
    assert client.get("/api/v1/aggregators/987655").status_code == 404
    assert client.get("/tidak-ada-987656/").status_code == 404
    client.head("/healthz")
    client.generic("BREW", "/healthz")
    after = scrape()
    route = resolve("/api/v1/aggregators/1").view_name
    assert route.startswith("api:")
    total = "kolaborasi_http_requests_total"
    assert (
        value(after, total, route=route, method="GET", status="4xx")
        - value(before, total, route=route, method="GET", status="4xx")
        == 2
    )
    assert value(after, total, route="unmatched", method="GET", status="4xx") > value(
        before, total, route="unmatched", method="GET", status="4xx"
    )
    assert value(after, total, route="core:healthz", method="HEAD", status="2xx") > value(
        before, total, route="core:healthz", method="HEAD", status="2xx"
    )
    assert value(after, total, route="core:healthz", method="other", status="2xx") > value(
        before, total, route="core:healthz", method="other", status="2xx"
    )
    # Latency: one observation per request, in the route's histogram.
    count = "kolaborasi_http_request_duration_seconds_count"
    assert (
        value(after, count, route=route, method="GET") - value(before, count, route=route, method="GET") == 2
    )
    # No label ever holds what a client typed.
    for name, labels in after:
        for _label, text in labels:
            assert "98765" not in text, (name, labels)


@pytest.mark.usefixtures("fast_hasher", "one_window", "verified_dina")
@rates(pledges="2/m")
def test_pledges_created_and_refused_are_counted_by_reason(
    client: Client,
    personas: Any,
    scrape: Callable[[], Samples],
    django_capture_on_commit_callbacks: Any,
) -> None:
    need = ratna_need()
    dina = personas["dina"]
    pledger = {"Authorization": f"Bearer {token_for(dina)}"}
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            "/api/v1/pledges", pledge_body(need, 2), content_type="application/json", headers=pledger
        )
    assert made.status_code == 201
    left = Need.objects.get(pk=need.pk).remaining
    too_many = client.post(
        "/api/v1/pledges", pledge_body(need, left + 1), content_type="application/json", headers=pledger
    )
    assert too_many.status_code == 409 and too_many.json()["remaining"] == left
    # Two pledge writes a minute: the third is over.
    throttled = client.post(
        "/api/v1/pledges", pledge_body(need, 1), content_type="application/json", headers=pledger
    )
    assert throttled.status_code == 429
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("kolaborasi_pledges_created_total") == 1
    assert moved("kolaborasi_pledges_refused_total", reason="over_commit") == 1
    assert moved("kolaborasi_pledges_refused_total", reason="throttled") == 1
    assert moved("kolaborasi_throttled_total", throttle="pledges") == 1
    assert moved("kolaborasi_pledges_refused_total", reason="hold_limit") == 0
    # Every reason is there from the start, at 0 until it happens.
    for reason in ("over_commit", "hold_limit", "campaign_closed", "forbidden", "invalid", "throttled"):
        assert ("kolaborasi_pledges_refused_total", frozenset({("reason", reason)})) in after
    assert Pledge.objects.filter(organisation=dina.organisation).count() == 1


@pytest.mark.usefixtures("verified_dina")
def test_a_pledge_rolled_back_by_its_caller_is_not_counted(
    personas: Any, scrape: Callable[[], Samples], django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    from kolaborasi.pledges.services import pledge_create
    from tests.pledges_support import today

    need = ratna_need()
    before = scrape()

    class Undo(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Undo), transaction.atomic():
        pledge_create(
            actor=None,
            organisation=personas["dina"].organisation,
            need=need,
            quantity=1,
            planned_delivery=today(),
        )
        raise Undo
    assert value(scrape(), "kolaborasi_pledges_created_total") == value(
        before, "kolaborasi_pledges_created_total"
    )


def test_queue_depth_and_heartbeat_are_read_at_each_scrape(scrape: Callable[[], Samples]) -> None:
    WorkerHeartbeat.objects.all().delete()
    before = scrape()
    assert value(before, "kolaborasi_metrics_database_up") == 1
    assert value(before, "kolaborasi_worker_heartbeat_age_seconds") == math.inf
    assert value(before, "kolaborasi_workers_alive") == 0
    ready = value(before, "kolaborasi_tasks_queued", state="ready")
    keys_expire_task.enqueue()
    keys_expire_task.enqueue()
    health.heartbeat()
    after = scrape()
    assert value(after, "kolaborasi_tasks_queued", state="ready") == ready + 2
    assert value(after, "kolaborasi_tasks_oldest_ready_age_seconds") >= 0
    assert ("kolaborasi_tasks_queued", frozenset({("state", "running")})) in after
    age = value(after, "kolaborasi_worker_heartbeat_age_seconds")
    assert 0 <= age < math.inf
    assert value(after, "kolaborasi_workers_alive") == 1


def test_the_metrics_are_never_shed_and_a_shed_request_is_counted_by_its_route(
    client: Client, scrape: Callable[[], Samples], settings: Any
) -> None:
    settings.REQUEST_QUEUE_DEADLINE_MS = 500
    late = {"X-Request-Start": f"t={time.time() - 5:.3f}"}
    before = scrape()
    assert client.get("/api/v1/aid-types", headers=late).status_code == 503
    scraped = client.get("/metrics", headers={**BEARER, **late})
    assert scraped.status_code == 200
    after = parse(scraped.content.decode())
    labels = {"route": resolve("/api/v1/aid-types").view_name, "method": "GET", "status": "5xx"}
    name = "kolaborasi_http_requests_total"
    assert value(after, name, **labels) - value(before, name, **labels) == 1


def test_without_the_database_the_counters_are_still_served(
    scrape: Callable[[], Samples], monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(WorkerHeartbeat.objects, "aggregate", away)
    samples = scrape()
    assert value(samples, "kolaborasi_metrics_database_up") == 0
    assert not [name for name, _labels in samples if name.startswith("kolaborasi_worker")]
    assert ("kolaborasi_pledges_created_total", frozenset()) in samples

"""Load shedding at the door: a request whose X-Request-Start (or our gunicorn worker's
stamp) is older than REQUEST_QUEUE_DEADLINE_MS is answered 503 with Retry-After, JSON
for the API and a page for people, and nothing it asked for is written."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from kolaborasi.core.shedding import QUEUED_AT, parse_request_start
from kolaborasi.pledges.models import IdempotencyKey, Pledge
from kolaborasi.targets.models import Need
from tests.personas import login
from tests.pledges_support import ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]
ROOT = Path(__file__).resolve().parents[1]


def stamp(seconds_ago: float) -> str:
    """An nginx-style ``X-Request-Start`` for a request that arrived ``seconds_ago``."""
    return f"t={time.time() - seconds_ago:.3f}"


def pledge_body(need: Need) -> dict[str, object]:
    return {
        "target": need.target_id,
        "aid_type": "sembako",
        "quantity": 3,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
    }


def test_the_shedding_middleware_comes_first() -> None:
    # Only the metrics (a count in memory) and the request id (a uuid) go before it, no
    # I/O: a shed answer is counted and has a request id too.
    assert django_settings.MIDDLEWARE[:3] == [
        "kolaborasi.core.metrics.MetricsMiddleware",
        "kolaborasi.core.observability.RequestIdMiddleware",
        "kolaborasi.core.shedding.LoadSheddingMiddleware",
    ]


def test_liveness_is_never_shed(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUEST_QUEUE_DEADLINE_MS = 500
    assert client.get("/healthz", HTTP_X_REQUEST_START=stamp(5)).status_code == 200
    shed = client.get("/api/v1/aid-types", HTTP_X_REQUEST_START=stamp(5), HTTP_X_REQUEST_ID="antre-1")
    assert shed.status_code == 503
    assert shed.headers["X-Request-ID"] == "antre-1"


def test_a_late_api_request_is_refused_and_writes_nothing(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUEST_QUEUE_DEADLINE_MS = 500
    settings.REQUEST_SHED_RETRY_AFTER = 3
    need = ratna_need()
    held = need.held
    late = client.post(
        "/api/v1/pledges",
        pledge_body(need),
        content_type="application/json",
        headers={"Idempotency-Key": "telat-1", "X-Request-Start": stamp(2.0)},
        **personas["dina"].auth_header,
    )
    assert late.status_code == 503
    assert late["Retry-After"] == "3"
    assert late.json()["retry_after"] == 3 and late.json()["detail"]
    assert not Pledge.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert Need.objects.get(pk=need.pk).held == held

    # The same request in time goes through, and its retry is the first answer again.
    for _ in range(2):
        on_time = client.post(
            "/api/v1/pledges",
            pledge_body(need),
            content_type="application/json",
            headers={"Idempotency-Key": "telat-1", "X-Request-Start": stamp(0.05)},
            **personas["dina"].auth_header,
        )
        assert on_time.status_code == 201
    assert Pledge.objects.get().quantity == 3
    assert Need.objects.get(pk=need.pk).held == held + 3


def test_a_late_form_gets_a_page_and_writes_nothing(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUEST_QUEUE_DEADLINE_MS = 500
    need = ratna_need()
    login(client, personas["dina"].user)
    form = {
        "need": need.pk,
        "quantity": 2,
        "planned_delivery": (today() + dt.timedelta(days=2)).isoformat(),
        "contact_name": "Dina",
        "contact_phone": "0812000000",
        "statement": "on",
        "submission_key": "k" * 24,
    }
    late = client.post(f"/komitmen/baru/{need.target_id}/", form, headers={"X-Request-Start": stamp(1.0)})
    assert late.status_code == 503
    assert late["Retry-After"] == str(settings.REQUEST_SHED_RETRY_AFTER)
    html = late.content.decode()
    assert 'class="site-header"' in html
    assert "permintaan Anda belum diproses" in html and "Tidak ada yang tersimpan" in html
    assert not Pledge.objects.exists()
    client.cookies["django_language"] = "en"
    english = client.get("/", headers={"X-Request-Start": stamp(1.0)})
    assert english.status_code == 503 and "Nothing was saved" in english.content.decode()


@pytest.mark.parametrize(
    "value",
    [
        lambda: f"{(time.time() - 3) * 1000:.0f}",  # milliseconds
        lambda: f"t={(time.time() - 3) * 1_000_000:.0f}",  # microseconds
        lambda: f"{time.time() - 3:.3f}",  # seconds without t=
    ],
    ids=["ms", "us", "s"],
)
def test_the_units_proxies_use_are_understood(client: Client, settings, value) -> None:  # type: ignore[no-untyped-def]
    settings.REQUEST_QUEUE_DEADLINE_MS = 1000
    assert client.get("/api/v1/aid-types", headers={"X-Request-Start": value()}).status_code == 503


def test_what_cannot_be_read_or_is_off_sheds_nothing(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUEST_QUEUE_DEADLINE_MS = 500
    for bad in ("", "t=", "t=abc", "t=-5", "t=inf", "t=nan"):
        assert client.get("/api/v1/aid-types", headers={"X-Request-Start": bad}).status_code == 200, bad
    # A clock ahead of ours (or a client claiming it arrived later) is not a long wait.
    assert client.get("/api/v1/aid-types", headers={"X-Request-Start": stamp(-30)}).status_code == 200
    settings.REQUEST_QUEUE_DEADLINE_MS = 0
    assert client.get("/api/v1/aid-types", headers={"X-Request-Start": stamp(60)}).status_code == 200
    assert parse_request_start("t=1700000000.5") == 1700000000.5


def test_the_workers_stamp_counts_even_when_the_header_says_otherwise(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    """Our gunicorn worker's own stamp (time.monotonic() when queued) is trusted; a
    client sending a fresh X-Request-Start cannot jump the queue with it."""
    settings.REQUEST_QUEUE_DEADLINE_MS = 500
    queued_long_ago = {QUEUED_AT: time.monotonic() - 2.0}
    r = client.get("/api/v1/aid-types", headers={"X-Request-Start": stamp(0)}, **queued_long_ago)  # type: ignore[arg-type]
    assert r.status_code == 503
    assert client.get("/api/v1/aid-types", **{QUEUED_AT: time.monotonic()}).status_code == 200  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REQUEST_QUEUE_DEADLINE_MS", "soon"),
        ("REQUEST_QUEUE_DEADLINE_MS", "-1"),
        ("REQUEST_SHED_RETRY_AFTER", "-2"),
        ("IDEMPOTENCY_KEY_TTL_HOURS", "0"),
        ("WEB_CONCURRENCY", "many"),
        ("GUNICORN_THREADS", "0"),
    ],
)
def test_a_malformed_setting_stops_the_start(name: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {name: value}
    module = (
        "kolaborasi.gunicorn_conf"
        if name in ("WEB_CONCURRENCY", "GUNICORN_THREADS")
        else "kolaborasi.settings"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert name in result.stderr  # the traceback or the message names it

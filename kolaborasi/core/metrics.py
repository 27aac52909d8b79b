"""Prometheus metrics: what the site counts, and the text a scraper reads at ``/metrics``
(docs/operations.md, "Metrics").

Counted as it happens (every process of the server counts its own; with gunicorn the
counts are kept in files under ``METRICS_MULTIPROCESS_DIR`` and a scrape, whichever
worker answers it, adds up every worker's, those of workers since restarted included):

- ``kolaborasi_http_requests_total{route, method, status}`` and the latency histogram
  ``kolaborasi_http_request_duration_seconds{route, method}``, by the URL pattern's name
  (``pledges:new``, ``api-1.0.0:pledge_create``), never the raw path: a label takes a
  bounded set of values whatever clients ask for ("static" for static files,
  "unmatched" for a path no route serves). The status is its class (``2xx``...).
- ``kolaborasi_pledges_created_total`` (once committed) and
  ``kolaborasi_pledges_refused_total{reason}``, counted where the pledge service decides
  (kolaborasi.pledges.services), and ``reason="throttled"`` where the pledge throttle
  refuses; ``kolaborasi_throttled_total{throttle}`` for every throttle.

Read from the database at each scrape: the background tasks waiting
(``kolaborasi_tasks_queued{state}``, and how long the oldest due one has waited) and the
age of the newest worker heartbeat. When the database does not answer,
``kolaborasi_metrics_database_up`` is 0 and those gauges are left out; the counters are
still served."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

if settings.METRICS_MULTIPROCESS_DIR:
    # gunicorn's configuration makes (and empties) it at start; a process started
    # another way with the variable set still finds it.
    Path(settings.METRICS_MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)

REQUESTS = Counter(
    "kolaborasi_http_requests",
    "HTTP requests answered, by route name, method and status class.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "kolaborasi_http_request_duration_seconds",
    "Time from the request reaching the app to its response, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
PLEDGES_CREATED = Counter("kolaborasi_pledges_created", "Pledges created (committed).")
PLEDGES_REFUSED = Counter("kolaborasi_pledges_refused", "Pledges refused, by reason.", ["reason"])
THROTTLED = Counter(
    "kolaborasi_throttled", "Requests refused by a throttle (429), by throttle.", ["throttle"]
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def pledges_created(count: int) -> None:
    PLEDGES_CREATED.inc(count)


def pledge_refused(reason: str) -> None:
    PLEDGES_REFUSED.labels(reason=reason).inc()


def throttled(name: str) -> None:
    """A throttle refused a request (kolaborasi.core.throttle, its one place)."""
    THROTTLED.labels(throttle=name).inc()
    if name == "pledges":
        pledge_refused("throttled")


def route_name(request: HttpRequest) -> str:
    """The request's route, from a bounded set: the URL pattern's name (or its view's
    dotted path), "static", or "unmatched"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Answered before URL resolution (shed, refused by a middleware, a static file).
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return "static"
        try:
            match = resolve(path, getattr(request, "urlconf", None))
        except Resolver404:
            return "unmatched"
    return match.view_name or "unnamed"


class MetricsMiddleware:
    """First in MIDDLEWARE: counts and times every answer, a shed or refused one too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        try:
            route = route_name(request)
            method = request.method if request.method in _METHODS else "other"
            REQUESTS.labels(route=route, method=method, status=f"{response.status_code // 100}xx").inc()
            LATENCY.labels(route=route, method=method).observe(elapsed)
        except Exception:  # counting must never cost a visitor their answer
            logger.exception("could not count a request")
        return response


class DatabaseGauges:
    """What is read from the database at each scrape: the task queue and the worker's
    heartbeat."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "kolaborasi_metrics_database_up", "1 when the database answered this scrape's queries."
        )
        try:
            gauges = list(_database_gauges())
        except Exception as exc:  # the database is away: say so, serve the rest
            logger.warning("metrics: the database did not answer (%s: %s)", type(exc).__name__, exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges


def _database_gauges() -> Iterator[Metric]:
    now = timezone.now()
    queued = GaugeMetricFamily(
        "kolaborasi_tasks_queued",
        "Background tasks in the queue: ready (due now), scheduled (due later), running.",
        labels=["state"],
    )
    oldest = GaugeMetricFamily(
        "kolaborasi_tasks_oldest_ready_age_seconds",
        "How long the oldest task due now has waited for the worker (0 when none).",
    )
    if "django_tasks_db" in settings.INSTALLED_APPS:
        from django_tasks_db.models import DBTaskResult, get_date_max

        never = get_date_max()
        ready = Q(status="READY") & (Q(run_after=never) | Q(run_after__lte=now))
        counts = DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).aggregate(
            ready=Count("pk", filter=ready),
            waiting=Count("pk", filter=Q(status="READY")),
            running=Count("pk", filter=Q(status="RUNNING")),
            # Due since it was queued (no run_after) or since its run_after.
            queued_at=Min("enqueued_at", filter=Q(status="READY", run_after=never)),
            due_at=Min("run_after", filter=ready & ~Q(run_after=never)),
        )
        queued.add_metric(["ready"], counts["ready"])
        queued.add_metric(["scheduled"], counts["waiting"] - counts["ready"])
        queued.add_metric(["running"], counts["running"])
        since = min((t for t in (counts["queued_at"], counts["due_at"]) if t is not None), default=None)
        oldest.add_metric([], max(0.0, (now - since).total_seconds()) if since is not None else 0.0)
        yield queued
        yield oldest

    fresh_after = now - dt.timedelta(seconds=settings.READY_HEARTBEAT_SECONDS)
    beats = WorkerHeartbeat.objects.aggregate(
        last=Max("beat_at"), alive=Count("pk", filter=Q(beat_at__gte=fresh_after))
    )
    age = GaugeMetricFamily(
        "kolaborasi_worker_heartbeat_age_seconds",
        "Seconds since the newest background worker heartbeat (+Inf when none was ever written).",
    )
    last = beats["last"]
    age.add_metric([], max(0.0, (now - last).total_seconds()) if last is not None else math.inf)
    yield age
    alive = GaugeMetricFamily(
        "kolaborasi_workers_alive",
        "Background workers whose heartbeat is fresher than READY_HEARTBEAT_SECONDS.",
    )
    alive.add_metric([], beats["alive"])
    yield alive


class _ThisProcess:
    """The process's own registry (no gunicorn: runserver, a test)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.METRICS_MULTIPROCESS_DIR:
        multiprocess.MultiProcessCollector(registry, path=settings.METRICS_MULTIPROCESS_DIR)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(DatabaseGauges())  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST

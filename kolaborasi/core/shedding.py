"""Load shedding: a request that has already waited longer than
``REQUEST_QUEUE_DEADLINE_MS`` before the app could start it is answered 503 with
``Retry-After``, without doing its work.

Under overload a server that takes every queued request in turn ends up working only
for clients that have given up: each answer comes after its client's timeout, the
client retries, and a pledge may be reserved for nobody. Refusing the late ones at once
keeps the queue short, so the requests behind them are answered in time, and a 503 is
always given before anything is written, so a client told 503 knows nothing happened.

When the request arrived is known from two places, the later of which (the longer wait)
counts:

- ``X-Request-Start`` set by the reverse proxy (nginx: ``proxy_set_header
  X-Request-Start "t=${msec}";``): seconds, milliseconds or microseconds since the
  epoch, with or without ``t=``. A client sending it itself can only shorten its own
  deadline: the server's own measurement below still applies.
- ``kolaborasi.queued_at`` in the WSGI environ, stamped by kolaborasi's gunicorn worker
  (:mod:`kolaborasi.core.serving`) when the request was put in line for a thread.

Without either (``runserver``, the test client) nothing is shed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from .refusal import refuse

logger = logging.getLogger(__name__)

QUEUED_AT = "kolaborasi.queued_at"  # time.monotonic() when the request was queued
REQUEST_START_HEADER = "HTTP_X_REQUEST_START"
# Liveness answers however long it queued: it costs one trivial query, and a 503 there
# would make a load balancer take a server out exactly when it is busiest. The metrics
# likewise: an overload is when they are read.
NEVER_SHED = frozenset({"/healthz", "/metrics"})


def parse_request_start(value: str) -> float | None:
    """The epoch seconds in an ``X-Request-Start`` value (``t=1700000000.123``,
    ``1700000000123`` ms or ``1700000000123456`` µs); None when it is not a time."""
    value = value.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if not number > 0 or number == float("inf"):
        return None
    # Proxies disagree on the unit; the magnitude tells them apart for any date after 1973.
    if number > 1e14:
        number /= 1e6
    elif number > 1e11:
        number /= 1e3
    return number


def queue_wait(meta: dict[str, object]) -> float | None:
    """Seconds this request waited before the app started it, or None if unknown."""
    waits: list[float] = []
    queued_at = meta.get(QUEUED_AT)
    if isinstance(queued_at, float):
        waits.append(time.monotonic() - queued_at)
    header = meta.get(REQUEST_START_HEADER)
    if isinstance(header, str) and header:
        started = parse_request_start(header)
        if started is not None:
            waits.append(time.time() - started)
    return max(waits) if waits else None


class LoadSheddingMiddleware:
    """First in MIDDLEWARE: a late request costs one small page, nothing else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._lock = threading.Lock()
        self._shed_since_log = 0
        self._last_log = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        deadline = settings.REQUEST_QUEUE_DEADLINE_MS / 1000
        if deadline > 0 and request.path not in NEVER_SHED:
            waited = queue_wait(request.META)
            if waited is not None and waited > deadline:
                return self.shed(request, waited, deadline)
        return self.get_response(request)

    def shed(self, request: HttpRequest, waited: float, deadline: float) -> HttpResponse:
        # The locale middleware has not run yet; a person still reads the page in the
        # language they chose.
        with translation.override(translation.get_language_from_request(request)):
            response = refuse(
                request,
                503,
                _("Server sedang menerima terlalu banyak permintaan; permintaan Anda belum diproses."),
                next_step=_("Tidak ada yang tersimpan. Kirim ulang sebentar lagi."),
                retry_after=settings.REQUEST_SHED_RETRY_AFTER,
            )
        # One log line per shed request would add to the overload it answers; a summary
        # at most once a second says the same (Django's request log is told to skip it).
        response._has_been_logged = True  # type: ignore[attr-defined]
        self._log(waited, deadline)
        return response

    def _log(self, waited: float, deadline: float) -> None:
        now = time.monotonic()
        with self._lock:
            self._shed_since_log += 1
            if now - self._last_log < 1.0:
                return
            count, self._shed_since_log, self._last_log = self._shed_since_log, 0, now
        logger.warning(
            "load shedding: %d request(s) answered 503 (waited %.0f ms, deadline %.0f ms)",
            count,
            waited * 1000,
            deadline * 1000,
        )

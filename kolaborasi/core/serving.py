"""kolaborasi's gunicorn worker: gunicorn's threaded worker (``gthread``) that tells the
app how long each request waited for a thread, so that load shedding
(:mod:`kolaborasi.core.shedding`) works without a proxy in front.

The threaded worker's main loop accepts connections as they come and queues them for its
thread pool; under overload that queue is where requests wait. This worker stamps each
connection when it is queued (on accept, and again whenever a kept-alive connection
brings its next request), measures at the thread how long it waited, and puts the moment
the request arrived into the WSGI environ as ``kolaborasi.queued_at``
(``time.monotonic()``). A sync worker could not: it accepts only when it is free, so the
wait happens in the kernel's listen queue where nobody can see it.

Time a client takes to send its request after connecting is not counted: a slow client is
not a busy server. Connections still in the kernel's listen queue (more than
``worker_connections`` open at once) are not counted either; a proxy's
``X-Request-Start`` covers those."""

from __future__ import annotations

import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from .shedding import QUEUED_AT

_current = threading.local()


class QueueStampWorker(ThreadWorker):  # type: ignore[misc]
    def enqueue_req(self, conn: Any) -> None:
        conn.kolaborasi_enqueued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        # Runs in the pool thread: the time since queuing is the wait for a thread.
        enqueued_at = getattr(conn, "kolaborasi_enqueued_at", None)
        conn.kolaborasi_waited = time.monotonic() - enqueued_at if enqueued_at is not None else None
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        waited = getattr(conn, "kolaborasi_waited", None)
        _current.queued_at = time.monotonic() - waited if waited is not None else None
        try:
            return super().handle_request(req, conn)
        finally:
            _current.queued_at = None

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app: Any = getattr(self, "wsgi")  # noqa: B009 - set by gunicorn, untyped

        def stamped(environ: dict[str, Any], start_response: Any) -> Any:
            queued_at = getattr(_current, "queued_at", None)
            if queued_at is not None:
                environ[QUEUED_AT] = queued_at
            return app(environ, start_response)

        self.wsgi = stamped

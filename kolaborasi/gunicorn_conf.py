"""gunicorn settings for production:

    .venv/bin/gunicorn -c python:kolaborasi.gunicorn_conf kolaborasi.wsgi

Command-line flags still win over these (``-b``, ``-w``, ``--threads``...).

Threaded workers of our own (kolaborasi.core.serving.QueueStampWorker) accept
connections as they come and stamp when each request was queued, so a request that
waited past ``REQUEST_QUEUE_DEADLINE_MS`` is answered 503 at once instead of being worked
on for a client that has given up. Each thread holds its own database connection:
``WEB_CONCURRENCY`` × ``GUNICORN_THREADS`` connections in all (mind PostgreSQL's
``max_connections`` or use PgBouncer)."""

from __future__ import annotations

import os


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment; anything else stops the start."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r}: expected a whole number") from None
    if number < 1:
        raise SystemExit(f"{name}={value!r}: expected 1 or more")
    return number


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _count("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
threads = _count("GUNICORN_THREADS", 4)
worker_class = "kolaborasi.core.serving.QueueStampWorker"
preload_app = True
# A request still running after this many seconds is a bug or a stuck database: the
# worker is restarted rather than left to hold its threads.
timeout = _count("GUNICORN_TIMEOUT", 30)
keepalive = 5
# gunicorn's control socket lives at one path per user: a second server on the machine
# (a test, the benchmark) would take it over. Nothing here uses it.
control_socket_disable = True


def pre_fork(server: object, worker: object) -> None:
    """A worker must not inherit the master's database connections or its connection
    pool (whose threads do not survive a fork): each worker opens its own pool, bounded
    by DB_POOL_MAX_SIZE, on its first request."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None and getattr(connection, "pool", None) is not None:
            close_pool()

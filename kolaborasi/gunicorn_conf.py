"""gunicorn settings for production:

    .venv/bin/gunicorn -c python:kolaborasi.gunicorn_conf kolaborasi.wsgi

Command-line flags still win over these (``-b``, ``-w``, ``--threads``...).

Threaded workers of our own (kolaborasi.core.serving.QueueStampWorker) accept
connections as they come and stamp when each request was queued, so a request that
waited past ``REQUEST_QUEUE_DEADLINE_MS`` is answered 503 at once instead of being worked
on for a client that has given up. Each thread holds its own database connection:
``WEB_CONCURRENCY`` × ``GUNICORN_THREADS`` connections in all (mind PostgreSQL's
``max_connections`` or use PgBouncer).

Metrics: every worker keeps its counts in files under ``PROMETHEUS_MULTIPROC_DIR``
(var/metrics unless the environment names another directory), which a scrape of
``/metrics`` adds up whichever worker answers it (kolaborasi.core.metrics). The files are
removed when the server starts, so the counts start again from zero; a reload (HUP)
keeps them."""

from __future__ import annotations

import os
from pathlib import Path

from kolaborasi.environment import var_dir


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

metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip() or var_dir() / "metrics")
# Set by gunicorn before it loads the app (prometheus_client reads it on import) and
# passed to every worker.
raw_env = [f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}"]


def on_starting(server: object) -> None:
    """Counts start from zero with the server: the files of an earlier run are removed
    (only its ``*.db`` files: the directory may be one the operator named). Not after a
    USR2 upgrade, whose old workers still count there."""
    if "GUNICORN_PID" in os.environ:
        return
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: object, worker: object) -> None:
    """A worker that exited keeps its counts (they are summed); only its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(metrics_dir))  # type: ignore[attr-defined]


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

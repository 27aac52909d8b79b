"""Liveness and readiness. ``/healthz`` (liveness): the process answers and its
database answers. ``/readyz`` (readiness, for a load balancer or a deploy script): the
database answers, every migration is applied, and a background worker has shown a sign
of life within ``READY_HEARTBEAT_SECONDS`` (two minutes)."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .models import WorkerHeartbeat

# Once every migration is seen applied, a running process need not look again (a
# migration is never un-applied under a running site).
_migrated = False


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def heartbeat() -> None:
    """The worker's sign of life (its own row, written every WORKER_HEARTBEAT_SECONDS)."""
    WorkerHeartbeat.objects.update_or_create(worker=worker_name(), defaults={"beat_at": timezone.now()})
    # Rows of workers gone for a day are only clutter.
    WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - dt.timedelta(days=1)).delete()


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, a word per check: "ok" or what is wrong)."""
    global _migrated
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not ready"
        return False, {"database": type(exc).__name__}
    checks["database"] = "ok"
    if not _migrated:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrated = not pending
    checks["migrations"] = "ok" if _migrated else "pending"
    fresh = timezone.now() - dt.timedelta(seconds=settings.READY_HEARTBEAT_SECONDS)
    last = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if last is None:
        checks["worker"] = "none"
    elif last < fresh:
        checks["worker"] = f"stale ({int((timezone.now() - last).total_seconds())} s)"
    else:
        checks["worker"] = "ok"
    return all(v == "ok" for v in checks.values()), checks

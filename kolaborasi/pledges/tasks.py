"""Background jobs (django.tasks; the database backend's worker runs them)."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from kolaborasi.core.tasks import periodic

from .expiry import pledges_expire
from .retention import evidence_expire


@task()
def pledges_expire_task(today: str | None = None) -> dict[str, int]:
    """Expire overdue pledges and send reminders; ``today`` (ISO date) for replays."""
    report = pledges_expire(today=dt.date.fromisoformat(today) if today else None)
    return {"expired": report.expired, "reminded": report.reminded, "released_units": report.released_units}


periodic(
    pledges_expire_task,
    option="expire-every",
    seconds=600.0,
    help="seconds between pledge expiry sweeps (0: do not schedule them)",
)


@task()
def evidence_expire_task(today: str | None = None) -> dict[str, int]:
    """Remove delivery photos whose retention has ended (pledges.retention)."""
    report = evidence_expire(today=dt.date.fromisoformat(today) if today else None)
    return {"deliveries": report.deliveries, "files": report.files}


periodic(
    evidence_expire_task,
    option="evidence-every",
    seconds=86400.0,
    help="seconds between removals of delivery photos past their retention (0: do not schedule them)",
)

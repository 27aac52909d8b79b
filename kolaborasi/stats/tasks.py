"""Background jobs (django.tasks; the database backend's worker runs them)."""

from __future__ import annotations

from django.tasks import task

from kolaborasi.core.tasks import periodic

from .tally import fold


@task()
def tally_fold_task() -> dict[str, int]:
    """Fold the deltas of the stats' running totals, so that they never pile up while
    nobody reads the figures (every read folds too)."""
    return {"folded": fold()}


periodic(
    tally_fold_task,
    option="fold-every",
    seconds=60.0,
    help="seconds between folds of the public figures' running totals (0: do not schedule them)",
)

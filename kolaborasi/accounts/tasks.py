"""Background jobs of accounts (django.tasks; the database backend's worker runs them)."""

from __future__ import annotations

from django.tasks import task

from kolaborasi.core.tasks import periodic

from .retention import unverified_accounts_remove


@task()
def unverified_accounts_remove_task() -> dict[str, int]:
    """Remove accounts whose address was never verified in time (accounts.retention)."""
    return {"removed": unverified_accounts_remove()}


periodic(
    unverified_accounts_remove_task,
    option="unverified-every",
    seconds=86400.0,
    help="seconds between removals of accounts never verified in time (0: do not schedule them)",
)

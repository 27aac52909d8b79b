"""Background jobs (django.tasks; the database backend's worker runs them)."""

from __future__ import annotations

from django.tasks import task

from .once import keys_expire


@task()
def keys_expire_task() -> dict[str, int]:
    """Remove expired one-time form keys and API idempotency records."""
    return {"removed": keys_expire()}

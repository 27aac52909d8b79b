"""Background jobs (django.tasks; the database backend's worker runs them)."""

from __future__ import annotations

from django.tasks import task

from kolaborasi.core.tasks import periodic

from .services import SIGN_MAX_AGE, audit_head_sign


@task()
def audit_head_sign_task() -> dict[str, int | None]:
    """Sign the audit chain's head if it moved or its last signature is a minute old.
    Queued every few seconds, so a signature is never much more than a minute old and a
    new event is signed within seconds."""
    signed = audit_head_sign(only_if_due=True)
    return {"signed_seq": signed.seq if signed is not None else None}


periodic(
    audit_head_sign_task,
    option="sign-every",
    seconds=10.0,
    help="seconds between checks whether the audit chain's head is due for a signature: it is "
    f"signed when it moved, or when its last signature is {int(SIGN_MAX_AGE.total_seconds())} s old "
    "(0: do not schedule them)",
)

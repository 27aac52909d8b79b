"""Every e-mail the site sends goes through :func:`mail_queue`: it is handed to the
background worker only once the transaction that caused it has committed, and the
worker retries it with growing pauses when the mail server is unreachable. A request
therefore never waits for SMTP, never fails because of it, and never sends mail about
something that was rolled back."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import TaskContext, task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)


def mail_queue(*, subject: str, body: str, to: Iterable[str]) -> None:
    """Send this mail from the worker after the current transaction commits (at once
    when there is none). ``subject`` and ``body`` are rendered by the caller, in the
    language of the person who caused the mail."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    # robust: a queue that cannot be written to is logged, not turned into a 500 for a
    # request whose own work has already committed.
    transaction.on_commit(
        lambda: mail_send_task.enqueue(subject=subject, body=body, to=recipients), robust=True
    )


def retry_delay(attempt: int) -> timedelta:
    """Pause before attempt ``attempt + 1``: MAIL_RETRY_SECONDS, doubled each time."""
    return timedelta(seconds=settings.MAIL_RETRY_SECONDS * 2 ** (attempt - 1))


class MailNotSent(Exception):
    """An e-mail that could not be sent in MAIL_MAX_ATTEMPTS attempts."""


@task(takes_context=True)
def mail_send_task(
    context: TaskContext, *, subject: str, body: str, to: list[str], attempt: int = 1
) -> dict[str, object]:
    """Send one mail. On an SMTP or network error queue the next attempt for later
    (at most MAIL_MAX_ATTEMPTS in all); the last failure is logged and raised, so the
    task shows as failed in the admin. Once handled, the body (which may hold a
    password-reset link) is erased from the queue's table."""
    try:
        try:
            send_mail(subject, body, None, to)
        except (smtplib.SMTPException, OSError) as exc:
            if attempt >= settings.MAIL_MAX_ATTEMPTS:
                # No addresses in the log: they are personal data (and an SMTP refusal
                # repeats them in its message).
                task_id, reason = context.task_result.id, type(exc).__name__
                logger.error("mail task %s failed after %s attempts: %s", task_id, attempt, reason)
                # The task's stored failure must not repeat the addresses either.
                raise MailNotSent(f"{type(exc).__name__} after {attempt} attempts") from None
            run_after = timezone.now() + retry_delay(attempt)
            mail_send_task.using(run_after=run_after).enqueue(
                subject=subject, body=body, to=to, attempt=attempt + 1
            )
            logger.warning(
                "mail task %s failed (attempt %s, %s), retrying at %s",
                context.task_result.id,
                attempt,
                type(exc).__name__,
                run_after,
            )
            return {"sent": False, "attempt": attempt, "retry_at": run_after.isoformat()}
        return {"sent": True, "attempt": attempt}
    finally:
        _forget_body(context, subject=subject, to=to, attempt=attempt)


def _forget_body(context: TaskContext, **kept: object) -> None:
    if isinstance(mail_send_task.get_backend(), DatabaseBackend):
        from django_tasks_db.models import DBTaskResult  # a model: not at import time

        DBTaskResult.objects.filter(id=context.task_result.id).update(
            args_kwargs={"args": [], "kwargs": {**kept, "body": ""}}
        )


def mail_forget_address(address: str) -> int:
    """Erase ``address`` from the mail queue (a person's erasure): a mail not yet sent to
    it is dropped, and a handled one keeps no trace of it. Returns how many tasks held it."""
    if not isinstance(mail_send_task.get_backend(), DatabaseBackend):
        return 0
    from django_tasks_db.models import DBTaskResult  # a model: not at import time

    wanted = address.strip().lower()
    found = 0
    tasks = DBTaskResult.objects.filter(task_path=mail_send_task.module_path).only(
        "id", "args_kwargs", "status"
    )
    for queued in tasks.iterator(chunk_size=500):
        kwargs = (queued.args_kwargs or {}).get("kwargs", {})
        to = [str(a) for a in kwargs.get("to", [])]
        if wanted not in (a.strip().lower() for a in to):
            continue
        found += 1
        rest = [a for a in to if a.strip().lower() != wanted]
        if queued.status in ("READY", "RUNNING") and not rest:
            DBTaskResult.objects.filter(id=queued.id).delete()
        else:
            # The body may name the person too: it goes with their address.
            DBTaskResult.objects.filter(id=queued.id).update(
                args_kwargs={"args": [], "kwargs": {**kwargs, "to": rest, "body": ""}}
            )
    return found

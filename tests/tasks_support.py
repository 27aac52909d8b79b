"""Run the background worker's queue inside a test: what ``kolaborasi worker`` would do,
on the test's own connection (the real worker closes connections between tasks, which
would end the test's transaction)."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends import locmem
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet


def run_tasks(*, include_later: bool = False) -> int:
    """Run every task that is due; with ``include_later`` also those waiting for a
    later time, as if it had come (retries they schedule wait for the next call).
    Returns how many ran. Mail is queued when a transaction commits: wrap the request
    in ``django_capture_on_commit_callbacks(execute=True)`` first (the test's own
    transaction never commits)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    queued: DBTaskResultQuerySet = DBTaskResult.objects.all()  # type: ignore[assignment]
    if include_later:
        # Only what is waiting now: a retry scheduled by a task run here stays for later.
        queued.filter(status="READY", run_after__gt=timezone.now()).update(run_after=timezone.now())
    ran = 0
    while True:
        task = queued.ready().order_by("enqueued_at").first()
        if task is None:
            return ran
        task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1


class FlakyMailBackend(locmem.EmailBackend):
    """The test mail backend, except that the next ``failures`` sends fail the way an
    unreachable SMTP server does. Select it with ``settings.MAILERS = FLAKY_MAILERS``."""

    failures = 0

    def send_messages(self, email_messages: Any) -> int:
        if FlakyMailBackend.failures > 0:
            FlakyMailBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return int(super().send_messages(email_messages))


FLAKY_MAILERS = {"default": {"BACKEND": "tests.tasks_support.FlakyMailBackend"}}

"""Mail goes out through the worker after commit and is retried: with the mail server
down, registration still answers its normal page and keeps the account; the worker
tries again later and sends; it gives up after MAIL_MAX_ATTEMPTS."""

from __future__ import annotations

import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from kolaborasi.core.mail import mail_send_task, retry_delay
from tests.tasks_support import FLAKY_MAILERS, FlakyMailBackend, run_tasks

PASSWORD = "Kuat-dan-panjang-2026"
FORM = {"username": "sari", "email": "sari@example.org", "password1": PASSWORD, "password2": PASSWORD}


@pytest.fixture
def flaky_mail(settings):  # type: ignore[no-untyped-def]
    settings.MAILERS = FLAKY_MAILERS
    settings.MAIL_MAX_ATTEMPTS = 3
    FlakyMailBackend.failures = 0
    yield FlakyMailBackend
    FlakyMailBackend.failures = 0


def _mail_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=mail_send_task.module_path).order_by("enqueued_at"))


@pytest.mark.django_db
def test_registration_survives_a_mail_outage_and_the_mail_follows(  # type: ignore[no-untyped-def]
    client: Client, flaky_mail, django_capture_on_commit_callbacks
) -> None:
    flaky_mail.failures = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/daftar/", FORM)
    # The request never touched SMTP: the normal page, and the account is there.
    assert response.status_code == 200
    assert "Periksa e-mail Anda" in response.content.decode()
    assert get_user_model().objects.filter(username="sari", is_active=False).exists()
    assert [t.status for t in _mail_tasks()] == ["READY"]

    # First attempt: the server is down; the task schedules its own retry for later.
    assert run_tasks() == 1
    assert mail.outbox == []
    first, retry = _mail_tasks()
    assert first.status == "SUCCESSFUL" and first.return_value["sent"] is False
    assert retry.status == "READY" and retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > first.finished_at
    assert run_tasks() == 0  # not due yet

    # Later: still down once more, then it goes through.
    assert run_tasks(include_later=True) == 1
    assert mail.outbox == []
    assert run_tasks(include_later=True) == 1
    assert [m.to for m in mail.outbox] == [["sari@example.org"]]
    assert "/akun/verifikasi/" in str(mail.outbox[0].body)
    assert _mail_tasks()[-1].return_value == {"sent": True, "attempt": 3}
    # The queue no longer holds the link (a reset link would otherwise sit there).
    assert all(t.args_kwargs["kwargs"]["body"] == "" for t in _mail_tasks())
    assert all(t.args_kwargs["kwargs"]["to"] == ["sari@example.org"] for t in _mail_tasks())


@pytest.mark.django_db
def test_gives_up_after_the_last_attempt(flaky_mail) -> None:  # type: ignore[no-untyped-def]
    flaky_mail.failures = 10
    mail_send_task.enqueue(subject="s", body="b", to=["x@example.org"])
    ran = sum(run_tasks(include_later=True) for _ in range(5))
    assert ran == 3  # MAIL_MAX_ATTEMPTS, then no more
    statuses = [t.status for t in _mail_tasks()]
    assert statuses == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]
    assert mail.outbox == []
    assert flaky_mail.failures == 7
    assert all(t.args_kwargs["kwargs"]["body"] == "" for t in _mail_tasks())


@pytest.mark.django_db
def test_a_failed_mail_leaves_no_address_in_the_log_or_the_stored_failure(  # type: ignore[no-untyped-def]
    flaky_mail, caplog, monkeypatch
) -> None:
    def refuse(self, messages):  # type: ignore[no-untyped-def]
        # What an SMTP server's refusal looks like: it names the addresses.
        raise smtplib.SMTPRecipientsRefused({a: (550, b"no such user") for m in messages for a in m.to})

    monkeypatch.setattr(flaky_mail, "send_messages", refuse)
    mail_send_task.enqueue(subject="s", body="b", to=["rahasia@example.org"])
    with caplog.at_level("WARNING", logger="kolaborasi.core.mail"):
        for _ in range(5):
            run_tasks(include_later=True)
    assert caplog.records  # the failures were logged ...
    assert "rahasia" not in caplog.text  # ... without the address
    failed = [t for t in _mail_tasks() if t.status == "FAILED"]
    assert failed and all("rahasia" not in str(t.exception_class_path) + str(t.traceback) for t in failed)


def test_backoff_doubles(settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAIL_RETRY_SECONDS = 60
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]

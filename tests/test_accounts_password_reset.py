"""Password reset: an e-mailed single-use link (sent by the worker), then a new password."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from tests.tasks_support import run_tasks

NEW_PASSWORD = "Sandi-baru-yang-kuat-2026"


def test_reset_by_email_then_login_with_the_new_password(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/sandi/lupa/", {"email": "dina@example.org"})
    run_tasks()
    assert response.status_code == 302
    assert response["Location"] == "/akun/sandi/terkirim/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dina@example.org"]
    match = re.search(r"http://testserver(/akun/sandi/atur/[^\s]+/)", str(mail.outbox[0].body))
    assert match, mail.outbox[0].body

    response = client.get(match.group(1))
    assert response.status_code == 302  # Django swaps the token for a session-bound URL
    form_url = response["Location"]
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"] is True

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/akun/sandi/selesai/"
    dina = personas["dina"].user
    dina.refresh_from_db()
    assert dina.check_password(NEW_PASSWORD)

    # The link works once only.
    assert client.get(match.group(1), follow=True).context["validlink"] is False

    response = client.post("/akun/masuk/", {"username": "dina", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(dina.pk)


def test_unknown_email_gets_the_same_answer_and_no_mail(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/sandi/lupa/", {"email": "tidak-ada@example.org"})
    run_tasks()
    assert response.status_code == 302
    assert response["Location"] == "/akun/sandi/terkirim/"
    assert mail.outbox == []


def test_mismatched_new_passwords_change_nothing(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/sandi/lupa/", {"email": "dina@example.org"})
    run_tasks()
    match = re.search(r"http://testserver(/akun/sandi/atur/[^\s]+/)", str(mail.outbox[0].body))
    assert match
    form_url = client.get(match.group(1))["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    dina = personas["dina"].user
    dina.refresh_from_db()
    assert not dina.check_password(NEW_PASSWORD)

"""Self-registration: the account stays inactive until the e-mailed link is opened;
then the person can log in (and log out). Mail goes out through the worker
(``run_tasks``)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from tests.tasks_support import run_tasks

User = get_user_model()
PASSWORD = "Kuat-dan-panjang-2026"
FORM = {"username": "sari", "email": "sari@example.org", "password1": PASSWORD, "password2": PASSWORD}


def _link(body: str) -> str:
    match = re.search(r"http://testserver(/akun/verifikasi/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def _register(client: Client, capture, data: dict[str, str] = FORM):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post("/akun/daftar/", data)
    run_tasks()
    return response


@pytest.mark.django_db
def test_register_verify_login_logout(client: Client, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    response = _register(client, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "sari@example.org" in response.content.decode()
    user = User.objects.get(username="sari")
    assert user.is_active is False
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="user.registered", object_id=str(user.pk)).exists()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sari@example.org"]
    link = _link(str(message.body))

    # Before the link is opened the account cannot log in, and the page says why.
    response = client.post("/akun/masuk/", {"username": "sari", "password": PASSWORD})
    assert response.status_code == 200
    assert "tautan verifikasi" in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == "/akun/masuk/"
    user.refresh_from_db()
    assert user.is_active is True
    assert AuditEvent.objects.filter(action="user.verified", object_id=str(user.pk)).count() == 1

    # Opening the link again is harmless: no second event.
    assert client.get(link).status_code == 302
    assert AuditEvent.objects.filter(action="user.verified", object_id=str(user.pk)).count() == 1

    response = client.post("/akun/masuk/", {"username": "sari", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/akun/").status_code == 200

    response = client.post("/akun/keluar/")
    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_tampered_or_foreign_link_is_refused(client: Client, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    _register(client, django_capture_on_commit_callbacks)
    link = _link(str(mail.outbox[0].body))
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 400
    assert "tidak sah" in response.content.decode()
    response = client.get("/akun/verifikasi/bukan-token/")
    assert response.status_code == 400
    assert User.objects.get(username="sari").is_active is False


@pytest.mark.django_db
def test_link_stops_working_when_the_email_changes(
    client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _register(client, django_capture_on_commit_callbacks)
    link = _link(str(mail.outbox[0].body))
    User.objects.filter(username="sari").update(email="lain@example.org")
    assert client.get(link).status_code == 400
    assert User.objects.get(username="sari").is_active is False


@pytest.mark.django_db
def test_resend_sends_a_fresh_link_only_to_waiting_accounts(
    client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _register(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/verifikasi/kirim-ulang/", {"email": "SARI@example.org"})
    run_tasks()
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert client.get(_link(str(mail.outbox[1].body))).status_code == 302
    assert User.objects.get(username="sari").is_active is True
    # Unknown or already active addresses get the same answer and no mail.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/verifikasi/kirim-ulang/", {"email": "sari@example.org"})
        client.post("/akun/verifikasi/kirim-ulang/", {"email": "siapa@example.org"})
    run_tasks()
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "bukan-email"}, "email", ""),
        ({"password2": "lain-sama-sekali-2026"}, "password2", ""),
        ({"password1": "12345678", "password2": "12345678"}, "password2", ""),
        ({"username": ""}, "username", ""),
    ],
)
def test_bad_registration_creates_nothing(  # type: ignore[no-untyped-def]
    client: Client, personas, django_capture_on_commit_callbacks, change, field, message
) -> None:
    before = User.objects.count()
    response = _register(client, django_capture_on_commit_callbacks, {**FORM, **change})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert User.objects.count() == before
    assert mail.outbox == []

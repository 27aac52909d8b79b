"""Verification and password-reset links are opaque: a random token in the URL, only
its hash in the database; nothing in the link names the address or the account. Each
works once and expires."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.models import EmailLink
from tests.tasks_support import run_tasks

User = get_user_model()
PASSWORD = "Kuat-dan-panjang-2026"
NEW_PASSWORD = "Sandi-baru-yang-kuat-2026"

pytestmark = pytest.mark.django_db


def _encodings(text: str) -> set[str]:
    raw = text.encode()
    forms = {text, text.lower()}
    for enc in (base64.b64encode, base64.urlsafe_b64encode, base64.b32encode, base64.b16encode):
        value = enc(raw).decode()
        forms |= {value, value.rstrip("="), value.lower().rstrip("=")}
    return forms


def _assert_opaque(url: str, user) -> str:  # type: ignore[no-untyped-def]
    token = url.rstrip("/").rsplit("/", 1)[1]
    for secret in (user.email, user.username):
        for form in _encodings(secret):
            assert form not in url, (form, url)
    # A random token (32 bytes) and nothing else; the database keeps only its hash.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
    row = EmailLink.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
    assert row.user_id == user.pk
    assert not EmailLink.objects.filter(token_hash=token).exists()
    return token


def _link(pattern: str) -> str:
    match = re.search(rf"http://testserver({pattern}[^\s]+/)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_verification_link_is_opaque_single_use_and_expires(  # type: ignore[no-untyped-def]
    client: Client, django_capture_on_commit_callbacks
) -> None:
    form = {"username": "sari", "email": "sari@example.org", "password1": PASSWORD, "password2": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/daftar/", form)
    run_tasks()
    sari = User.objects.get(username="sari")
    link = _link("/akun/verifikasi/")
    _assert_opaque(link, sari)

    # An expired link does nothing and says so.
    EmailLink.objects.filter(user=sari).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(link)
    assert response.status_code == 400 and "kedaluwarsa" in response.content.decode()
    sari.refresh_from_db()
    assert sari.is_active is False

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/verifikasi/kirim-ulang/", {"email": "sari@example.org"})
    run_tasks()
    fresh = _link("/akun/verifikasi/")
    assert fresh != link
    assert client.get(fresh).status_code == 302
    sari.refresh_from_db()
    assert sari.is_active is True
    assert EmailLink.objects.get(token_hash=hashlib.sha256(fresh.split("/")[-2].encode()).hexdigest()).used_at


def test_reset_link_is_opaque_single_use_and_expires(  # type: ignore[no-untyped-def]
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:
    dina = personas["dina"].user
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/sandi/lupa/", {"email": "dina@example.org"})
    run_tasks()
    link = _link("/akun/sandi/atur/")
    _assert_opaque(link, dina)

    # The token leaves the address bar at once: the form's URL carries none.
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == "/akun/sandi/atur/sesi/"
    response = client.post(
        "/akun/sandi/atur/sesi/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    dina.refresh_from_db()
    assert dina.check_password(NEW_PASSWORD)

    # Used once: a second visit (even from another browser) is refused.
    other = Client()
    other.get(link)
    response = other.get("/akun/sandi/atur/sesi/")
    assert response.context["validlink"] is False
    response = other.post(
        "/akun/sandi/atur/sesi/",
        {"new_password1": "X-lain-2026-panjang", "new_password2": "X-lain-2026-panjang"},
    )
    dina.refresh_from_db()
    assert dina.check_password(NEW_PASSWORD)

    # An expired link does not open the form.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/sandi/lupa/", {"email": "dina@example.org"})
    run_tasks()
    late = _link("/akun/sandi/atur/")
    EmailLink.objects.filter(user=dina, used_at__isnull=True).update(expires_at=timezone.now())
    fresh_client = Client()
    fresh_client.get(late)
    assert fresh_client.get("/akun/sandi/atur/sesi/").context["validlink"] is False

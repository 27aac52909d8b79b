"""Registration answers the same whether or not the address or the username is taken:
a new address gets an account and a link; a known address gets no account and its owner
a notice; a taken username gets a free variant, named only in the e-mail."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.tasks_support import run_tasks

User = get_user_model()
PASSWORD = "Kuat-dan-panjang-2026"

pytestmark = pytest.mark.django_db


def _register(client: Client, capture, username: str, email: str) -> str:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post(
            "/akun/daftar/",
            {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
        )
    run_tasks()
    assert response.status_code == 200
    assert "accounts/register_done.html" in [t.name for t in response.templates]
    # What differs between two answers may only be the address the person typed (and
    # the per-response CSRF token and CSP nonce).
    page = response.content.decode().replace(email, "EMAIL")
    page = re.sub(r'(value|nonce)="[^"]*"', r'\1=""', page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", page)


def test_new_and_known_address_get_the_same_page(  # type: ignore[no-untyped-def]
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:
    users_before = User.objects.count()
    new = _register(client, django_capture_on_commit_callbacks, "sari", "sari@example.org")
    known = _register(client, django_capture_on_commit_callbacks, "orang-lain", "DINA@example.org")
    assert new == known
    # One account only (the new address's); the known address has no second account.
    assert User.objects.count() == users_before + 1
    assert User.objects.filter(email__iexact="dina@example.org").count() == 1
    assert not User.objects.filter(username="orang-lain").exists()
    # Each address got its mail: a verification link; a notice to dina.
    assert [m.to for m in mail.outbox] == [["sari@example.org"], ["dina@example.org"]]
    assert "/akun/verifikasi/" in str(mail.outbox[0].body)
    notice = str(mail.outbox[1].body)
    assert "mencoba mendaftar" in notice
    assert "http://testserver/akun/masuk/" in notice and "http://testserver/akun/sandi/lupa/" in notice
    assert "/akun/verifikasi/" not in notice
    # dina's password is untouched.
    dina = personas["dina"].user
    dina.refresh_from_db()
    assert not dina.check_password(PASSWORD)


def test_taken_username_gets_the_same_page_and_a_free_variant(  # type: ignore[no-untyped-def]
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:
    free = _register(client, django_capture_on_commit_callbacks, "sari", "sari@example.org")
    taken = _register(client, django_capture_on_commit_callbacks, "DINA", "dewi@example.org")
    assert free == taken
    dewi = User.objects.get(email="dewi@example.org")
    assert dewi.username != "dina" and re.fullmatch(r"DINA\d{4}", dewi.username)
    assert dewi.is_active is False and dewi.check_password(PASSWORD)
    # Only dewi's own mailbox learns which name the account got.
    body = str(mail.outbox[1].body)
    assert mail.outbox[1].to == ["dewi@example.org"]
    assert f'"{dewi.username}"' in body and "sudah dipakai" in body
    assert "sudah dipakai" not in str(mail.outbox[0].body)


def test_known_but_unverified_address_gets_a_fresh_link(  # type: ignore[no-untyped-def]
    client: Client, django_capture_on_commit_callbacks
) -> None:
    _register(client, django_capture_on_commit_callbacks, "sari", "sari@example.org")
    _register(client, django_capture_on_commit_callbacks, "sari2", "sari@example.org")
    assert User.objects.filter(email="sari@example.org").count() == 1
    assert [m.to for m in mail.outbox] == [["sari@example.org"], ["sari@example.org"]]
    assert all("/akun/verifikasi/" in str(m.body) for m in mail.outbox)

"""Registration, verification resend and password reset are throttled per client
address (THROTTLE_REGISTER, THROTTLE_VERIFY_RESEND, THROTTLE_PASSWORD_RESET: 10 an hour
each) and the e-mail ones also per e-mail address typed in (3 an hour), so one inbox
cannot be flooded from many addresses. A refused request creates no account and sends
no e-mail."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.tasks_support import run_tasks
from tests.throttle_support import assert_throttled


def _sent() -> int:
    """E-mails sent so far: mail goes out through the worker, so run what is queued."""
    run_tasks()
    return len(mail.outbox)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "one_window")]
User = get_user_model()
PASSWORD = "Kuat-dan-panjang-2026"


def _form(n: int) -> dict[str, str]:
    return {
        "username": f"warga{n}",
        "email": f"warga{n}@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


def test_registration_per_address(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            assert client.post("/akun/daftar/", _form(n)).status_code in (200, 302), n
    assert User.objects.filter(username__startswith="warga").count() == 10
    sent = _sent()
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post("/akun/daftar/", _form(10))
    assert_throttled(refused, api=False)
    assert not User.objects.filter(username="warga10").exists()
    assert _sent() == sent
    # The form itself still shows, and another address registers as usual.
    assert client.get("/akun/daftar/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        other = Client().post("/akun/daftar/", _form(11), REMOTE_ADDR="198.51.100.8")
    assert other.status_code in (200, 302)
    assert User.objects.filter(username="warga11").exists()


def test_registration_per_email_from_many_addresses(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """Each registration mails the address typed in (a link, or a notice to an existing
    owner): a fourth one for the same inbox within the hour is refused, whatever the
    sender's address."""
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            form = {**_form(20 + n), "email": "Sasaran@example.org"}
            response = Client().post("/akun/daftar/", form, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code in (200, 302), n
    sent = _sent()
    assert sent >= 1
    with django_capture_on_commit_callbacks(execute=True):
        form = {**_form(30), "email": "sasaran@example.org"}
        refused = Client().post("/akun/daftar/", form, REMOTE_ADDR="198.51.100.77")
    assert_throttled(refused, api=False)
    assert not User.objects.filter(username="warga30").exists()
    assert _sent() == sent


def _waiting_account(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/akun/daftar/", _form(0), REMOTE_ADDR="192.0.2.1")
    run_tasks()  # the registration's own verification mail
    mail.outbox.clear()


def test_verification_resend_per_email_from_many_addresses(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    _waiting_account(django_capture_on_commit_callbacks)
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                "/akun/verifikasi/kirim-ulang/",
                {"email": "Warga0@example.org"},
                REMOTE_ADDR=f"198.51.100.{n}",
            )
        assert response.status_code == 302
    assert _sent() == 3
    with django_capture_on_commit_callbacks(execute=True):
        refused = Client().post(
            "/akun/verifikasi/kirim-ulang/", {"email": "warga0@example.org"}, REMOTE_ADDR="198.51.100.200"
        )
    assert_throttled(refused, api=False)
    assert _sent() == 3


def test_verification_resend_per_address(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for n in range(10):
        assert client.post("/akun/verifikasi/kirim-ulang/", {"email": f"x{n}@example.org"}).status_code == 302
    assert_throttled(client.post("/akun/verifikasi/kirim-ulang/", {"email": "y@example.org"}), api=False)


def test_password_reset_per_email_and_per_address(personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                "/akun/sandi/lupa/", {"email": "dina@example.org"}, REMOTE_ADDR=f"198.51.100.{n}"
            )
        assert response.status_code == 302
    assert _sent() == 3
    with django_capture_on_commit_callbacks(execute=True):
        refused = Client().post(
            "/akun/sandi/lupa/", {"email": "DINA@example.org"}, REMOTE_ADDR="198.51.100.9"
        )
    assert_throttled(refused, api=False)
    assert _sent() == 3

    client = Client()
    for n in range(10):
        assert client.post("/akun/sandi/lupa/", {"email": f"orang{n}@example.org"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post("/akun/sandi/lupa/", {"email": "agus@example.org"})
    assert_throttled(refused, api=False)
    assert _sent() == 3

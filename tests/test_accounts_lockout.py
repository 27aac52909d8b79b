"""Login throttling (django-axes): after 5 failures the username is locked from that
address for 15 minutes, with a clear page, even for the right password; failures from
one address never lock the account for another; each further lockout of the same
username and address lasts twice as long."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.test import Client
from django.test.utils import override_settings

from tests.personas import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_hasher")


def test_five_failures_lock_the_account_with_a_clear_page(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    for _attempt in range(4):
        response = client.post("/akun/masuk/", {"username": "dina", "password": "salah"})
        assert response.status_code == 200
        assert "salah" in response.content.decode()
    response = client.post("/akun/masuk/", {"username": "dina", "password": "salah"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "Terlalu banyak percobaan masuk" in page
    assert "15 menit" in page

    # The right password does not get through while locked.
    response = client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    for _attempt in range(5):
        client.post("/akun/masuk/", {"username": "dina", "password": "salah"})
    response = client.post("/akun/masuk/", {"username": "agus", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["agus"].user.pk)


def test_lockout_page_in_english(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = "en"
    for _attempt in range(5):
        response = client.post("/akun/masuk/", {"username": "dina", "password": "salah"})
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()


def test_success_before_the_limit_resets_the_count(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    for _attempt in range(4):
        client.post("/akun/masuk/", {"username": "dina", "password": "salah"})
    assert client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD}).status_code == 302
    client.post("/akun/keluar/")
    for _attempt in range(4):
        assert client.post("/akun/masuk/", {"username": "dina", "password": "salah"}).status_code == 200


# --- A stranger cannot lock someone else out; repeated lockouts last longer --------------

STRANGER: dict[str, Any] = {"REMOTE_ADDR": "198.51.100.7"}
OWNER: dict[str, Any] = {"REMOTE_ADDR": "203.0.113.20"}


def _fail(client: Client, username: str, times: int, **meta: Any) -> object:
    response = None
    for _attempt in range(times):
        response = client.post("/akun/masuk/", {"username": username, "password": "salah"}, **meta)
    return response


def test_a_strangers_failures_do_not_lock_the_owner_out(personas) -> None:  # type: ignore[no-untyped-def]
    stranger, owner = Client(), Client()
    response = _fail(stranger, "oki", 5, **STRANGER)
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert response["Retry-After"] == str(15 * 60)  # type: ignore[index]
    # The stranger cannot even forge another address without a trusted proxy.
    forged = stranger.post(
        "/akun/masuk/",
        {"username": "oki", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.20",
        **STRANGER,
    )
    assert forged.status_code == 429
    assert "_auth_user_id" not in stranger.session

    response = owner.post("/akun/masuk/", {"username": "oki", "password": PASSWORD}, **OWNER)
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(personas["oki"].user.pk)
    assert AccessAttempt.objects.filter(username="oki", ip_address="198.51.100.7").exists()
    assert not AccessAttempt.objects.filter(username="oki", ip_address="203.0.113.20").exists()


def _time_passes(minutes: int) -> None:
    """Move every recorded failure and its expiry ``minutes`` into the past."""
    delta = timedelta(minutes=minutes)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= delta
        attempt.save(update_fields=["attempt_time"])
    for expiration in AccessAttemptExpiration.objects.all():
        expiration.expires_at -= delta
        expiration.save(update_fields=["expires_at"])


def test_each_further_lockout_doubles_the_wait(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    first = _fail(client, "dina", 5, **STRANGER)
    assert first.status_code == 429 and "15 menit" in first.content.decode()  # type: ignore[attr-defined]

    _time_passes(16)
    # Unlocked again, with the full number of tries...
    for _attempt in range(4):
        response = client.post("/akun/masuk/", {"username": "dina", "password": "salah"}, **STRANGER)
        assert response.status_code == 200
    # ...but the second lockout lasts 30 minutes.
    second = client.post("/akun/masuk/", {"username": "dina", "password": "salah"}, **STRANGER)
    assert second.status_code == 429
    assert "30 menit" in second.content.decode()
    assert second["Retry-After"] == str(30 * 60)

    _time_passes(16)
    # Someone else's login sweeps expired attempts; dina's lockout is not one of them.
    assert Client().post("/akun/masuk/", {"username": "agus", "password": PASSWORD}).status_code == 302
    locked = client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD}, **STRANGER)
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 14 * 60

    _time_passes(15)
    response = client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD}, **STRANGER)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["dina"].user.pk)
    # A successful login forgets the earlier lockouts: the next one is 15 minutes again.
    client.post("/akun/keluar/")
    again = _fail(client, "dina", 5, **STRANGER)
    assert again.status_code == 429 and "15 menit" in again.content.decode()  # type: ignore[attr-defined]


@override_settings(TRUSTED_PROXIES=1)
def test_behind_the_proxy_each_client_is_its_own_address(personas) -> None:  # type: ignore[no-untyped-def]
    """The review's attack: every client reaches the app through one nginx (the test
    client's 127.0.0.1). With the proxy trusted, the stranger's failures lock only the
    stranger's own address, read from X-Forwarded-For."""
    stranger, owner = Client(), Client()
    response = _fail(stranger, "oki", 5, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429  # type: ignore[attr-defined]
    response = owner.post(
        "/akun/masuk/", {"username": "oki", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.20"
    )
    assert response.status_code == 302
    assert AccessAttempt.objects.filter(username="oki", ip_address="198.51.100.7").exists()

"""A logged-in session ends after SESSION_IDLE_MINUTES without a request, and in any
case SESSION_MAX_HOURS after the login, however busy."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from kolaborasi.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from tests.personas import login

pytestmark = pytest.mark.django_db


def _shift(client: Client, **ago_seconds: int) -> None:
    """Pretend the login / the last request happened this many seconds ago."""
    session = client.session
    keys = {"started": SESSION_STARTED_KEY, "seen": SESSION_SEEN_KEY}
    for name, ago in ago_seconds.items():
        session[keys[name]] = int(time.time()) - ago
    session.save()


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_idle_timeout(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_IDLE_MINUTES = 30
    login(client, personas["dina"])
    assert client.get("/akun/").status_code == 200

    # Used 29 minutes ago: still in, and the clock restarts.
    _shift(client, seen=29 * 60)
    assert client.get("/akun/").status_code == 200
    assert int(time.time()) - client.session[SESSION_SEEN_KEY] < 29 * 60

    # Idle for 31 minutes: logged out, sent to the login page with a note.
    _shift(client, seen=31 * 60)
    response = client.get("/akun/", follow=True)
    assert response.redirect_chain[0][0].startswith("/akun/masuk/?next=")
    assert "tidak aktif" in response.content.decode()
    assert not _logged_in(client)


def test_absolute_lifetime(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_MAX_HOURS = 12
    login(client, personas["dina"])
    # Busy all day (last request a minute ago) but logged in 11 hours ago: still in.
    _shift(client, started=11 * 3600, seen=60)
    assert client.get("/akun/").status_code == 200
    # 12 hours and a minute after the login: out, however recent the last request.
    _shift(client, started=12 * 3600 + 60, seen=60)
    response = client.get("/akun/", follow=True)
    assert response.redirect_chain[0][0].startswith("/akun/masuk/?next=")
    assert "terlalu lama" in response.content.decode()
    assert not _logged_in(client)


def test_logging_in_again_starts_a_new_session(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["dina"])
    _shift(client, started=48 * 3600, seen=48 * 3600)
    assert client.get("/akun/").status_code == 302
    login(client, personas["dina"])
    assert client.get("/akun/").status_code == 200

"""The per-address login throttle: one address trying passwords on many accounts is
stopped after THROTTLE_LOGIN (30 an hour) failed logins, whatever the usernames, while
everyone else logs in as usual. Successful logins never count."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.personas import PASSWORD
from tests.throttle_support import rates

pytestmark = pytest.mark.usefixtures("fast_hasher", "one_window")
SPRAYER: dict[str, Any] = {"REMOTE_ADDR": "198.51.100.66"}


def test_spraying_many_usernames_from_one_address_is_throttled(personas) -> None:  # type: ignore[no-untyped-def]
    sprayer = Client()
    for n in range(30):  # the documented default: 30 failures an hour per address
        response = sprayer.post("/akun/masuk/", {"username": f"akun{n}", "password": "tebakan"}, **SPRAYER)
        assert response.status_code == 200, n
    # Beyond the limit even a right password from that address waits.
    refused = sprayer.post("/akun/masuk/", {"username": "agus", "password": PASSWORD}, **SPRAYER)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Terlalu banyak percobaan masuk yang gagal" in refused.content.decode()
    assert "_auth_user_id" not in sprayer.session

    # Another address is not affected.
    other = Client()
    assert other.post("/akun/masuk/", {"username": "agus", "password": PASSWORD}).status_code == 302


@rates(login="3/h")
def test_successful_logins_do_not_count(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _round in range(5):
        assert client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD}).status_code == 302
        client.post("/akun/keluar/")
    for _attempt in range(3):
        assert client.post("/akun/masuk/", {"username": "dina", "password": "salah"}).status_code == 200
    response = client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response


@rates(login="3/h")
def test_the_admin_login_is_no_way_around(personas) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("admin", "admin@example.org", PASSWORD)
    sprayer = Client()
    for n in range(3):
        response = sprayer.post("/admin/login/", {"username": f"akun{n}", "password": "tebakan"}, **SPRAYER)
        assert response.status_code == 200
    # Over the limit even the right password fails through the admin's form...
    response = sprayer.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD}, **SPRAYER
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in sprayer.session
    # ...and the login page says why.
    assert (
        sprayer.post("/akun/masuk/", {"username": "admin", "password": PASSWORD}, **SPRAYER).status_code
        == 429
    )
    # From another address the admin logs in.
    other = Client()
    assert (
        other.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD}).status_code
        == 302
    )

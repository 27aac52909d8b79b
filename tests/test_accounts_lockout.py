"""Login throttling (django-axes): after 5 failures the username is locked from that
address for 15 minutes, with a clear page, even for the right password."""

from __future__ import annotations

from django.test import Client

from tests.personas import PASSWORD


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
    for _attempt in range(5):
        response = client.post(
            "/akun/masuk/", {"username": "dina", "password": "salah"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()


def test_success_before_the_limit_resets_the_count(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    for _attempt in range(4):
        client.post("/akun/masuk/", {"username": "dina", "password": "salah"})
    assert client.post("/akun/masuk/", {"username": "dina", "password": PASSWORD}).status_code == 302
    client.post("/akun/keluar/")
    for _attempt in range(4):
        assert client.post("/akun/masuk/", {"username": "dina", "password": "salah"}).status_code == 200

"""Permission matrix: every accounts URL × every persona (and anonymous).

Expected answers: "login" = redirect to /akun/masuk/; 404 = may not know the
organisation exists; 403 = may see it but not do this."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.accounts.models import ApiToken, EmailLink, Organisation
from tests.personas import login

PERSONAS = ["anonymous", "dina", "agus", "ratna", "oki", "luar"]

# (method, url template, expected per persona in PERSONAS order). {dina_org} is dina's
# donor organisation, {token} its token, {waiting} an unverified aggregator.
MATRIX: list[tuple[str, str, list[object]]] = [
    ("get", "/akun/masuk/", [200, 302, 302, 302, 302, 302]),
    ("get", "/akun/daftar/", [200, 302, 302, 302, 302, 302]),
    ("get", "/akun/sandi/lupa/", [200, 200, 200, 200, 200, 200]),
    ("get", "/akun/verifikasi/kirim-ulang/", [200, 200, 200, 200, 200, 200]),
    ("get", "/akun/", ["login", 200, 200, 200, 200, 200]),
    ("get", "/akun/organisasi/baru/", ["login", 200, 200, 200, 200, 200]),
    ("get", "/akun/organisasi/{dina_org}/", ["login", 200, 404, 404, 200, 404]),
    ("get", "/akun/organisasi/{dina_org}/pengaturan/", ["login", 200, 404, 404, 200, 404]),
    ("get", "/akun/mulai/", ["login", 200, 200, 200, 200, 200]),
    ("post", "/akun/organisasi/{dina_org}/anggota/", ["login", 302, 404, 404, 403, 404]),
    ("post", "/akun/organisasi/{dina_org}/token/", ["login", 200, 404, 404, 403, 404]),
    ("post", "/akun/organisasi/{dina_org}/token/{token}/cabut/", ["login", 302, 404, 404, 403, 404]),
    ("post", "/akun/organisasi/pilih/", ["login", 302, 404, 404, 404, 404]),
    ("get", "/akun/operator/agregator/", ["login", 403, 403, 403, 200, 403]),
    ("post", "/akun/operator/agregator/{waiting}/verifikasi/", ["login", 403, 403, 403, 302, 403]),
    ("get", "/akun/operator/undang/", ["login", 403, 403, 403, 200, 403]),
    ("post", "/akun/operator/undang/", ["login", 403, 403, 403, 302, 403]),
]

CASES = [
    pytest.param(method, url, persona, expected[i], id=f"{method} {url} {persona}")
    for method, url, expected in MATRIX
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("method", "url", "persona", "expected"), CASES)
def test_matrix(client: Client, personas, method: str, url: str, persona: str, expected: object) -> None:  # type: ignore[no-untyped-def]
    dina_org = personas["dina"].organisation
    token = ApiToken.objects.get(organisation=dina_org)
    waiting = Organisation.objects.create(name="Yayasan Menunggu", kind="aggregator")
    get_user_model().objects.create_user("calon", "calon@example.org")  # no password: fast
    path = url.format(dina_org=dina_org.pk, token=token.pk, waiting=waiting.pk)
    data = {
        "email": "calon@example.org",
        "role": "member",
        "name": "uji",
        "organisation": dina_org.pk,
        "yakin": "1",
        "kind": "coordinator",
        "wilayah": "31.74.05.1003.002",
    }
    if persona != "anonymous":
        login(client, personas[persona])
    response = client.get(path) if method == "get" else client.post(path, data)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/akun/masuk/?next=")
    else:
        assert response.status_code == expected

    # Refused writes changed nothing.
    token.refresh_from_db()
    waiting.refresh_from_db()
    if expected != 302 or "cabut" not in path:
        assert token.revoked_at is None
    if expected != 302 or "verifikasi" not in path:
        assert waiting.verified is False
    if expected != 302 or "anggota" not in path:
        assert not dina_org.memberships.filter(user__username="calon").exists()
    if expected != 200 or "token" not in path:
        assert ApiToken.objects.filter(organisation=dina_org).count() == 1
    if expected != 302 or "undang" not in path:
        assert not Organisation.objects.filter(name="uji").exists()
        assert not EmailLink.objects.exists()
    else:
        assert Organisation.objects.get(name="uji").memberships.get().user.username == "calon"

"""API tokens expire and carry a scope (read, pledge, funds), chosen on the
organisation page or on the command line: an expired or revoked token gets 401, a
token used outside its scope 403, each with a ``detail`` saying what to do."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from kolaborasi.accounts.models import ApiToken
from kolaborasi.accounts.services import token_create, token_hash, token_revoke
from tests.personas import login

pytestmark = pytest.mark.django_db
ME = "/api/v1/organisations/me"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(client: Client, path: str, token: str) -> Any:
    return client.get(path, headers=_bearer(token))


def _post(client: Client, path: str, token: str) -> Any:
    return client.post(path, data={}, content_type="application/json", headers=_bearer(token))


def _row(token: str) -> ApiToken:
    return ApiToken.objects.get(key_hash=token_hash(token))


def test_scope_decides_what_a_token_may_do(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    read = token_create(actor=None, organisation=dina.organisation, scopes="read")
    pledge = token_create(actor=None, organisation=dina.organisation, scopes=["pledge"])
    # Every token reads.
    for token in (read, pledge):
        assert _get(client, ME, token).status_code == 200
        assert _get(client, "/api/v1/pledges", token).status_code == 200
    # A read token may not write pledges: 403 before anything else is looked at.
    response = _post(client, "/api/v1/pledges", read)
    assert response.status_code == 403
    assert "pledge" in response.json()["detail"]
    # The pledge scope lets the request through to its own validation (422 for {}).
    assert _post(client, "/api/v1/pledges", pledge).status_code == 422
    # ... but not into the funds.
    response = _post(client, "/api/v1/donations", pledge)
    assert response.status_code == 403
    assert "funds" in response.json()["detail"]
    # The personas' own tokens have every scope.
    assert _row(dina.token).scopes == "read pledge funds"
    assert _post(client, "/api/v1/donations", dina.token).status_code == 422


def test_expired_and_revoked_tokens_get_401(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    agus = personas["agus"]
    token = token_create(actor=None, organisation=agus.organisation, scopes="all")
    row = _row(token)
    assert timedelta(days=89) < row.expires_at - timezone.now() <= timedelta(days=90)
    assert _get(client, ME, token).status_code == 200

    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for response in (_get(client, ME, token), _post(client, "/api/v1/donations", token)):
        assert response.status_code == 401
        assert "kedaluwarsa" in response.json()["detail"]

    other = token_create(actor=None, organisation=agus.organisation)
    token_revoke(actor=None, token=_row(other))
    response = _get(client, ME, other)
    assert response.status_code == 401
    assert "dicabut" in response.json()["detail"]


def test_owner_chooses_the_scope_and_sees_the_expiry(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_TOKEN_DAYS = 30
    agus = personas["agus"]
    login(client, agus)
    response = client.post(
        f"/akun/organisasi/{agus.organisation.pk}/token/", {"name": "gudang", "scopes": "read funds"}
    )
    assert response.status_code == 200
    plain = response.context["new_token"]
    row = _row(plain)
    assert (row.name, row.scopes) == ("gudang", "read funds")
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    page = response.content.decode()
    with translation.override("id"):  # the date as the page writes it: 30 Desember 2026
        expiry = date_format(timezone.localtime(row.expires_at), "j F Y")
    assert expiry in page
    assert "read funds" in page and "30 hari" in page
    assert _post(client, "/api/v1/pledges", plain).status_code == 403

    response = client.post(f"/akun/organisasi/{agus.organisation.pk}/token/", {"scopes": "everything"})
    assert response.status_code == 400


def test_cli_scope_and_days_keep_the_json_contract(run_cli, client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    org = personas["dina"].organisation
    out, _ = run_cli("org", "token", str(org.pk), "--scope", "read", "--days", "7")
    data = json.loads(out)
    assert set(data) == {"id", "token"} and data["id"] == org.pk
    row = _row(data["token"])
    assert row.scopes == "read"
    assert timedelta(days=6) < row.expires_at - timezone.now() <= timedelta(days=7)
    assert _post(client, "/api/v1/pledges", data["token"]).status_code == 403

    # Without --scope: every scope (what scripts written before scopes expect).
    out, _ = run_cli("org", "create", "--name", "Komunitas Baru", "--kind", "donor", "--subtype", "community")
    assert _row(json.loads(out)["token"]).scopes == "read pledge funds"

    before = ApiToken.objects.count()
    with pytest.raises(CommandError, match="--scope"):
        run_cli("org", "token", str(org.pk), "--scope", "admin")
    with pytest.raises(CommandError, match="--scope"):
        run_cli("org", "create", "--name", "X", "--kind", "donor", "--subtype", "company", "--scope", "x")
    assert ApiToken.objects.count() == before

"""API token auth: `Authorization: Bearer TOKEN` → the token's organisation; missing,
malformed, unknown and revoked tokens → 401 with a JSON detail."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from kolaborasi.accounts.models import ApiToken
from kolaborasi.accounts.services import token_create, token_revoke
from kolaborasi.audit.models import AuditEvent

URL = "/api/v1/organisations/me"


def test_token_authenticates_as_its_organisation(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {dina.token}")
    assert response.status_code == 200
    assert response.json() == {
        "id": dina.organisation.pk,
        "name": "PT Dina Logistik",
        "kind": "donor",
        "subtype": "company",
        "verified": False,
    }
    row = ApiToken.objects.get(organisation=dina.organisation)
    assert row.last_used_at is not None


def test_only_the_hash_is_stored(personas) -> None:  # type: ignore[no-untyped-def]
    agus = personas["agus"]
    row = ApiToken.objects.get(organisation=agus.organisation)
    assert row.key_hash == hashlib.sha256(agus.token.encode()).hexdigest()
    assert agus.token not in {row.key_hash, row.prefix, row.name}
    assert agus.token.startswith(row.prefix)
    assert AuditEvent.objects.filter(action="token.created", object_id=str(row.pk)).exists()


@pytest.mark.parametrize(
    ("header", "detail_part"),
    [
        (None, "diperlukan"),
        ("", "diperlukan"),
        ("Token abc", "harus berbentuk"),
        ("Bearer", "harus berbentuk"),
        ("Bearer a b", "harus berbentuk"),
        ("Basic ZGluYTp4", "harus berbentuk"),
        ("Bearer kol_not-a-real-token", "tidak dikenal"),
    ],
)
def test_missing_malformed_unknown_token_is_401(client: Client, personas, header, detail_part) -> None:  # type: ignore[no-untyped-def]
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get(URL, **extra)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert detail_part in response.json()["detail"]


def test_revoked_token_is_401(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    ratna = personas["ratna"]
    row = ApiToken.objects.get(organisation=ratna.organisation)
    assert token_revoke(actor=personas["oki"].user, token=row) is True
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {ratna.token}")
    assert response.status_code == 401
    assert "dicabut" in response.json()["detail"]
    # Revoking twice changes nothing and writes no second event.
    assert token_revoke(actor=personas["oki"].user, token=row) is False
    assert AuditEvent.objects.filter(action="token.revoked", object_id=str(row.pk)).count() == 1


def test_other_tokens_of_the_organisation_keep_working(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    ratna = personas["ratna"]
    second = token_create(actor=ratna.user, organisation=ratna.organisation)
    token_revoke(actor=ratna.user, token=ApiToken.objects.get(prefix=ratna.token[:12]))
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {ratna.token}").status_code == 401

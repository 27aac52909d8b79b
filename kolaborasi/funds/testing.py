"""Small helpers shared by the funds tests (kept here so test modules stay one per
operation). Not used by the application."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype


def make_org(
    name: str, kind: str = OrgKind.DONOR, *, verified: bool = True, subtype: str = ""
) -> Organisation:
    if kind == OrgKind.DONOR and not subtype:
        subtype = OrgSubtype.COMPANY
    return Organisation.objects.create(name=name, kind=kind, verified=verified, subtype=subtype)


def token_for(org: Organisation) -> str:
    from kolaborasi.accounts.services import token_create

    return token_create(actor=None, organisation=org)


def api_post(client: Client, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        path, data=body if body is not None else {}, content_type="application/json", headers=headers
    )


def api_get(client: Client, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers)


@pytest.fixture(autouse=False)
def fast_hasher(settings: Any) -> None:
    """Personas hash five passwords per test; a fast hasher keeps the suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

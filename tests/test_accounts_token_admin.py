"""Tokens: created and revoked by an organisation's owner on its page, revoked by
operators in the admin (action "revoke"); a revoked token gets 401 at once."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.accounts.models import ApiToken, Organisation
from kolaborasi.audit.models import AuditEvent
from tests.personas import login

ME = "/api/v1/organisations/me"


def _admin(client: Client) -> None:
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "Admin-panjang-2026")
    login(client, user)


def test_admin_revoke_action(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    dina, agus = personas["dina"], personas["agus"]
    dina_token = ApiToken.objects.get(organisation=dina.organisation)
    _admin(client)
    assert client.get("/admin/accounts/apitoken/").status_code == 200
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [dina_token.pk]}
    )
    assert response.status_code == 302
    dina_token.refresh_from_db()
    assert dina_token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoked", object_id=str(dina_token.pk)).count() == 1
    client.logout()
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {dina.token}").status_code == 401
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {agus.token}").status_code == 200


def test_admin_cannot_add_or_delete_tokens(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    _admin(client)
    token = ApiToken.objects.get(organisation=personas["dina"].organisation)
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert client.get(f"/admin/accounts/apitoken/{token.pk}/delete/").status_code == 403
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash not in page


def test_admin_verify_action_and_audited_edits(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    org = Organisation.objects.create(name="Yayasan Menunggu", kind="aggregator")
    _admin(client)
    response = client.post(
        "/admin/accounts/organisation/", {"action": "verify", "_selected_action": [org.pk]}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.verified is True
    assert AuditEvent.objects.filter(action="organisation.verified", object_id=str(org.pk)).count() == 1

    # An operator creates a coordinator in the admin; the creation is audited.
    response = client.post(
        "/admin/accounts/organisation/add/",
        {
            "name": "RW 002 Cipulir",
            "kind": "coordinator",
            "subtype": "",
            "verified": "on",
            "description": "",
            "regions": ["31.74.05.1003.002"],
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": str(personas["luar"].user.pk),
            "memberships-0-role": "owner",
            "api_tokens-TOTAL_FORMS": "0",
            "api_tokens-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rw = Organisation.objects.get(name="RW 002 Cipulir")
    assert list(rw.regions.values_list("code", flat=True)) == ["31.74.05.1003.002"]
    event = AuditEvent.objects.get(action="organisation.created", object_id=str(rw.pk))
    assert event.after is not None
    assert event.after["regions"] == ["31.74.05.1003.002"]
    assert AuditEvent.objects.filter(action="membership.added", organisation_id=rw.pk).exists()

    # Regions on a donor are refused.
    response = client.post(
        f"/admin/accounts/organisation/{personas['dina'].organisation.pk}/change/",
        {
            "name": "PT Dina Logistik",
            "kind": "donor",
            "subtype": "company",
            "description": "",
            "regions": ["31.74.05.1003.002"],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "api_tokens-TOTAL_FORMS": "0",
            "api_tokens-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not personas["dina"].organisation.regions.exists()


def test_owner_creates_and_revokes_tokens_on_the_page(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    agus = personas["agus"]
    login(client, agus)
    url = f"/akun/organisasi/{agus.organisation.pk}/token/"
    response = client.post(url, {"name": "gudang"})
    assert response.status_code == 200
    match = re.search(r'value="(kol_[^"]+)"[^>]*id="new-token"', response.content.decode())
    assert match
    plain = match.group(1)
    row = ApiToken.objects.get(organisation=agus.organisation, name="gudang")
    assert plain.startswith(row.prefix)
    # Shown once only: the settings tab lists it by its prefix.
    listing = client.get(f"/akun/organisasi/{agus.organisation.pk}/pengaturan/").content.decode()
    assert row.prefix in listing and plain not in listing
    client.logout()
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {plain}").json()["id"] == agus.organisation.pk

    login(client, agus)
    response = client.post(f"/akun/organisasi/{agus.organisation.pk}/token/{row.pk}/cabut/", {"yakin": "1"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    # Another organisation's token id under this organisation: 404, unchanged.
    dina_token = ApiToken.objects.get(organisation=personas["dina"].organisation)
    response = client.post(
        f"/akun/organisasi/{agus.organisation.pk}/token/{dina_token.pk}/cabut/", {"yakin": "1"}
    )
    assert response.status_code == 404
    dina_token.refresh_from_db()
    assert dina_token.revoked_at is None

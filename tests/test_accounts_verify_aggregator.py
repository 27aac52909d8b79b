"""Operators verify aggregators from their page; nobody else can."""

from __future__ import annotations

from django.test import Client

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.models import AuditEvent
from tests.personas import login


def test_operator_lists_and_verifies(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    waiting = Organisation.objects.create(name="Yayasan Menunggu", kind="aggregator")
    oki = personas["oki"]
    login(client, oki)
    page = client.get("/akun/operator/agregator/").content.decode()
    assert "Yayasan Menunggu" in page
    assert "Yayasan Agus Peduli" not in page  # already verified
    response = client.post(f"/akun/operator/agregator/{waiting.pk}/verifikasi/")
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.verified is True
    event = AuditEvent.objects.get(action="organisation.verified", object_id=str(waiting.pk))
    assert event.actor_id == oki.user.pk
    assert (event.before, event.after) == ({"verified": False}, {"verified": True})
    # Twice: no change, no second event.
    client.post(f"/akun/operator/agregator/{waiting.pk}/verifikasi/")
    assert AuditEvent.objects.filter(action="organisation.verified", object_id=str(waiting.pk)).count() == 1
    page = client.get("/akun/operator/agregator/").content.decode()
    assert "Yayasan Menunggu" not in page.split("<main>")[1]  # (the flash messages may name it)


def test_only_aggregators_are_verified_here(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    login(client, personas["oki"])
    donor = personas["dina"].organisation
    assert client.post(f"/akun/operator/agregator/{donor.pk}/verifikasi/").status_code == 404
    donor.refresh_from_db()
    assert donor.verified is False


def test_non_operators_cannot_verify(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    waiting = Organisation.objects.create(name="Yayasan Menunggu", kind="aggregator")
    for name in ("dina", "agus", "ratna", "luar"):
        login(client, personas[name])
        assert client.post(f"/akun/operator/agregator/{waiting.pk}/verifikasi/").status_code == 403
    waiting.refresh_from_db()
    assert waiting.verified is False
    assert not AuditEvent.objects.filter(action="organisation.verified").exists()

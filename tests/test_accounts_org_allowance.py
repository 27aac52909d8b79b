"""One person cannot multiply the per-organisation hold limits by owning many
unverified organisations: the next one is refused with a message and creates nothing;
an operator's verification frees a place."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.accounts.models import Organisation
from kolaborasi.audit.models import AuditEvent
from tests.personas import login

pytestmark = pytest.mark.django_db


def _create(client: Client, name: str, subtype: str = "community") -> Any:
    return client.post("/akun/organisasi/baru/", {"name": name, "kind": "donor", "subtype": subtype})


def test_the_next_unverified_organisation_is_refused(client: Client, personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ORG_UNVERIFIED_PER_PERSON = 2
    login(client, personas["luar"])
    assert _create(client, "Donatur Satu", "individual").status_code == 302
    assert _create(client, "Komunitas Dua").status_code == 302
    events = AuditEvent.objects.count()

    refused = _create(client, "Donatur Tiga")
    assert refused.status_code in (200, 400)
    assert "belum diverifikasi" in refused.content.decode()
    assert not Organisation.objects.filter(name="Donatur Tiga").exists()
    assert AuditEvent.objects.count() == events

    # Once an operator verifies one, there is room again.
    Organisation.objects.filter(name="Komunitas Dua").update(verified=True)
    assert _create(client, "Donatur Tiga").status_code == 302
    assert Organisation.objects.filter(name="Donatur Tiga").exists()

"""Only verified aggregators are public, and only they take money in: one that was never
verified, or whose verification was withdrawn, is absent from every public page and API
answer, and its confirmation of a donation is refused while the donation waits (or goes
back to the donor when rejected)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.accounts.models import Organisation, OrgKind
from kolaborasi.audit.models import AuditEvent
from kolaborasi.funds.models import AccountKind, Donation, DonationStatus, LedgerAccount, LedgerEntry
from tests.personas import api_get, api_post, login, make_org, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

BANK = "BCA 0987654321"


def test_an_unverified_aggregator_is_shown_nowhere_in_public(personas: dict[str, Any]) -> None:
    shady = make_org("Yayasan Rekening Resmi", OrgKind.AGGREGATOR, verified=False)
    shady.description = f"Rekening resmi kami {BANK}"
    shady.save()
    public = Client()
    assert public.get(f"/dana/agregator/{shady.pk}/").status_code == 404
    answer = public.get(f"/api/v1/aggregators/{shady.pk}")
    assert answer.status_code == 404 and answer.json()["detail"] == "Agregator tidak ditemukan."
    listing = public.get("/dana/agregator/").content.decode()
    api = public.get("/api/v1/aggregators")
    assert api.status_code == 200
    for text in (listing, api.content.decode()):
        assert "Yayasan Rekening Resmi" not in text and BANK not in text
        assert "Yayasan Agus Peduli" in text  # the verified one stays
    assert all(row["verified"] for row in api.json())
    # A donor choosing where to give does not see it either.
    donor = Client()
    login(donor, personas["dina"])
    form = donor.get("/dana/donasi/baru/")
    assert form.status_code == 200
    assert "Yayasan Rekening Resmi" not in form.content.decode()


def test_withdrawn_verification_stops_money_but_the_donation_waits(personas: dict[str, Any]) -> None:
    agus = personas["agus"].organisation
    body = {"aggregator": agus.pk, "amount": 1_000_000, "donated_on": "2026-11-20"}
    created = api_post(Client(), "/api/v1/donations", token_for(personas["dina"].organisation), body)
    assert created.status_code == 201
    pk = int(created.json()["id"])
    # An operator withdraws the verification (today through the admin).
    Organisation.objects.filter(pk=agus.pk).update(verified=False)
    agus_token = token_for(agus)
    entries, events = LedgerEntry.objects.count(), AuditEvent.objects.count()

    answer = api_post(Client(), f"/api/v1/donations/{pk}/confirm", agus_token)
    assert answer.status_code == 403
    assert "belum (atau tidak lagi) terverifikasi" in answer.json()["detail"]
    assert "tolak agar kembali ke donatur" in answer.json()["detail"]  # the next step
    assert Donation.objects.get(pk=pk).status == DonationStatus.PENDING
    assert LedgerEntry.objects.count() == entries and AuditEvent.objects.count() == events
    assert not LedgerAccount.objects.filter(aggregator=agus, kind=AccountKind.CASH, balance__gt=0).exists()
    # The same refusal on the aggregator's page.
    web = Client()
    login(web, personas["agus"])
    page = web.post(f"/dana/donasi/{pk}/konfirmasi/", follow=True)
    assert "belum (atau tidak lagi) terverifikasi" in page.content.decode()
    assert Donation.objects.get(pk=pk).status == DonationStatus.PENDING
    # Its public profile is gone meanwhile.
    assert api_get(Client(), f"/api/v1/aggregators/{agus.pk}").status_code == 404

    # Rejecting returns the donation to the donor: allowed.
    rejected = api_post(
        Client(), f"/api/v1/donations/{pk}/reject", agus_token, {"reason": "belum terverifikasi"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    # Verified again, the aggregator is public again.
    Organisation.objects.filter(pk=agus.pk).update(verified=True)
    assert Client().get(f"/dana/agregator/{agus.pk}/").status_code == 200

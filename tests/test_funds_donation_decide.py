"""POST /api/v1/donations/{id}/confirm and /reject: only the receiving aggregator."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.funds.models import AccountKind, Donation, DonationStatus, LedgerAccount
from kolaborasi.funds.selectors import ledger_verify
from tests.personas import api_post, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def _donation(personas, amount: int = 545_000_000) -> int:  # type: ignore[no-untyped-def]
    body = {"aggregator": personas["agus"].organisation.pk, "amount": amount, "donated_on": "2020-04-21"}
    resp = api_post(Client(), "/api/v1/donations", token_for(personas["dina"].organisation), body)
    assert resp.status_code == 201
    return int(resp.json()["id"])


def _cash(org) -> int:  # type: ignore[no-untyped-def]
    return int(LedgerAccount.objects.get(aggregator=org, kind=AccountKind.CASH).balance)


def test_confirm_posts_balanced_ledger_transaction(personas) -> None:  # type: ignore[no-untyped-def]
    pk = _donation(personas)
    agus_token = token_for(personas["agus"].organisation)
    resp = api_post(Client(), f"/api/v1/donations/{pk}/confirm", agus_token)
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "confirmed"
    assert Donation.objects.get(pk=pk).status == DonationStatus.CONFIRMED
    assert _cash(personas["agus"].organisation) == 545_000_000
    assert ledger_verify() == []
    assert AuditEvent.objects.filter(action="donation.confirmed", object_id=str(pk)).exists()
    # Deciding twice is refused and changes nothing.
    again = api_post(Client(), f"/api/v1/donations/{pk}/confirm", agus_token)
    assert again.status_code == 409 and again.json()["detail"].endswith("Donasi ini sudah dikonfirmasi.")
    assert api_post(Client(), f"/api/v1/donations/{pk}/reject", agus_token).status_code == 409
    assert _cash(personas["agus"].organisation) == 545_000_000


def test_reject_keeps_money_off_the_ledger(personas) -> None:  # type: ignore[no-untyped-def]
    pk = _donation(personas)
    resp = api_post(
        Client(),
        f"/api/v1/donations/{pk}/reject",
        token_for(personas["agus"].organisation),
        {"reason": "tidak masuk"},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    assert Donation.objects.get(pk=pk).reject_reason == "tidak masuk"
    assert not LedgerAccount.objects.filter(aggregator=personas["agus"].organisation, balance__gt=0).exists()


@pytest.mark.parametrize(("who", "status"), [("dina", 403), ("ratna", 404), ("oki", 404)])
def test_others_cannot_decide(personas, who: str, status: int) -> None:  # type: ignore[no-untyped-def]
    pk = _donation(personas)
    for action in ("confirm", "reject"):
        resp = api_post(Client(), f"/api/v1/donations/{pk}/{action}", token_for(personas[who].organisation))
        assert resp.status_code == status
    assert api_post(Client(), f"/api/v1/donations/{pk}/confirm", None).status_code == 401
    assert (
        api_post(
            Client(), "/api/v1/donations/999999/confirm", token_for(personas["agus"].organisation)
        ).status_code
        == 404
    )
    huge = api_post(Client(), f"/api/v1/donations/{2**70}/confirm", token_for(personas["agus"].organisation))
    assert huge.status_code == 422  # not a database overflow
    assert Donation.objects.get(pk=pk).status == DonationStatus.PENDING

"""POST /api/v1/donations: a donor records money given to a verified aggregator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.accounts.models import OrgKind
from kolaborasi.audit.models import AuditEvent
from kolaborasi.funds.models import DONATION_MAX, Donation, LedgerEntry
from tests.personas import api_post, make_org, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def _body(agg_id: int, **kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "aggregator": agg_id,
        "amount": 1_000_000_000,
        "donated_on": "2020-04-20",
        "reference": "TRF-0420",
        "public": True,
    }
    body.update(kw)
    return body


def test_donor_records_pending_donation(personas) -> None:  # type: ignore[no-untyped-def]
    dina, agus = personas["dina"].organisation, personas["agus"].organisation
    resp = api_post(Client(), "/api/v1/donations", token_for(dina), _body(agus.pk))
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["status"] == "pending" and data["amount"] == 1_000_000_000
    donation = Donation.objects.get(pk=data["id"])
    assert (donation.donor, donation.aggregator, donation.public) == (dina, agus, True)
    assert donation.donated_on == dt.date(2020, 4, 20)
    assert not LedgerEntry.objects.exists()  # only confirmed money reaches the ledger
    assert AuditEvent.objects.filter(action="donation.created", object_id=str(donation.pk)).exists()


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10.5}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": DONATION_MAX + 1}, "amount"),
        ({"donated_on": "2999-01-01"}, "donated_on"),
        ({"donated_on": "kemarin"}, "donated_on"),
        ({"channel": "bitcoin"}, "channel"),
        ({"reference": "x" * 121}, "reference"),
        ({"aggregator": 2**70}, "aggregator"),
        ({"public": "ya"}, "public"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(personas, change: dict[str, object], word: str) -> None:  # type: ignore[no-untyped-def]
    dina, agus = personas["dina"].organisation, personas["agus"].organisation
    resp = api_post(Client(), "/api/v1/donations", token_for(dina), _body(agus.pk, **change))
    assert resp.status_code == 422, resp.content
    assert word in resp.json()["detail"]
    assert not Donation.objects.exists()


def test_unverified_aggregator_is_409_and_unknown_is_404(personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"].organisation
    shady = make_org("Yayasan Belum Diverifikasi", OrgKind.AGGREGATOR, verified=False)
    token = token_for(dina)
    # It exists, but its state (not verified yet) refuses money.
    resp = api_post(Client(), "/api/v1/donations", token, _body(shady.pk))
    assert resp.status_code == 409 and "verif" in resp.json()["detail"]
    # A body naming no aggregator: 404, like an unknown id in a path.
    resp = api_post(Client(), "/api/v1/donations", token, _body(personas["ratna"].organisation.pk))
    assert resp.status_code == 404 and "aggregator" in resp.json()["detail"]
    resp = api_post(Client(), "/api/v1/donations", token, _body(2**62))
    assert resp.status_code == 404 and "aggregator" in resp.json()["detail"]
    assert not Donation.objects.exists()


def test_only_donors_record_donations(personas) -> None:  # type: ignore[no-untyped-def]
    agus = personas["agus"].organisation
    resp = api_post(Client(), "/api/v1/donations", token_for(agus), _body(agus.pk))
    assert resp.status_code == 403
    resp = api_post(Client(), "/api/v1/donations", None, _body(agus.pk))
    assert resp.status_code == 401
    assert not Donation.objects.exists()

"""Actions that cannot be undone ask first, without JavaScript: cancelling the rest of a
pledge, rejecting a donation, revoking an API token. The first post answers a page that
says what will happen and changes nothing; the same form posted with ``yakin=1`` acts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.models import ApiToken
from kolaborasi.funds import services as funds
from kolaborasi.funds.models import Donation, DonationStatus
from kolaborasi.pledges.models import Pledge, PledgeStatus
from kolaborasi.pledges.services import pledge_create
from tests.personas import login
from tests.pledges_support import ratna_need

pytestmark = pytest.mark.django_db


def _client(personas, who: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas[who])
    return client


def test_cancelling_a_pledge_asks_first(personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    pledge = pledge_create(
        actor=dina.user,
        organisation=dina.organisation,
        need=ratna_need(),
        quantity=5,
        planned_delivery=timezone.localdate() + dt.timedelta(days=3),
    )
    client = _client(personas, "dina")
    asked = client.post(f"/komitmen/{pledge.pk}/batal/", {"next": "/komitmen/"})
    assert asked.status_code == 200
    body = asked.content.decode()
    assert f"Batalkan sisa komitmen #{pledge.pk}?" in body and "tidak dapat diurungkan" in body
    assert 'name="yakin" value="1"' in body and 'name="next" value="/komitmen/"' in body
    assert 'href="/komitmen/"' in body  # the way back
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.COMMITTED
    done = client.post(f"/komitmen/{pledge.pk}/batal/", {"next": "/komitmen/", "yakin": "1"})
    assert done.status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.CANCELLED


def test_rejecting_a_donation_asks_first_and_keeps_the_reason(personas) -> None:  # type: ignore[no-untyped-def]
    donation = funds.donation_create(
        actor=None,
        donor=personas["dina"].organisation,
        aggregator=personas["agus"].organisation,
        amount=1_500_000,
        donated_on=timezone.localdate(),
    )
    client = _client(personas, "agus")
    asked = client.post(f"/dana/donasi/{donation.pk}/tolak/", {"reason": "belum masuk"})
    body = asked.content.decode()
    assert asked.status_code == 200 and "Tolak donasi Rp1.500.000" in body
    assert 'value="belum masuk"' in body
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING
    client.post(f"/dana/donasi/{donation.pk}/tolak/", {"reason": "belum masuk", "yakin": "1"})
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.REJECTED


def test_revoking_a_token_asks_first(personas) -> None:  # type: ignore[no-untyped-def]
    dina = personas["dina"]
    token = ApiToken.objects.filter(organisation=dina.organisation).get()
    client = _client(personas, "dina")
    url = f"/akun/organisasi/{dina.organisation.pk}/token/{token.pk}/cabut/"
    client.cookies["django_language"] = "en"
    asked = client.post(url)
    assert asked.status_code == 200 and "Revoke token" in asked.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    client.post(url, {"yakin": "1"})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None

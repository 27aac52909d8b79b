"""Donation records are throttled per organisation (THROTTLE_DONATIONS, 60 an hour),
through the API and the form alike: 429 with Retry-After, and no donation row."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.funds.models import Donation
from tests.personas import api_post
from tests.throttle_support import assert_throttled, rates

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "one_window")]


def _body(agg_id: int) -> dict[str, object]:
    return {
        "aggregator": agg_id,
        "amount": 1_000_000,
        "donated_on": "2020-04-20",
        "reference": "TRF",
        "public": True,
    }


def test_api_donations_at_the_documented_rate(personas) -> None:  # type: ignore[no-untyped-def]
    dina, agus = personas["dina"], personas["agus"].organisation
    token = dina.token
    for n in range(60):
        assert api_post(Client(), "/api/v1/donations", token, _body(agus.pk)).status_code == 201, n
    assert_throttled(api_post(Client(), "/api/v1/donations", token, _body(agus.pk)), api=True)
    assert Donation.objects.filter(donor=dina.organisation).count() == 60


@rates(donations="2/h")
def test_the_form_shares_the_organisations_count(personas) -> None:  # type: ignore[no-untyped-def]
    dina, agus = personas["dina"], personas["agus"].organisation
    assert api_post(Client(), "/api/v1/donations", dina.token, _body(agus.pk)).status_code == 201
    web = Client()
    web.force_login(dina.user)
    form = {
        "aggregator": agus.pk,
        "amount": "1000000",
        "donated_on": "2020-04-20",
        "channel": "transfer",
        "reference": "BCA-1",
    }
    assert web.post("/dana/donasi/baru/", form).status_code == 302
    assert_throttled(web.post("/dana/donasi/baru/", form), api=False)
    assert Donation.objects.filter(donor=dina.organisation).count() == 2
    assert web.get("/dana/donasi/baru/").status_code == 200

"""The pledge page (/komitmen/baru/<id>/) with campaigns: when the target has needs in
two open campaigns each choice names its campaign and the pledge goes to the one
chosen; a closed campaign's needs are not offered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.campaigns.services import campaign_close
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.personas import login
from tests.pledges_support import ratna_need, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def test_each_choice_names_its_campaign_and_a_closed_one_is_not_offered(
    client: Client, personas: dict
) -> None:
    demo_need = ratna_need()
    target = demo_need.target
    login(client, personas["dina"])
    page = f"/komitmen/baru/{target.pk}/"
    html = client.get(page).content.decode()
    assert "Sembako — sisa kebutuhan" in html  # one campaign: no names
    assert demo_need.campaign.name not in html
    assert 'class="campaign"' not in client.get(f"/sasaran/{target.pk}/").content.decode()

    flood = campaign_start(
        actor=None,
        name="Tanggap Banjir",
        region_codes=[target.region_id],
        aid_type_slugs=["sembako"],
        start=dt.date(2026, 12, 1),
    )
    flood_need = Need.objects.get(campaign=flood, target=target)
    html = client.get(page).content.decode()
    assert f"Sembako, {demo_need.campaign.name} — sisa kebutuhan" in html
    assert "Sembako, Tanggap Banjir — sisa kebutuhan" in html
    # The target's public page names each need's campaign too, and only then.
    public = client.get(f"/sasaran/{target.pk}/").content.decode()
    assert '<span class="campaign">Tanggap Banjir</span>' in public
    assert f'<span class="campaign">{demo_need.campaign.name}</span>' in public
    body = {
        "need": flood_need.pk,
        "quantity": 4,
        "planned_delivery": (today() + dt.timedelta(days=3)).isoformat(),
        "statement": "on",
    }
    r = client.post(page, body)
    assert r.status_code == 302, r.content.decode()[:500]
    assert Pledge.objects.get().need_id == flood_need.pk
    assert Need.objects.get(pk=demo_need.pk).held == 0

    campaign_close(actor=None, campaign=flood)
    html = client.get(page).content.decode()
    assert "Tanggap Banjir" not in html
    assert "Sembako — sisa kebutuhan" in html
    # A choice of the closed campaign, sent anyway, is refused and changes nothing.
    r = client.post(page, {**body, "quantity": 2})
    assert r.status_code == 200
    assert Pledge.objects.count() == 1 and Need.objects.get(pk=flood_need.pk).held == 4

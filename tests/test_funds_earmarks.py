"""Money given for one campaign pays only for that campaign's pledges. An aggregator
holding general money and money earmarked for a flood response can spend the general
money on any campaign, but the flood money only on the flood: a plan in another
campaign that needs it is refused (409, naming what is available), at preview and
again at commit should the money have moved in between, and nothing is written. In
the flood, the earmarked money is used first, then general money."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from kolaborasi.campaigns.models import Campaign
from kolaborasi.funds import services
from kolaborasi.funds.models import AllocationPlan, Donation, LedgerEntry, PledgeFunding
from kolaborasi.funds.selectors import aggregator_funds, ledger_verify
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import AidType
from tests.campaigns_support import CIPULIR, second_campaign
from tests.personas import api_post, token_for
from tests.pledges_support import open_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

COST = 250_000


def _give(personas: Any, amount: int, campaign: Campaign | None = None) -> Donation:
    donation = services.donation_create(
        actor=None,
        donor=personas["dina"].organisation,
        aggregator=personas["agus"].organisation,
        amount=amount,
        donated_on=dt.date(2026, 11, 20),
        campaign=campaign.slug if campaign else None,
    )
    return services.donation_confirm(actor=None, donation=donation)


def _template(personas: Any) -> int:
    return services.template_save(
        actor=None,
        aggregator=personas["agus"].organisation,
        aid_type=AidType.objects.get(slug="sembako"),
        name="Sembako keluarga",
        contents="beras 10 kg, minyak 2 l, gula 1 kg",
        unit_cost=COST,
    ).pk


def _plan(token: str, template: int, campaign: Campaign, budget: int) -> Any:
    body = {"aid_type": "sembako", "region": CIPULIR, "budget": budget, "template": template}
    return api_post(Client(), "/api/v1/allocation-plans", token, {**body, "campaign": campaign.slug})


def _paid_from(donation: Donation) -> int:
    return int(PledgeFunding.objects.filter(donation=donation).aggregate(s=Sum("amount"))["s"] or 0)


def _money_state() -> tuple[Any, ...]:
    """Every donation's spent part, the attributions, the pledges and the ledger rows."""
    return (
        list(Donation.objects.order_by("pk").values_list("pk", "allocated")),
        PledgeFunding.objects.count(),
        Pledge.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_earmarked_money_pays_only_for_its_campaign(personas) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    flood = second_campaign(region_codes=[CIPULIR])
    general = _give(personas, 2_000_000)
    for_flood = _give(personas, 5_000_000, flood)
    token, template = token_for(personas["agus"].organisation), _template(personas)
    plans_before, state_before = AllocationPlan.objects.count(), _money_state()

    # 12 packages in the demo campaign: the balance (7 million) covers it, but only the
    # 2 million of general money may pay for it.
    r = _plan(token, template, demo, 3_000_000)
    assert r.status_code == 409, r.content
    detail = r.json()["detail"]
    assert demo.name in detail and "Rp3.000.000" in detail and "Rp2.000.000" in detail
    assert "program lain" in detail
    assert AllocationPlan.objects.count() == plans_before and _money_state() == state_before

    # Within the general money: paid from the general donation alone.
    r = _plan(token, template, demo, 1_000_000)
    assert r.status_code == 201, r.content
    assert api_post(Client(), f"/api/v1/allocation-plans/{r.json()['id']}/commit", token).status_code == 201
    assert _paid_from(general) == 1_000_000 and _paid_from(for_flood) == 0

    # In the flood: its own money first, then the general money left.
    r = _plan(token, template, flood, 5_500_000)
    assert r.status_code == 201, r.content
    r = api_post(Client(), f"/api/v1/allocation-plans/{r.json()['id']}/commit", token)
    assert r.status_code == 201, r.content
    assert _paid_from(for_flood) == 5_000_000 and _paid_from(general) == 1_500_000
    flood_pledges = Pledge.objects.filter(need__campaign=flood)
    assert {f.donation_id for f in PledgeFunding.objects.filter(pledge__in=flood_pledges)} == {
        general.pk,
        for_flood.pk,
    }
    assert aggregator_funds(personas["agus"].organisation)["balance"] == 500_000
    assert ledger_verify() == []


def test_a_commit_is_refused_when_the_campaigns_money_went_meanwhile(personas) -> None:  # type: ignore[no-untyped-def]
    """The preview fitted; then the general money was spent elsewhere. The earmarked
    money still in the balance may not stand in for it: the commit is refused and
    nothing of it is written."""
    demo = open_campaign()
    flood = second_campaign(region_codes=[CIPULIR])
    _give(personas, 1_000_000)
    _give(personas, 5_000_000, flood)
    token, template = token_for(personas["agus"].organisation), _template(personas)
    first = _plan(token, template, demo, 1_000_000)
    second = _plan(token, template, demo, 1_000_000)
    assert first.status_code == second.status_code == 201
    assert (
        api_post(Client(), f"/api/v1/allocation-plans/{first.json()['id']}/commit", token).status_code == 201
    )

    before = _money_state()
    r = api_post(Client(), f"/api/v1/allocation-plans/{second.json()['id']}/commit", token)
    assert r.status_code == 409, r.content
    assert "Rp1.000.000" in r.json()["detail"] and "Rp0" in r.json()["detail"]
    assert _money_state() == before
    assert aggregator_funds(personas["agus"].organisation)["balance"] == 5_000_000
    assert ledger_verify() == []

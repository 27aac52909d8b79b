"""The allocation planner plans only onto needs of open campaigns, and a plan whose
campaign closed before it was committed is refused whole, changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kolaborasi.campaigns.services import campaign_close
from kolaborasi.funds.models import AllocationPlan, PlanStatus
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.personas import api_post, token_for
from tests.pledges_support import open_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

CIPULIR = "31.74.05.1003"


def _preview(personas) -> dict:  # type: ignore[no-untyped-def,type-arg]
    token = token_for(personas["agus"].organisation)
    resp = api_post(
        Client(),
        "/api/v1/allocation-plans",
        token,
        {"aid_type": "sembako", "region": CIPULIR, "quantity": 200},
    )
    assert resp.status_code == 201, resp.content
    return resp.json()  # type: ignore[no-any-return]


def test_plans_go_to_open_campaigns_only(personas) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    flood = campaign_start(
        actor=None,
        name="Banjir Cipulir",
        region_codes=[CIPULIR],
        aid_type_slugs=["sembako"],
        start=dt.date(2026, 12, 1),
    )
    campaign_close(actor=None, campaign=demo)
    plan = _preview(personas)
    assert plan["total"] == 200
    assert {Need.objects.get(pk=a["need"]).campaign_id for a in plan["allocations"]} == {flood.pk}


def test_a_plan_whose_campaign_closed_is_refused_whole(personas) -> None:  # type: ignore[no-untyped-def]
    plan = _preview(personas)
    campaign_close(actor=None, campaign=open_campaign())
    needs_before = list(
        Need.objects.filter(target__village_id=CIPULIR).order_by("pk").values_list("pk", "held")
    )
    token = token_for(personas["agus"].organisation)
    resp = api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert resp.status_code == 409, resp.content
    assert "sudah ditutup" in resp.json()["detail"]
    assert not Pledge.objects.exists()
    assert AllocationPlan.objects.get(pk=plan["id"]).status != PlanStatus.COMMITTED
    assert (
        list(Need.objects.filter(target__village_id=CIPULIR).order_by("pk").values_list("pk", "held"))
        == needs_before
    )

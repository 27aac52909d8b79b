"""Allocation plans per campaign: with two open campaigns over the same RWs, a plan
splits over the needs of the one campaign the aggregator names and its pledges go to
that campaign only — the other campaign's remaining never moves. Without a name the
default is the one open campaign; when several cover the area the API answers 422
with the choices. A closed or draft campaign is refused (409), an unknown one is 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.audit.models import AuditEvent
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.funds.models import AllocationPlan
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import Need
from tests.campaigns_support import CIPULIR, draft_campaign, second_campaign
from tests.personas import api_post, login, token_for
from tests.pledges_support import open_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def _remaining(campaign: Any) -> list[tuple[int, int, int]]:
    return list(
        Need.objects.filter(campaign=campaign, target__village_id=CIPULIR)
        .order_by("pk")
        .values_list("pk", "held", "remaining")
    )


def _plan(token: str, **extra: object) -> Any:
    body = {"aid_type": "sembako", "region": CIPULIR, "quantity": 150, **extra}
    return api_post(Client(), "/api/v1/allocation-plans", token, body)


@pytest.mark.parametrize("chosen", ["demo", "flood"])
def test_a_plan_in_one_campaign_never_touches_the_others(personas, chosen: str) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    flood = second_campaign(region_codes=[CIPULIR])
    mine, other = (demo, flood) if chosen == "demo" else (flood, demo)
    token = token_for(personas["agus"])
    other_before = _remaining(other)

    r = _plan(token, campaign=mine.slug)
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["campaign"] == mine.slug and plan["total"] == 150
    needs = Need.objects.filter(pk__in=[a["need"] for a in plan["allocations"]])
    assert {n.campaign_id for n in needs} == {mine.pk}
    assert AllocationPlan.objects.get(pk=plan["id"]).campaign_id == mine.pk
    created = AuditEvent.objects.get(action="allocation_plan.created", object_id=str(plan["id"]))
    assert created.after is not None and created.after["campaign"] == mine.slug

    r = api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert r.status_code == 201, r.content
    pledges = Pledge.objects.filter(pk__in=[p["id"] for p in r.json()["pledges"]])
    assert {p.need.campaign_id for p in pledges} == {mine.pk}
    assert sum(p.quantity for p in pledges) == 150
    assert _remaining(other) == other_before
    assert sum(held for _pk, held, _rest in _remaining(mine)) == 150

    # A replan stays in the plan's campaign.
    first = _plan(token, campaign=mine.slug).json()
    r = api_post(Client(), f"/api/v1/allocation-plans/{first['id']}/replan", token)
    assert r.status_code == 201 and r.json()["campaign"] == mine.slug, r.content


def test_without_a_campaign_several_open_ones_need_a_choice(personas) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    flood = second_campaign(region_codes=[CIPULIR])
    token = token_for(personas["agus"])
    before = (AllocationPlan.objects.count(), AuditEvent.objects.count())
    r = _plan(token)
    assert r.status_code == 422, r.content
    assert set(r.json()["choices"]) == {demo.slug, flood.slug}
    assert (AllocationPlan.objects.count(), AuditEvent.objects.count()) == before


def test_with_one_open_campaign_it_is_the_default(personas) -> None:  # type: ignore[no-untyped-def]
    r = _plan(token_for(personas["agus"]))
    assert r.status_code == 201 and r.json()["campaign"] == open_campaign().slug, r.content


@pytest.mark.parametrize("which", ["closed", "draft", "unknown"])
def test_a_campaign_that_is_not_open_is_refused(personas, which: str) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    second_campaign(region_codes=[CIPULIR])
    if which == "closed":
        campaign_close(actor=None, campaign=demo)
        slug, status, words = demo.slug, 409, "sudah ditutup"
    elif which == "draft":
        slug, status, words = draft_campaign().slug, 409, "belum dibuka"
    else:
        slug, status, words = "program-tidak-ada", 404, "tidak ada"
    before = (AllocationPlan.objects.count(), AuditEvent.objects.count())
    r = _plan(token_for(personas["agus"]), campaign=slug)
    assert r.status_code == status, r.content
    assert words in r.json()["detail"]
    assert (AllocationPlan.objects.count(), AuditEvent.objects.count()) == before


def test_the_planner_page_asks_for_the_campaign_only_when_several_are_open(personas) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas["agus"])
    page = client.get("/dana/rencana/").content.decode()
    assert '<select name="campaign"' not in page

    flood = second_campaign(region_codes=[CIPULIR])
    page = client.get("/dana/rencana/").content.decode()
    assert '<select name="campaign"' in page and f'value="{flood.slug}"' in page
    form = {
        "aid_type": Need.objects.filter(campaign=flood).values_list("aid_type_id", flat=True).first(),
        "region": CIPULIR,
        "quantity": "40",
        "min_drop": "1",
        "kinds": "both",
    }
    # Not chosen: the page again, naming the choices.
    r = client.post("/dana/rencana/", form)
    assert r.status_code == 200 and flood.slug in r.content.decode()
    assert not AllocationPlan.objects.exists()
    r = client.post("/dana/rencana/", {**form, "campaign": flood.slug})
    assert r.status_code == 302, r.content
    plan = AllocationPlan.objects.get()
    assert plan.campaign_id == flood.pk
    detail = client.get(f"/dana/rencana/{plan.pk}/").content.decode()
    assert f'data-campaign="{flood.slug}">{flood.name}</strong>' in detail

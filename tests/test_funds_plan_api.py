"""POST /api/v1/allocation-plans (preview) and /{id}/commit (all pledges at once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Q
from django.test import Client

from kolaborasi.funds import services
from kolaborasi.funds.models import AllocationPlan, PlanStatus, PledgeFunding
from kolaborasi.funds.selectors import aggregator_funds, ledger_verify
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_create
from kolaborasi.targets.models import AidType, Need
from tests.personas import api_post, login, token_for

# dina takes whole needs here: within the verified tier's hold limit.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "verified_dina")]

CIPULIR = "31.74.05.1003"


def _fund(personas, amount: int) -> None:  # type: ignore[no-untyped-def]
    d = services.donation_create(
        actor=None,
        donor=personas["dina"].organisation,
        aggregator=personas["agus"].organisation,
        amount=amount,
        donated_on=dt.date(2020, 4, 20),
    )
    services.donation_confirm(actor=None, donation=d)


def _template(personas, cost: int = 250_000) -> int:  # type: ignore[no-untyped-def]
    t = services.template_save(
        actor=None,
        aggregator=personas["agus"].organisation,
        aid_type=AidType.objects.get(slug="sembako"),
        name="Sembako keluarga",
        contents="beras 10 kg, minyak 2 l, gula 1 kg",
        unit_cost=cost,
    )
    return t.pk


def test_preview_then_commit_own_stock(personas) -> None:  # type: ignore[no-untyped-def]
    token = token_for(personas["agus"].organisation)
    resp = api_post(
        Client(),
        "/api/v1/allocation-plans",
        token,
        {"aid_type": "sembako", "region": CIPULIR, "quantity": 300},
    )
    assert resp.status_code == 201, resp.content
    plan = resp.json()
    assert plan["total"] == 300 == sum(a["quantity"] for a in plan["allocations"])
    for a in plan["allocations"]:
        need = Need.objects.get(pk=a["need"])
        assert need.target_id == a["target"] and a["quantity"] <= need.remaining
        assert need.target.village_id == CIPULIR
    assert not Pledge.objects.exists()  # a preview reserves nothing

    resp = api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert resp.status_code == 201, resp.content
    pledges = resp.json()["pledges"]
    assert len(pledges) == len(plan["allocations"])
    assert Pledge.objects.filter(organisation=personas["agus"].organisation).count() == len(pledges)
    for a in plan["allocations"]:
        assert Pledge.objects.get(need_id=a["need"]).quantity == a["quantity"]
    assert AllocationPlan.objects.get(pk=plan["id"]).status == PlanStatus.COMMITTED
    assert not PledgeFunding.objects.exists()  # own stock: no money involved
    # Committing twice creates nothing more: the plan's state refuses it.
    assert api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token).status_code == 409
    assert Pledge.objects.count() == len(pledges)


def test_budget_plan_is_paid_from_balance(personas) -> None:  # type: ignore[no-untyped-def]
    _fund(personas, 20_000_000)
    token = token_for(personas["agus"].organisation)
    body = {
        "aid_type": "sembako",
        "region": CIPULIR,
        "budget": 10_100_000,
        "template": _template(personas),
        "min_drop": 5,
    }
    resp = api_post(Client(), "/api/v1/allocation-plans", token, body)
    assert resp.status_code == 201, resp.content
    plan = resp.json()
    assert plan["stock"] == 40 and plan["total"] == 40 and plan["cost"] == 10_000_000
    assert all(a["quantity"] >= 5 for a in plan["allocations"])
    resp = api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert resp.status_code == 201
    assert all(p["funding"] and p["funding"][0]["amount"] > 0 for p in resp.json()["pledges"])
    funds = aggregator_funds(personas["agus"].organisation)
    assert funds == {
        "donated": 20_000_000,
        "confirmed": 20_000_000,
        "allocated": 10_000_000,
        "balance": 10_000_000,
    }
    assert ledger_verify() == []


def test_commit_over_the_hold_limit_is_409_saying_what_is_allowed(personas, settings) -> None:  # type: ignore[no-untyped-def]
    """A plan of own stock (no package template) counts against the aggregator's hold
    limit; over it, the commit is refused with the limit and what is still allowed, and
    nothing is reserved."""
    settings.HOLD_LIMIT_VERIFIED = 5
    token = token_for(personas["agus"].organisation)
    body = {"aid_type": "sembako", "region": CIPULIR, "quantity": 20}
    plan = api_post(Client(), "/api/v1/allocation-plans", token, body).json()
    held = sum(Need.objects.filter(target__village_id=CIPULIR).values_list("held", flat=True))
    resp = api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert resp.status_code == 409, resp.content
    body = resp.json()
    assert (body["limit"], body["allowed"]) == (5, 5)
    assert body["detail"]
    assert not Pledge.objects.filter(organisation=personas["agus"].organisation).exists()
    assert sum(Need.objects.filter(target__village_id=CIPULIR).values_list("held", flat=True)) == held
    assert AllocationPlan.objects.get(pk=plan["id"]).status == PlanStatus.PREVIEW


def test_commit_conflict_is_409_and_changes_nothing(personas) -> None:  # type: ignore[no-untyped-def]
    token = token_for(personas["agus"].organisation)
    resp = api_post(
        Client(),
        "/api/v1/allocation-plans",
        token,
        {"aid_type": "sembako", "region": CIPULIR, "quantity": 50},
    )
    plan = resp.json()
    first = plan["allocations"][0]
    need = Need.objects.get(pk=first["need"])
    # Meanwhile a donor takes everything that need still had.
    pledge_create(
        actor=None,
        organisation=personas["dina"].organisation,
        need=need,
        quantity=need.remaining,
        planned_delivery=dt.date.today() + dt.timedelta(days=2),
    )
    resp = api_post(Client(), f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert resp.status_code == 409, resp.content
    body = resp.json()
    assert body["conflicts"] == [
        {"target": first["target"], "need": first["need"], "requested": first["quantity"], "remaining": 0}
    ]
    assert body["replan"].endswith(f"/{plan['id']}/replan")
    assert not Pledge.objects.filter(organisation=personas["agus"].organisation).exists()
    assert AllocationPlan.objects.get(pk=plan["id"]).status == PlanStatus.PREVIEW
    # Re-plan over today's need: the exhausted need is left out.
    resp = api_post(Client(), body["replan"], token)
    assert resp.status_code == 201
    assert first["need"] not in [a["need"] for a in resp.json()["allocations"]]
    assert AllocationPlan.objects.get(pk=plan["id"]).status == PlanStatus.SUPERSEDED


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({}, "quantity"),
        ({"quantity": 5, "min_drop": 0}, "min_drop"),
        ({"quantity": 5, "kinds": "semua"}, "kinds"),
        ({"quantity": 5.5}, "quantity"),
        ({"quantity": "5"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"budget": 100_000}, "template"),
    ],
)
def test_bad_plan_input_is_422(personas, body: dict[str, object], word: str) -> None:  # type: ignore[no-untyped-def]
    full: dict[str, object] = {"aid_type": "sembako", "region": CIPULIR} | body
    resp = api_post(Client(), "/api/v1/allocation-plans", token_for(personas["agus"].organisation), full)
    assert resp.status_code == 422, resp.content
    assert word in resp.json()["detail"]
    assert not AllocationPlan.objects.exists()


@pytest.mark.parametrize(
    ("body", "word"),
    [({"region": "99.99"}, "region"), ({"aid_type": "emas"}, "aid_type"), ({"template": 2**62}, "")],
)
def test_a_body_naming_nothing_is_404(personas, body: dict[str, object], word: str) -> None:  # type: ignore[no-untyped-def]
    full: dict[str, object] = {"aid_type": "sembako", "region": CIPULIR, "quantity": 5} | body
    resp = api_post(Client(), "/api/v1/allocation-plans", token_for(personas["agus"].organisation), full)
    assert resp.status_code == 404, resp.content
    assert word in resp.json()["detail"]
    assert not AllocationPlan.objects.exists()


def test_a_whole_number_written_as_float_is_that_number(personas) -> None:  # type: ignore[no-untyped-def]
    # JSON Schema's integer includes 5.0; the API agrees with its schema.
    full = {"aid_type": "sembako", "region": CIPULIR, "quantity": 5.0, "min_drop": 1.0}
    resp = api_post(Client(), "/api/v1/allocation-plans", token_for(personas["agus"].organisation), full)
    assert resp.status_code == 201, resp.content
    assert resp.json()["total"] == 5
    assert AllocationPlan.objects.get().stock == 5


def test_budget_that_buys_nothing_and_empty_area_and_no_money(personas) -> None:  # type: ignore[no-untyped-def]
    token = token_for(personas["agus"].organisation)
    template = _template(personas, cost=200_000)
    _fund(personas, 1_000_000)
    body = {"aid_type": "sembako", "region": CIPULIR, "budget": 150_000, "template": template}
    resp = api_post(Client(), "/api/v1/allocation-plans", token, body)
    assert resp.status_code == 422 and "budget" in resp.json()["detail"]
    body = {"aid_type": "sembako", "region": CIPULIR, "budget": 5_000_000, "template": template}
    resp = api_post(Client(), "/api/v1/allocation-plans", token, body)
    assert resp.status_code == 409 and "saldo" in resp.json()["detail"]
    rw = "31.74.05.1003.001"
    Need.objects.filter(target__region_id=rw).update(held=F("quantity"))
    resp = api_post(
        Client(), "/api/v1/allocation-plans", token, {"aid_type": "sembako", "region": rw, "quantity": 5}
    )
    assert resp.status_code == 409 and "region" in resp.json()["detail"]
    assert not AllocationPlan.objects.exists()


def test_only_verified_aggregators_plan(personas) -> None:  # type: ignore[no-untyped-def]
    body = {"aid_type": "sembako", "region": CIPULIR, "quantity": 5}
    for who in ("dina", "ratna", "oki"):
        assert (
            api_post(
                Client(), "/api/v1/allocation-plans", token_for(personas[who].organisation), body
            ).status_code
            == 403
        )
    assert api_post(Client(), "/api/v1/allocation-plans", None, body).status_code == 401
    agus = personas["agus"].organisation
    resp = api_post(Client(), "/api/v1/allocation-plans", token_for(agus), body)
    plan_id = resp.json()["id"]
    other = token_for(personas["dina"].organisation)
    assert api_post(Client(), f"/api/v1/allocation-plans/{plan_id}/commit", other).status_code == 404
    assert not Pledge.objects.exists()


def test_plan_page_shows_table_and_map_points(personas) -> None:  # type: ignore[no-untyped-def]
    token = token_for(personas["agus"].organisation)
    plan = api_post(
        Client(),
        "/api/v1/allocation-plans",
        token,
        {"aid_type": "sembako", "region": CIPULIR, "quantity": 40},
    ).json()
    client = Client()
    login(client, personas["agus"])
    resp = client.get(f"/dana/rencana/{plan['id']}/")
    assert resp.status_code == 200
    points = resp.context["points"]
    assert len(points) == len(plan["allocations"])  # RWs placed at their kelurahan's centroid
    assert sum(p["q"] for p in points) == 40
    assert 'id="plan-points"' in resp.content.decode() and "funds/plan-map.js" in resp.content.decode()


@pytest.mark.parametrize(("kinds", "expect_rw"), [("rw", True), ("institutions", False), ("both", None)])
def test_kinds_choose_rws_institutions_or_both(personas, kinds: str, expect_rw: bool | None) -> None:  # type: ignore[no-untyped-def]
    """A stock larger than the area's need is spread over exactly the needs of the kinds
    asked for, each to its own target, never beyond what remains."""
    from kolaborasi.targets.models import Target, TargetKind

    district = "31.74.05"
    token = token_for(personas["agus"].organisation)
    needs = Need.objects.filter(target__district_code=district, aid_type__slug="sembako", remaining__gt=0)
    if expect_rw is not None:
        rw = Q(target__kind=TargetKind.RW)
        needs = needs.filter(rw if expect_rw else ~rw)
    total = sum(needs.values_list("remaining", flat=True))
    assert total > 0
    body = {"aid_type": "sembako", "region": district, "quantity": 50_000, "kinds": kinds}
    resp = api_post(Client(), "/api/v1/allocation-plans", token, body)
    assert resp.status_code == 201, resp.content
    plan = resp.json()
    given = {a["need"]: a for a in plan["allocations"]}
    assert set(given) == set(needs.values_list("id", flat=True))
    assert plan["total"] == min(50_000, total)
    for need in needs:
        assert given[need.pk]["target"] == need.target_id
        assert given[need.pk]["quantity"] == need.remaining
    kinds_seen = set(
        Target.objects.filter(pk__in=[a["target"] for a in given.values()]).values_list("kind", flat=True)
    )
    if expect_rw is True:
        assert kinds_seen == {TargetKind.RW}
    elif expect_rw is False:
        assert TargetKind.RW not in kinds_seen and kinds_seen

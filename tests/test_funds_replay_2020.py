"""The 2020 example replayed through the API and the UI.

A courier company gives Rp1.000.000.000 to BAZNAS (BAZIS) DKI, a teachers'
association Rp545.000.000 (not public), a museum association Rp20.000.000 to ACT; the
aggregators confirm; profiles show exactly those totals; packages are pledged from the
funds and the money is traceable on the targets."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kolaborasi.accounts.models import Membership, OrgKind, Role
from kolaborasi.funds.models import PackageTemplate, PledgeFunding
from kolaborasi.funds.selectors import funds_summary, ledger_verify
from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import AidType
from tests.personas import api_get, api_post, login, make_org, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]


def _member_client(org) -> Client:  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(f"user{org.pk}", f"u{org.pk}@example.org", "x-pass-123456")
    Membership.objects.create(user=user, organisation=org, role=Role.OWNER)
    client = Client()
    login(client, user)
    return client


def test_replay_2020() -> None:
    baznas = make_org("BAZNAS (BAZIS) DKI", OrgKind.AGGREGATOR)
    act = make_org("ACT", OrgKind.AGGREGATOR)
    courier = make_org("PT Kurir Cepat Nusantara")
    teachers = make_org("Persatuan Guru Jakarta")
    museums = make_org("Asosiasi Museum Indonesia")
    api = Client()
    sembako = AidType.objects.get(slug="sembako")

    # Donations through the API, confirmed by the aggregators' tokens.
    given = [
        (courier, baznas, 1_000_000_000, "2020-04-18", True),
        (teachers, baznas, 545_000_000, "2020-04-20", False),
        (museums, act, 20_000_000, "2020-04-21", True),
    ]
    for donor, agg, amount, day, public in given:
        body = {
            "aggregator": agg.pk,
            "amount": amount,
            "donated_on": day,
            "reference": f"REF-{amount}",
            "public": public,
        }
        resp = api_post(api, "/api/v1/donations", token_for(donor), body)
        assert resp.status_code == 201 and resp.json()["status"] == "pending"
        resp = api_post(api, f"/api/v1/donations/{resp.json()['id']}/confirm", token_for(agg))
        assert resp.status_code == 200 and resp.json()["status"] == "confirmed"

    resp = api_get(api, f"/api/v1/aggregators/{baznas.pk}")
    assert resp.status_code == 200
    assert resp.json()["funds"] == {
        "donated": 1_545_000_000,
        "confirmed": 1_545_000_000,
        "allocated": 0,
        "balance": 1_545_000_000,
    }
    assert resp.json()["verified"] is True
    listed = {a["name"]: a["funds"]["confirmed"] for a in api_get(api, "/api/v1/aggregators").json()}
    assert listed["BAZNAS (BAZIS) DKI"] == 1_545_000_000 and listed["ACT"] == 20_000_000
    assert funds_summary()["confirmed"] >= 1_565_000_000

    # Profile page: exact totals in Rp format; only the donors who chose to be public.
    page = Client().get(f"/dana/agregator/{baznas.pk}/").content.decode()
    assert "Rp1.545.000.000" in page and "PT Kurir Cepat Nusantara" in page
    assert "Persatuan Guru Jakarta" not in page

    # BAZNAS defines its package in the UI and plans Rp1.000.000.000 over Jakarta Selatan (API).
    baznas_web = _member_client(baznas)
    resp = baznas_web.post(
        "/dana/paket/",
        {
            "aid_type": str(sembako.pk),
            "name": "Sembako keluarga",
            "contents": "beras 10 kg, minyak 2 l",
            "unit_cost": "250000",
        },
    )
    assert resp.status_code == 302, resp.content
    template = PackageTemplate.objects.get(aggregator=baznas)
    assert template.aid_type.slug == "sembako"
    token = token_for(baznas)
    body = {
        "aid_type": "sembako",
        "region": "31.74",
        "budget": 1_000_000_000,
        "template": template.pk,
        "min_drop": 10,
    }
    plan = api_post(api, "/api/v1/allocation-plans", token, body).json()
    assert plan["total"] == 4000 and plan["cost"] == 1_000_000_000
    resp = api_post(api, f"/api/v1/allocation-plans/{plan['id']}/commit", token)
    assert resp.status_code == 201
    pledges = resp.json()["pledges"]
    assert sum(p["quantity"] for p in pledges) == 4000
    # FIFO: the courier's money (confirmed first) paid for all of it.
    assert {f["donor"] for p in pledges for f in p["funding"]} == {"PT Kurir Cepat Nusantara"}

    # ACT plans and commits in the UI: Rp20.000.000 at Rp200.000 = 100 packages in Cipulir.
    act_web = _member_client(act)
    act_web.post(
        "/dana/paket/",
        {"aid_type": str(sembako.pk), "name": "Paket ACT", "contents": "beras 5 kg", "unit_cost": "200000"},
    )
    act_template = PackageTemplate.objects.get(aggregator=act)
    resp = act_web.post(
        "/dana/rencana/",
        {
            "aid_type": str(sembako.pk),
            "region": "31.74.05.1003",
            "budget": "20000000",
            "template": str(act_template.pk),
            "min_drop": "1",
            "kinds": "both",
        },
    )
    assert resp.status_code == 302, resp.content
    plan_url = resp["Location"]
    assert "Rp20.000.000" in act_web.get(plan_url).content.decode()
    resp = act_web.post(plan_url + "setujui/")
    assert resp.status_code == 302
    act_pledges = Pledge.objects.filter(organisation=act)
    assert sum(p.quantity for p in act_pledges) == 100

    # Totals on the profiles equal the ledger; money is traceable on a target.
    b = api_get(api, f"/api/v1/aggregators/{baznas.pk}").json()
    assert b["funds"] == {
        "donated": 1_545_000_000,
        "confirmed": 1_545_000_000,
        "allocated": 1_000_000_000,
        "balance": 545_000_000,
    }
    assert b["pledged"] == {"sembako": 4000}
    a = api_get(api, f"/api/v1/aggregators/{act.pk}").json()
    assert a["funds"]["allocated"] == 20_000_000 and a["funds"]["balance"] == 0
    assert ledger_verify() == []
    target_id = act_pledges.first().target_id  # type: ignore[union-attr]
    funding = api_get(api, f"/api/v1/targets/{target_id}/funding").json()
    assert {f["donor"] for f in funding if f["aggregator"] == "ACT"} == {"Asosiasi Museum Indonesia"}
    page = Client().get(f"/dana/sasaran/{target_id}/").content.decode()
    assert "Asosiasi Museum Indonesia" in page and "ACT" in page
    assert sum(PledgeFunding.objects.values_list("amount", flat=True)) == 1_020_000_000

    # The teachers' (private) money pays the next plan: shown without their name.
    body = {"aid_type": "sembako", "region": "31.75", "budget": 100_000_000, "template": template.pk}
    plan = api_post(api, "/api/v1/allocation-plans", token, body).json()
    pledges = api_post(api, f"/api/v1/allocation-plans/{plan['id']}/commit", token).json()["pledges"]
    assert {f["donor"] for p in pledges for f in p["funding"]} == {None}
    page = Client().get(f"/dana/sasaran/{pledges[0]['target']}/").content.decode()
    assert "Persatuan Guru Jakarta" not in page

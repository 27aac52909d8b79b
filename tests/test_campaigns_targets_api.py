"""`campaign=SLUG` on GET /api/v1/targets and /api/v1/finder: only that campaign's needs
rank the targets and show on them; an unknown campaign is 404."""

from __future__ import annotations

import datetime as dt

import pytest

from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.personas import auth
from tests.pledges_support import pledge_body, ratna_need

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted", "still_clock"),
]


def test_the_list_and_finder_read_one_campaigns_needs(client, personas) -> None:  # type: ignore[no-untyped-def]
    demo_need = ratna_need()
    district = demo_need.target.district_code
    flood = campaign_start(
        actor=None,
        name="Banjir Kebayoran",
        region_codes=[district],
        aid_type_slugs=["sembako"],
        start=dt.date(2026, 12, 1),
    )
    flood_need = Need.objects.get(campaign=flood, target=demo_need.target)
    body = {**pledge_body(demo_need, flood_need.quantity), "campaign": flood.slug}
    r = client.post("/api/v1/pledges", body, content_type="application/json", **auth(personas["dina"]))
    assert r.status_code == 201, r.content

    def needs_of(slug: str) -> dict[int, list[dict]]:
        r = client.get(f"/api/v1/targets?region={district}&aid_type=sembako&limit=200&campaign={slug}")
        assert r.status_code == 200, r.content
        return {item["id"]: item["needs"] for item in r.json()["items"]}

    in_flood = needs_of(flood.slug)
    assert len(in_flood) == Need.objects.filter(campaign=flood).count()
    assert all(
        [(n["campaign"], n["aid_type"]) for n in needs] == [(flood.slug, "sembako")]
        for needs in in_flood.values()
    )
    assert in_flood[demo_need.target_id][0]["committed"] == flood_need.quantity
    assert in_flood[demo_need.target_id][0]["remaining"] == 0
    in_demo = needs_of(demo_need.campaign.slug)
    assert [n["aid_type"] for n in in_demo[demo_need.target_id]] == ["sembako", "siap-saji", "lebaran"]
    assert in_demo[demo_need.target_id][0]["committed"] == 0
    # Without a campaign the target shows both campaigns' sembako, each named.
    one = client.get(f"/api/v1/targets/{demo_need.target_id}").json()["needs"]
    assert [(n["campaign"], n["aid_type"]) for n in one][:2] == [
        (demo_need.campaign.slug, "sembako"),
        (flood.slug, "sembako"),
    ]
    # The fully covered target ranks last in the flood response, not in the demo.
    flood_ids = list(in_flood)
    assert flood_ids[-1] == demo_need.target_id

    finder = (
        f"/api/v1/finder?aid_type=sembako&quantity={demo_need.quantity}&region={demo_need.target.region_id}"
    )
    in_demo_found = client.get(f"{finder}&campaign={demo_need.campaign.slug}").json()["suggestions"]
    assert [s["targets"][0]["id"] for s in in_demo_found] == [demo_need.target_id]
    assert client.get(f"{finder}&campaign={flood.slug}").json()["suggestions"] == []

    r = client.get("/api/v1/targets?campaign=tidak-ada")
    assert r.status_code == 404 and "tidak-ada" in r.json()["detail"]
    assert client.get("/api/v1/finder?aid_type=sembako&quantity=1&campaign=tidak-ada").status_code == 404
    assert client.get("/api/v1/targets?campaign=Bukan!").status_code == 422

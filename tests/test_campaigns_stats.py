"""Public figures per campaign: two open campaigns over the same RWs each have their own
figures (summary, regions, coverage GeoJSON, running totals), a pledge in one never
changes the other's, and each equals a recomputation from its own rows. Without
``campaign`` the default rule (``campaigns.selectors.campaign_for_area``) decides."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError
from django.test import Client

from kolaborasi.campaigns.models import Campaign
from kolaborasi.campaigns.services import campaign_close
from kolaborasi.pledges import confirmation
from kolaborasi.pledges import services as pledge_services
from kolaborasi.stats import tally
from kolaborasi.stats.models import Tally
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.history_support import CITY, OTHER_CITY, build_history
from tests.pledges_support import open_campaign, today
from tests.test_stats_consistency import _without_as_of, recompute

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]


def _flood(start: dt.date | None = None) -> Campaign:
    """A second open campaign over the RWs of CITY (which the demo's campaign covers too)."""
    return campaign_start(
        actor=None,
        name="Tanggap Banjir",
        region_codes=[CITY],
        aid_type_slugs=["sembako"],
        start=start or today(),
    )


def _summary(client: Client, **params: str) -> dict[str, Any]:
    cache.clear()  # the figures are read afresh, not from the few-seconds cache
    response = client.get("/api/v1/stats/summary", params)
    assert response.status_code == 200, response.content
    return _without_as_of(response.json())


def _regions(client: Client, **params: str) -> list[dict[str, Any]]:
    cache.clear()
    response = client.get("/api/v1/stats/regions", params)
    assert response.status_code == 200, response.content
    return [_without_as_of(row) | {"code": row["code"]} for row in response.json()]


def _pictures(client: Client, slug: str) -> dict[str, Any]:
    """Every figure of one campaign the API answers, for a before/after comparison."""
    return {
        "country": _summary(client, campaign=slug),
        "city": _summary(client, region=CITY, campaign=slug),
        "other": _summary(client, region=OTHER_CITY, campaign=slug),
        "week": _summary(client, region=CITY, since=str(today() - dt.timedelta(days=7)), campaign=slug),
        "districts": _regions(client, level="district", parent=CITY, campaign=slug),
        "cities": _regions(client, level="city", campaign=slug),
    }


def test_each_campaigns_figures_equal_a_recomputation_from_its_rows(client: Client, personas: Any) -> None:
    demo = open_campaign()
    flood = _flood()
    build_history(personas, seed=21, pledges=70)  # pledges on needs of both campaigns in CITY
    tally.fold()
    assert tally.drift() == []
    for campaign in (demo, flood):
        assert tally.drift(campaign.pk) == []
        assert Need.objects.filter(campaign=campaign, held__gt=0).exists(), campaign.slug
        for region in (None, CITY, OTHER_CITY, "31"):
            params = {"campaign": campaign.slug, **({"region": region} if region else {})}
            assert _summary(client, **params) == recompute(region, campaign=campaign.pk), (campaign, region)
        since, until = today() - dt.timedelta(days=9), today() - dt.timedelta(days=2)
        params = {"campaign": campaign.slug, "region": CITY, "since": str(since), "until": str(until)}
        assert _summary(client, **params) == recompute(CITY, since, until, campaign=campaign.pk)
        for row in _regions(client, level="district", parent=CITY, campaign=campaign.slug):
            code = row.pop("code")
            assert row == recompute(code, campaign=campaign.pk), (campaign, code)
    # Two pictures, not one: the flood response has its own, smaller, figures.
    whole = recompute(CITY)
    demo_city, flood_city = recompute(CITY, campaign=demo.pk), recompute(CITY, campaign=flood.pk)
    assert flood_city["pledged"]["sembako"] > 0
    assert demo_city["pledged"]["sembako"] + flood_city["pledged"]["sembako"] == whole["pledged"]["sembako"]
    # The running totals have one row per campaign, kelurahan and aid type.
    assert Tally.objects.filter(campaign_id=flood.pk, held__gt=0).exists()
    assert set(Tally.objects.values_list("campaign_id", flat=True)) <= {demo.pk, flood.pk}


def test_pledges_in_one_campaign_never_change_the_others_figures(client: Client, personas: Any) -> None:
    demo = open_campaign()
    flood = _flood()
    dina = personas["dina"]
    demo_before = _pictures(client, demo.slug)
    flood_before = _pictures(client, flood.slug)

    # Pledges, a delivery, a confirmation and a cancellation in the flood response.
    flood_needs = list(Need.objects.filter(campaign=flood, target__kind="rw").order_by("pk")[:3])
    pledges = [
        pledge_services.pledge_create(
            actor=dina.user,
            organisation=dina.organisation,
            need=need,
            quantity=need.quantity,
            planned_delivery=today(),
        )
        for need in flood_needs
    ]
    pledge_services.delivery_record(
        actor=dina.user, organisation=dina.organisation, pledge=pledges[0], quantity=2, delivered_on=today()
    )
    confirmation.pledge_confirm(
        actor=personas["oki"].user, organisation=personas["oki"].organisation, pledge=pledges[0]
    )
    pledge_services.pledge_cancel(actor=dina.user, organisation=dina.organisation, pledge=pledges[1])

    assert _pictures(client, demo.slug) == demo_before
    flood_after = _pictures(client, flood.slug)
    assert flood_after != flood_before
    assert flood_after["city"]["pledged"]["sembako"] == sum(n.quantity for n in flood_needs) - (
        flood_needs[1].quantity - 0
    )
    assert flood_after["city"]["rws_met"] == 2  # the cancelled one is no longer met
    assert flood_after["city"] == recompute(CITY, campaign=flood.pk)
    assert flood_after["other"]["pledged"]["sembako"] == 0  # the flood does not reach OTHER_CITY

    # And the other way round: a pledge in the demo's campaign leaves the flood's as it is.
    demo_need = Need.objects.filter(campaign=demo, target__city_code=CITY, aid_type__slug="sembako").first()
    assert demo_need is not None
    pledge_services.pledge_create(
        actor=dina.user, organisation=dina.organisation, need=demo_need, quantity=3, planned_delivery=today()
    )
    assert _pictures(client, flood.slug) == flood_after
    assert _summary(client, region=CITY, campaign=demo.slug) == recompute(CITY, campaign=demo.pk)
    assert tally.drift() == []


def test_the_default_campaign_is_the_open_one_covering_the_area(client: Client, personas: Any) -> None:
    demo = open_campaign()
    only_demo = _summary(client, region=CITY)
    assert only_demo == _summary(client, region=CITY, campaign=demo.slug)  # one open: as before
    flood = _flood(start=demo.start + dt.timedelta(days=30))
    need = Need.objects.filter(campaign=flood, target__kind="rw").first()
    assert need is not None
    dina = personas["dina"]
    pledge_services.pledge_create(
        actor=dina.user, organisation=dina.organisation, need=need, quantity=1, planned_delivery=today()
    )
    # Both cover CITY: the most recently started one. Only the demo's covers OTHER_CITY.
    assert _summary(client, region=CITY) == _summary(client, region=CITY, campaign=flood.slug)
    assert _summary(client) == _summary(client, campaign=flood.slug)
    assert _summary(client, region=OTHER_CITY) == _summary(client, region=OTHER_CITY, campaign=demo.slug)
    # A closed campaign is no longer the default while another is open.
    campaign_close(actor=None, campaign=flood)
    assert _summary(client, region=CITY) == _summary(client, region=CITY, campaign=demo.slug)
    # Every campaign closed: the most recently started one (its figures stay public).
    campaign_close(actor=None, campaign=demo)
    assert _summary(client, region=CITY) == _summary(client, region=CITY, campaign=flood.slug)


def test_an_unknown_or_malformed_campaign_is_refused(client: Client) -> None:
    for url in (
        "/api/v1/stats/summary?campaign=tidak-ada",
        "/api/v1/stats/regions?level=city&campaign=tidak-ada",
        "/api/v1/exports/coverage.geojson?level=city&campaign=tidak-ada",
    ):
        response = client.get(url)
        assert response.status_code == 404, (url, response.content)
        assert "tidak-ada" in response.json()["detail"] and "program" in response.json()["detail"]
    draft = campaign_start(
        actor=None, name="Draf", region_codes=[CITY], aid_type_slugs=["sembako"], start=today()
    )
    Campaign.objects.filter(pk=draft.pk).update(status="draft")  # drafts are not public
    assert client.get(f"/api/v1/stats/summary?campaign={draft.slug}").status_code == 404
    response = client.get("/api/v1/stats/summary?campaign=bukan%20kode!")
    assert response.status_code == 422, response.content
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/stats/summary", "/api/v1/stats/regions", "/api/v1/exports/coverage.geojson"):
        names = [p["name"] for p in schema["paths"][path]["get"]["parameters"]]
        assert "campaign" in names, path


def test_coverage_geojson_per_campaign(client: Client, personas: Any) -> None:
    demo = open_campaign()
    flood = _flood()
    need = Need.objects.filter(campaign=flood, target__kind="rw").first()
    assert need is not None
    dina = personas["dina"]
    pledge_services.pledge_create(
        actor=dina.user, organisation=dina.organisation, need=need, quantity=5, planned_delivery=today()
    )

    def geojson(slug: str) -> dict[str, Any]:
        response = client.get(
            f"/api/v1/exports/coverage.geojson?level=district&parent={CITY}&campaign={slug}"
        )
        assert response.status_code == 200
        return json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]

    flood_geo, demo_geo = geojson(flood.slug), geojson(demo.slug)
    assert (flood_geo["campaign"], demo_geo["campaign"]) == (flood.slug, demo.slug)
    flood_units = {f["properties"]["code"]: f["properties"]["pledged_sembako"] for f in flood_geo["features"]}
    assert flood_units[need.target.district_code] == 5
    assert sum(flood_units.values()) == 5
    assert all(f["properties"]["pledged_sembako"] == 0 for f in demo_geo["features"])


def test_the_command_checks_and_rebuilds_one_campaign(run_cli: Any, personas: Any) -> None:
    demo = open_campaign()
    flood = _flood()
    build_history(personas, seed=5, pledges=20)
    # Which needs the history picks depends on the rows before it: one pledge in the
    # flood campaign for certain, so that it has a running total to spoil below.
    flood_need = Need.objects.filter(campaign=flood).order_by("pk").first()
    assert flood_need is not None
    dina = personas["dina"]
    pledge_services.pledge_create(
        actor=dina.user,
        organisation=dina.organisation,
        need=flood_need,
        quantity=3,
        planned_delivery=today() + dt.timedelta(days=2),
    )
    out, _err = run_cli("stats", "check", "--campaign", flood.slug)
    assert "sesuai" in out
    row = Tally.objects.filter(campaign_id=flood.pk, held__gt=0).first()
    assert row is not None
    Tally.objects.filter(pk=row.pk).update(held=row.held + 7)
    demo_rows = list(Tally.objects.filter(campaign_id=demo.pk).order_by("pk").values())
    out, _err = run_cli("stats", "check", "--campaign", demo.slug)  # the other one is fine
    assert "sesuai" in out
    with pytest.raises(CommandError, match="kolaborasi stats rebuild"):
        run_cli("stats", "check", "--campaign", flood.slug)
    out, _err = run_cli("stats", "rebuild", "--campaign", flood.slug)
    assert "sesuai" in out
    assert tally.drift() == []
    assert list(Tally.objects.filter(campaign_id=demo.pk).order_by("pk").values()) == demo_rows  # untouched
    with pytest.raises(CommandError, match="tidak-ada"):
        run_cli("stats", "check", "--campaign", "tidak-ada")

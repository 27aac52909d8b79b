"""Open data per campaign: every file (CSV with its HXL row, XLSX) ends with a `campaign`
column (the slug; empty in funds, as a donation has no campaign), `campaign=SLUG` keeps
one campaign's rows, and each campaign's files reproduce its own figures."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

import hxl
import pytest
from django.core.cache import cache
from django.test import Client
from openpyxl import load_workbook

from kolaborasi.campaigns.models import Campaign
from kolaborasi.pledges.models import Delivery, Pledge
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.history_support import CITY, build_history
from tests.pledges_support import make_pledge, open_campaign, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")]

DATASETS = ["needs", "pledges", "deliveries", "funds"]


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(client: Client, url: str) -> tuple[list[str], list[str], list[dict[str, str]]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    rows = list(csv.reader(io.StringIO(_body(response).decode())))
    return rows[0], rows[1], [dict(zip(rows[0], row, strict=True)) for row in rows[2:]]


@pytest.fixture
def two(personas: dict[str, Any]) -> tuple[Campaign, Campaign]:
    demo = open_campaign()
    flood = campaign_start(
        actor=None, name="Tanggap Banjir", region_codes=[CITY], aid_type_slugs=["sembako"], start=today()
    )
    build_history(personas, seed=17, pledges=50)
    # Whatever the history drew: a delivered pledge in each campaign, so every file of each
    # has rows.
    for campaign in (demo, flood):
        need = Need.objects.filter(campaign=campaign, target__city_code=CITY).order_by("pk").first()
        make_pledge(personas["dina"], need, quantity=3, delivered=2)
    return demo, flood


def test_every_file_has_a_campaign_column_with_its_hxl_tag(
    client: Client, two: tuple[Campaign, Campaign]
) -> None:
    demo, flood = two
    for dataset in DATASETS:
        for slug in (demo.slug, flood.slug):
            url = f"/api/v1/exports/{dataset}.csv?campaign={slug}" + (
                "&region=31.74" if dataset == "needs" else ""
            )
            header, tags, rows = _csv(client, url)
            assert (header[-1], tags[-1]) == ("campaign", "#crisis+code"), dataset
            data = hxl.data(io.BytesIO(_body(client.get(url))), hxl.input.InputOptions(allow_local=True))
            assert [c.display_tag for c in data.columns][-1] == "#crisis+code"
            expected = {""} if dataset == "funds" else {slug}
            assert rows and {r["campaign"] for r in rows} == expected, (dataset, slug)
            response = client.get(url.replace(".csv", ".xlsx"))
            assert response.status_code == 200
            assert slug in response["Content-Disposition"]
            sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
            xlsx = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
            assert xlsx[0] == header and xlsx[1] == tags and len(xlsx) == len(rows) + 2
            assert {r[-1] for r in xlsx[2:]} == expected


def test_each_campaigns_files_hold_its_rows_and_reproduce_its_figures(
    client: Client, two: tuple[Campaign, Campaign]
) -> None:
    for campaign in two:
        _h, _t, pledges = _csv(client, f"/api/v1/exports/pledges.csv?campaign={campaign.slug}")
        assert sorted(int(r["pledge_id"]) for r in pledges) == sorted(
            Pledge.objects.filter(need__campaign=campaign).values_list("pk", flat=True)
        )
        _h, _t, needs = _csv(client, f"/api/v1/exports/needs.csv?campaign={campaign.slug}&region={CITY}")
        assert sorted(int(r["need_id"]) for r in needs) == sorted(
            Need.objects.filter(campaign=campaign, target__city_code=CITY).values_list("pk", flat=True)
        )
        _h, _t, deliveries = _csv(client, f"/api/v1/exports/deliveries.csv?campaign={campaign.slug}")
        assert sorted(int(r["delivery_id"]) for r in deliveries) == sorted(
            Delivery.objects.filter(pledge__need__campaign=campaign).values_list("pk", flat=True)
        )
        # The campaign's summary from its pledges file.
        pledged: dict[str, int] = defaultdict(int)
        delivered: dict[str, int] = defaultdict(int)
        for r in pledges:
            pledged[r["aid_type"]] += int(r["held"])
            delivered[r["aid_type"]] += int(r["delivered"])
        cache.clear()
        summary = client.get(f"/api/v1/stats/summary?campaign={campaign.slug}").json()
        assert {k: v for k, v in summary["pledged"].items() if v} == {k: v for k, v in pledged.items() if v}
        assert {k: v for k, v in summary["delivered"].items() if v} == {
            k: v for k, v in delivered.items() if v
        }
        delivered_rows: dict[str, int] = defaultdict(int)
        for r in deliveries:
            delivered_rows[r["aid_type"]] += int(r["quantity"])
        assert {k: v for k, v in delivered_rows.items() if v} == {k: v for k, v in delivered.items() if v}
    # Without campaign=: the default campaign's rows (the most recently started open one).
    demo, flood = two
    assert flood.start >= demo.start
    _h, _t, default = _csv(client, "/api/v1/exports/pledges.csv")
    assert {r["campaign"] for r in default} == {flood.slug}


def test_a_bad_campaign_in_an_export_is_refused(client: Client) -> None:
    response = client.get("/api/v1/exports/pledges.csv?campaign=tidak-ada")
    assert response.status_code == 404
    assert "tidak-ada" in response.json()["detail"]
    assert client.get("/api/v1/exports/needs.xlsx?campaign=a%20b").status_code == 422
    # The date filters keep working with a campaign.
    assert (
        client.get(
            f"/api/v1/exports/pledges.csv?campaign={open_campaign().slug}&since=2020-01-01"
        ).status_code
        == 200
    )

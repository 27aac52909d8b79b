"""Every published figure equals a recomputation from the rows (docs/architecture.md, invariant 8).

A randomized history of pledges, deliveries, confirmations, cancellations, expiries and
donations goes through the real services; then the summary API, the regions API, the
dashboard HTML, the CSV and XLSX exports are each compared with figures recomputed here,
independently, in plain Python over the raw rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.funds.models import Donation, DonationStatus, PledgeFunding
from kolaborasi.pledges.models import Pledge
from kolaborasi.regions.models import Region
from kolaborasi.targets.models import AidType, Need, Target, TargetKind
from tests.history_support import CITY, OTHER_CITY, History, build_history

pytestmark = pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")


def _in_region(target: Target, code: str | None) -> bool:
    if code is None:
        return True
    return (
        target.region_id == code
        or target.region_id.startswith(code + ".")
        or (
            target.kind != TargetKind.RW
            and (target.village_id == code or target.village_id.startswith(code + "."))
        )
    )


def recompute(
    region: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    campaign: int | None = None,
) -> dict:
    """The figures from the raw rows; with ``campaign`` (an id) only that campaign's
    pledges and the money spent on them (donations themselves have no campaign)."""
    slugs = list(AidType.objects.order_by("sort_order", "slug").values_list("slug", flat=True))
    fig: dict[str, Any] = {
        "pledged": dict.fromkeys(slugs, 0),
        "delivered": dict.fromkeys(slugs, 0),
        "confirmed": dict.fromkeys(slugs, 0),
    }
    cities: set[str] = set()
    districts: set[str] = set()
    villages: set[str] = set()
    rws: set[int] = set()
    institutions: set[int] = set()
    held_by_need: dict[int, int] = defaultdict(int)
    orgs: set[int] = set()
    for p in Pledge.objects.select_related("target", "aid_type", "need"):
        day = timezone.localtime(p.created_at).date()
        if not _in_region(p.target, region) or (since and day < since) or (until and day > until):
            continue
        if campaign is not None and p.need.campaign_id != campaign:
            continue
        held = p.quantity - p.released
        fig["pledged"][p.aid_type.slug] += held
        fig["delivered"][p.aid_type.slug] += p.delivered
        fig["confirmed"][p.aid_type.slug] += p.confirmed
        if held <= 0:
            continue
        t = p.target
        cities.add(t.city_code)
        districts.add(t.district_code)
        villages.add(t.village_id)
        (rws if t.kind == TargetKind.RW else institutions).add(t.pk)
        held_by_need[p.need_id] += held
        orgs.add(p.organisation_id)
    met = 0
    for need in Need.objects.filter(pk__in=list(held_by_need)).select_related("target", "aid_type"):
        if (
            need.aid_type.slug == settings.PRIMARY_AID_TYPE
            and need.target.kind == TargetKind.RW
            and need.quantity > 0
            and held_by_need[need.pk] >= need.quantity
        ):
            met += 1
    donations = Donation.objects.all()
    if since:
        donations = donations.filter(donated_on__gte=since)
    if until:
        donations = donations.filter(donated_on__lte=until)
    if region is None:
        for d in donations:
            if d.status == DonationStatus.CONFIRMED:
                orgs.update((d.donor_id, d.aggregator_id))
        funds = {
            "donated": sum(d.amount for d in donations if d.status != DonationStatus.REJECTED),
            "confirmed": sum(d.amount for d in donations if d.status == DonationStatus.CONFIRMED),
        }
    else:
        # With an area, money counts where it was spent: funding rows of pledges there.
        spent = 0
        for f in PledgeFunding.objects.select_related("donation", "pledge__target", "pledge__need"):
            d = f.donation
            if not _in_region(f.pledge.target, region):
                continue
            if campaign is not None and f.pledge.need.campaign_id != campaign:
                continue
            if (since and d.donated_on < since) or (until and d.donated_on > until):
                continue
            spent += f.amount - f.refunded
            if d.status == DonationStatus.CONFIRMED and f.amount > f.refunded:
                orgs.update((d.donor_id, d.aggregator_id))
        funds = {"donated": spent, "confirmed": spent}
    collaborators = {"donor_organisations": 0, "individual_donors": 0, "aggregators": 0}
    for org in Organisation.objects.filter(pk__in=orgs):
        if org.kind == OrgKind.AGGREGATOR:
            collaborators["aggregators"] += 1
        elif org.kind == OrgKind.DONOR and org.subtype == OrgSubtype.INDIVIDUAL:
            collaborators["individual_donors"] += 1
        elif org.kind == OrgKind.DONOR and org.subtype in (OrgSubtype.COMPANY, OrgSubtype.COMMUNITY):
            collaborators["donor_organisations"] += 1
    fig["reach"] = {
        "cities": len(cities),
        "districts": len(districts),
        "villages": len(villages),
        "rws": len(rws),
        "institutions": len(institutions),
    }
    fig["rws_met"] = met
    fig["rws_receiving"] = len(rws)
    fig["collaborators"] = collaborators
    fig["funds"] = funds
    return fig


def _without_as_of(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("as_of", "code", "name", "level")}


def _digits(html: str) -> str:
    """Drop thousands separators (Indonesian "." and English ",") from the page."""
    return re.sub(r"(?<=\d)[.,](?=\d{3})", "", html)


def _csv(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    header, hxl_row = rows[0], rows[1]
    assert all(tag.startswith("#") for tag in hxl_row)
    return [dict(zip(header, row, strict=True)) for row in rows[2:]]


@pytest.fixture
def history(personas: dict[str, Any]) -> History:
    return build_history(personas)


def check_summary_api_equals_recomputation(client: Client, history: History) -> None:
    today = timezone.localdate()
    cases: list[tuple[str | None, dt.date | None, dt.date | None]] = [
        (None, None, None),
        (CITY, None, None),
        (OTHER_CITY, None, None),
        (None, today - dt.timedelta(days=10), None),
        (None, None, today - dt.timedelta(days=5)),
        (CITY, today - dt.timedelta(days=14), today - dt.timedelta(days=3)),
        ("31", today, today),
    ]
    for region, since, until in cases:
        params = {
            k: str(v) for k, v in {"region": region, "since": since, "until": until}.items() if v is not None
        }
        response = client.get("/api/v1/stats/summary", params)
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["as_of"]
        expected = recompute(region, since, until)
        assert _without_as_of(data) == expected, params
    whole = recompute()
    assert sum(whole["pledged"].values()) > 0
    assert whole["rws_met"] >= 1
    assert whole["rws_met"] <= whole["rws_receiving"]
    assert sum(whole["delivered"].values()) > 0
    assert whole["collaborators"]["individual_donors"] == 1
    assert recompute(CITY)["funds"]["confirmed"] > 0


def check_summary_equals_need_counters(client: Client, history: History) -> None:
    """The figures equal the sums of the stored need counters (no date filter)."""
    data = client.get("/api/v1/stats/summary").json()
    for slug in data["pledged"]:
        needs = Need.objects.filter(aid_type__slug=slug)
        assert data["pledged"][slug] == sum(needs.values_list("held", flat=True))
        assert data["delivered"][slug] == sum(needs.values_list("delivered", flat=True))
        assert data["confirmed"][slug] == sum(needs.values_list("confirmed", flat=True))


def check_regions_api_equals_recomputation(client: Client, history: History) -> None:
    response = client.get("/api/v1/stats/regions", {"level": "city", "parent": "31"})
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [r["code"] for r in rows] == list(
        Region.objects.filter(level="city", code__startswith="31.")
        .order_by("code")
        .values_list("code", flat=True)
    )
    for row in rows:
        assert _without_as_of(row) == recompute(row["code"]), row["code"]
    districts = client.get("/api/v1/stats/regions", {"level": "district", "parent": CITY}).json()
    assert districts
    for row in districts:
        assert _without_as_of(row) == recompute(row["code"]), row["code"]
    # Per-region pledged figures add up to the total of the parent.
    parent = recompute(CITY)
    for slug, value in parent["pledged"].items():
        assert sum(r["pledged"][slug] for r in districts) == value


def check_dashboard_html_shows_the_same_numbers(client: Client, history: History) -> None:
    expected = recompute(CITY)
    response = client.get("/data/", {"region": CITY})
    assert response.status_code == 200
    html = _digits(response.content.decode())
    for kind in ("pledged", "delivered", "confirmed"):
        for slug, value in expected[kind].items():
            assert f'data-figure="{kind}-{slug}">{value}<' in html
    for key, value in expected["reach"].items():
        assert f'data-figure="{key}">{value}<' in html
    assert f'data-figure="rws_met">{expected["rws_met"]}<' in html
    assert f'data-figure="rws_receiving">{expected["rws_receiving"]}<' in html
    for key, value in expected["collaborators"].items():
        assert f'data-figure="{key}">{value}<' in html
    assert f'data-figure="funds_donated">Rp{expected["funds"]["donated"]}<' in html


def check_report_shows_the_same_numbers(client: Client, history: History) -> None:
    """The weekly report of this week equals the dashboard up to Sunday (cumulative)."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    iso = monday.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    expected = recompute(CITY, None, sunday)
    html = _digits(client.get("/data/laporan/", {"week": week, "region": CITY}).content.decode())
    for slug, value in expected["pledged"].items():
        assert f'data-figure="pledged-{slug}">{value}<' in html
    this_week = recompute(CITY, monday, sunday)
    for slug, value in this_week["pledged"].items():
        assert f'data-figure="week-{slug}">{value}<' in html
    assert f'data-figure="rws_met">{expected["rws_met"]}<' in html
    assert f'data-figure="rws_receiving">{expected["rws_receiving"]}<' in html
    for key, value in expected["collaborators"].items():
        assert f'data-figure="{key}">{value}<' in html


def check_csv_and_xlsx_exports_reproduce_the_summary(client: Client, history: History) -> None:
    from openpyxl import load_workbook

    summary = client.get("/api/v1/stats/summary").json()
    pledges = _csv(client, "/api/v1/exports/pledges.csv")
    assert len(pledges) == Pledge.objects.count()
    by_type: dict[str, int] = defaultdict(int)
    delivered: dict[str, int] = defaultdict(int)
    for row in pledges:
        by_type[row["aid_type"]] += int(row["held"])
        delivered[row["aid_type"]] += int(row["delivered"])
    for slug, value in summary["pledged"].items():
        assert by_type[slug] == value
        assert delivered[slug] == summary["delivered"][slug]
    deliveries = _csv(client, "/api/v1/exports/deliveries.csv")
    per_type: dict[str, int] = defaultdict(int)
    confirmed_per_type: dict[str, int] = defaultdict(int)
    for row in deliveries:
        per_type[row["aid_type"]] += int(row["quantity"])
        confirmed_per_type[row["aid_type"]] += int(row["confirmed"])
    for slug, value in summary["delivered"].items():
        assert per_type[slug] == value
    # Confirmations are counted per delivery: the open data adds up to the figures.
    for slug, value in summary["confirmed"].items():
        assert confirmed_per_type[slug] == value
    needs = _csv(client, f"/api/v1/exports/needs.csv?region={CITY}")
    city = recompute(CITY)
    met = [
        r
        for r in needs
        if r["target_kind"] == "rw"
        and r["aid_type"] == settings.PRIMARY_AID_TYPE
        and int(r["held"]) >= int(r["quantity"]) > 0
    ]
    assert len(met) == city["rws_met"]
    funds = _csv(client, "/api/v1/exports/funds.csv")
    assert sum(int(r["amount_idr"]) for r in funds) == summary["funds"]["donated"]
    assert (
        sum(int(r["amount_idr"]) for r in funds if r["status"] == "confirmed")
        == summary["funds"]["confirmed"]
    )
    # XLSX: the same rows as the CSV.
    response = client.get("/api/v1/exports/pledges.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active  # type: ignore[attr-defined]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "#activity+id"
    header = values[0]
    xlsx_total = sum(int(dict(zip(header, r, strict=True))["held"]) for r in values[2:])
    assert xlsx_total == sum(summary["pledged"].values())


def test_api_figures_equal_recomputation(client: Client, history: History) -> None:
    check_summary_api_equals_recomputation(client, history)
    check_summary_equals_need_counters(client, history)
    check_regions_api_equals_recomputation(client, history)


def test_pages_and_exports_equal_recomputation(client: Client, history: History) -> None:
    check_dashboard_html_shows_the_same_numbers(client, history)
    check_report_shows_the_same_numbers(client, history)
    check_csv_and_xlsx_exports_reproduce_the_summary(client, history)

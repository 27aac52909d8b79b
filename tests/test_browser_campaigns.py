"""Switching campaigns (programmes) on a phone, in real headless Chromium: with one open
campaign the dashboard, map and list show no switcher; with two, each shows a plain form
(a select and a button, 44 px high, within 360 px) that moves the page to the chosen
campaign's figures, map data and needs — and the other campaign's pictures stay apart."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kolaborasi.campaigns.models import Campaign, CampaignStatus
from kolaborasi.pledges import services as pledge_services
from kolaborasi.targets.campaigns import campaign_start
from kolaborasi.targets.models import Need
from tests.browser import fits_phone, screenshot
from tests.personas import make_org
from tests.pledges_support import today

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CIPULIR = "31.74.05.1003"


def _flood() -> tuple[Campaign, Campaign, Need]:
    """The demo's campaign, a flood response over Jakarta Selatan opened after it, and one
    of the flood's needs in Cipulir, fully pledged."""
    demo = Campaign.objects.get(status=CampaignStatus.OPEN)
    flood = campaign_start(
        actor=None, name="Tanggap Banjir", region_codes=["31.74"], aid_type_slugs=["sembako"], start=today()
    )
    need = (
        Need.objects.filter(campaign=flood, target__village_id=CIPULIR, target__kind="rw")
        .order_by("pk")
        .first()
    )
    assert need is not None
    pledge_services.pledge_create(
        actor=None, organisation=make_org(), need=need, quantity=need.quantity, planned_delivery=today()
    )
    return demo, flood, need


def _touch_size(page: Any) -> None:
    """The switcher's select and button are thumb-sized and the page fits the phone."""
    for selector in ("form.campaign-switch select", "form.campaign-switch button"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["height"] >= 44, (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (selector, box)
    fits_phone(page)


def _switch(page: Any, campaign: Campaign) -> None:
    page.select_option("form.campaign-switch select", campaign.slug)
    page.locator("form.campaign-switch button").click()
    expect(page).to_have_url(re.compile("program=" + re.escape(campaign.slug)))
    # The new page's styles applied before anything is measured on it.
    page.wait_for_load_state("load")


def test_one_open_campaign_shows_no_switcher(phone: Any, demo_url: str) -> None:
    for path in ("/data/", "/peta/", "/daftar/", "/data/laporan/"):
        phone.goto(demo_url + path)
        assert phone.locator("form.campaign-switch").count() == 0, path
        fits_phone(phone)


def test_switching_campaigns_on_dashboard_map_and_list_at_phone_width(
    phone: Any, page: Any, demo_url: str
) -> None:
    demo, flood, need = _flood()

    # The dashboard: the most recently started open campaign by default, then the demo's.
    phone.goto(demo_url + "/data/")
    expect(phone.locator("form.campaign-switch")).to_be_visible()
    expect(phone.locator(f"[data-campaign='{flood.slug}']")).to_be_visible()
    pledged = phone.locator("[data-figure='pledged-sembako']").first.inner_text()
    assert re.sub(r"\D", "", pledged) == str(need.quantity)
    _touch_size(phone)
    screenshot(phone, "program-data-phone")
    _switch(phone, demo)
    expect(phone.locator(f"[data-campaign='{demo.slug}']")).to_be_visible()
    assert re.sub(r"\D", "", phone.locator("[data-figure='pledged-sembako']").first.inner_text()) == "0"
    # The page's own links keep the campaign: the exports ask for it.
    assert f"campaign={demo.slug}" in (
        phone.locator("a[href*='/exports/pledges.csv']").get_attribute("href") or ""
    )
    _touch_size(phone)

    # The map: its data is asked for the chosen campaign.
    with phone.expect_response(lambda r: "/peta/data/" in r.url) as first:
        phone.goto(demo_url + "/peta/?wilayah=31.74.05")
    assert f"program={flood.slug}" in first.value.url  # the default: the flood response
    first_data = first.value.json()  # read now: the body is gone once the page moves on
    assert first_data["campaign"] == flood.slug
    phone.wait_for_selector("#map[data-loaded]:not([data-loaded=''])")
    _touch_size(phone)
    screenshot(phone, "program-peta-phone", full_page=False)
    with phone.expect_response(lambda r: "/peta/data/" in r.url) as second:
        _switch(phone, demo)
    assert f"program={demo.slug}" in second.value.url
    data = second.value.json()
    assert data["campaign"] == demo.slug
    flood_remaining = {f["properties"]["code"]: f["properties"]["remaining"] for f in first_data["features"]}
    demo_remaining = {f["properties"]["code"]: f["properties"]["remaining"] for f in data["features"]}
    assert flood_remaining[CIPULIR] == demo_remaining[CIPULIR] - need.quantity  # same RWs, other pledges
    assert "wilayah=31.74.05" in phone.url
    phone.wait_for_selector("#map[data-loaded]:not([data-loaded=''])")

    # The list: the chosen campaign's needs, and the filters keep it.
    phone.goto(demo_url + f"/daftar/?wilayah={CIPULIR}&program={flood.slug}")
    row = phone.locator("table.targets tbody tr", has_text=need.target.name)
    expect(row).to_be_visible()
    _touch_size(phone)
    screenshot(phone, "program-daftar-phone")
    _switch(phone, demo)
    assert f"wilayah={CIPULIR}" in phone.url
    expect(phone.locator("form.campaign-switch select")).to_have_value(demo.slug)
    phone.select_option("#f-kategori", "rw")
    expect(phone).to_have_url(re.compile("kategori=rw"))
    assert f"program={demo.slug}" in phone.url

    # The weekly report: its picker offers both, and it names the campaign it shows.
    phone.goto(demo_url + "/data/laporan/")
    expect(phone.locator(f"[data-campaign='{flood.slug}']")).to_have_text("Tanggap Banjir")
    _touch_size(phone)
    _switch(phone, demo)
    expect(phone.locator(f"[data-campaign='{demo.slug}']")).to_be_visible()
    fits_phone(phone)
    screenshot(phone, "program-laporan-phone")

    # The same pages at desktop width, for a look.
    for path, name in (
        ("/data/", "data"),
        ("/peta/?wilayah=31.74.05", "peta"),
        ("/daftar/", "daftar"),
        ("/data/laporan/", "laporan"),
    ):
        page.goto(demo_url + path)
        expect(page.locator("form.campaign-switch")).to_be_visible()
        screenshot(page, f"program-{name}-desktop", full_page=name != "peta")

"""The public pages in real headless Chromium: the map with polygons and legend, the
list with drill-down and filters, a target, and the finder."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kolaborasi.regions.models import Boundary
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_map_shows_polygons_legend_and_popups(page: Any, demo_url: str) -> None:
    villages = Boundary.objects.filter(region__level="village", region__code__startswith="31.").count()
    assert villages > 0
    page.goto(demo_url + "/peta/")
    page.wait_for_selector("#map[data-loaded]:not([data-loaded=''])")
    assert page.locator("path.area").count() == villages
    assert page.locator("path.marker").count() > 0
    legend = page.locator("#legend")
    assert legend.is_visible()
    assert "Sisa" in legend.inner_text() and "Sembako" in legend.inner_text()
    screenshot(page, "peta", full_page=False)

    box = page.locator("path.a-31-74-05-1003").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".map-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert "Cipulir" in text and "Kebayoran Lama" in text and "Beri bantuan" in text
    page.wait_for_timeout(400)  # let Leaflet's fade-in finish so the screenshot is legible
    screenshot(page, "peta-popup", full_page=False)

    # switch the aid type without reloading the page
    page.select_option("#f-jenis", "lebaran")
    expect(page.locator("#legend")).to_contain_text("Paket lebaran")
    expect(page).to_have_url(re.compile("jenis=lebaran"))


def test_list_drill_down_filter_target_and_finder(page: Any, demo_url: str) -> None:
    page.goto(demo_url + "/daftar/")
    for name in [
        "Daerah Khusus Ibukota Jakarta",
        "Kota Administrasi Jakarta Selatan",
        "Kebayoran Lama",
        "Cipulir",
    ]:
        page.locator(".drill-list a", has_text=re.compile("^" + name + "$")).click()
        expect(page.locator(".crumbs strong")).to_have_text(name)
    assert "wilayah=31.74.05.1003" in page.url
    rows = page.locator("table.targets tbody tr")
    assert rows.count() >= 7

    page.select_option("#f-kategori", "rw")
    expect(page).to_have_url(re.compile("kategori=rw"))
    page.check("#f-belum")
    expect(page).to_have_url(re.compile("belum=1"))
    page.fill("#f-q", "RW 007")
    expect(page.locator("table.targets tbody tr")).to_have_count(1)
    screenshot(page, "daftar")

    page.locator("table.targets a", has_text="RW 007 Cipulir").click()
    page.wait_for_selector("h1:has-text('RW 007 Cipulir')")
    assert page.locator("progress.committed").count() == 3
    cta = page.locator("#cta")
    assert re.fullmatch(r"/komitmen/baru/\d+/", cta.get_attribute("href") or "")
    screenshot(page, "sasaran")

    page.goto(demo_url + "/cari/")
    page.fill("#f-jumlah", "600")
    page.select_option("#f-jenis", "sembako")
    # The area by name, as a person knows it: the picker finds it while typing.
    page.fill("#f-wilayah_cari", "Kebayoran Lama")
    page.wait_for_selector("#f-wilayah option[value='31.74.05']:checked", state="attached")
    page.locator("#finder button[type=submit]").click()
    page.wait_for_selector("#suggestions article.suggestion")
    first = page.locator("#suggestions article.suggestion").first.inner_text()
    assert "600" in page.locator("#suggestions h2").inner_text()
    assert "Kebayoran Lama" in page.locator("#suggestions").inner_text()
    assert "Beri bantuan" in first
    screenshot(page, "cari")

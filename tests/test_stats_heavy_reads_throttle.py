"""Heavy public reads are throttled per client address: the open-data exports (CSV, XLSX,
GeoJSON share THROTTLE_EXPORTS, 60 per 10 minutes), the weekly report PDF
(THROTTLE_REPORT_PDF, 30 per 10 minutes) and the map data (THROTTLE_MAP, 300 per 10
minutes). Over the limit: 429 with Retry-After; another address is not affected."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.targets.models import Target
from tests.throttle_support import assert_throttled, rates

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_window")]
OTHER: dict[str, Any] = {"REMOTE_ADDR": "198.51.100.44"}


def test_exports_at_the_documented_rate() -> None:
    client = Client()
    urls = [
        "/api/v1/exports/needs.csv",
        "/api/v1/exports/funds.xlsx",
        "/api/v1/exports/coverage.geojson?level=city&parent=31",
    ]
    for n in range(60):
        assert client.get(urls[n % 3]).status_code == 200, n
    for url in urls:
        assert_throttled(client.get(url), api=True)
    assert client.get(urls[0], **OTHER).status_code == 200


@rates(report_pdf="2/10m")
def test_weekly_report_pdf() -> None:
    client = Client()
    url = "/data/laporan.pdf?week=2026-W17&region=31.74"
    for _n in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_throttled(client.get(url), api=False)
    client.cookies["django_language"] = "en"
    english = client.get(url)
    client.cookies.pop("django_language")
    assert english.status_code == 429 and "Too many PDF report downloads" in english.content.decode()
    # The printable page itself is not the heavy part.
    assert client.get("/data/laporan/?week=2026-W17&region=31.74").status_code == 200
    assert client.get(url, **OTHER).status_code == 200


@rates(map="3/10m")
def test_map_data() -> None:
    client = Client()
    target = Target.objects.order_by("pk").first()
    assert target is not None
    assert client.get("/peta/data/sembako.json").status_code == 200
    assert client.get("/peta/info/31.74.json").status_code in (200, 404)
    assert client.get(f"/peta/sasaran/{target.pk}.json").status_code == 200
    assert_throttled(client.get("/peta/data/sembako.json"), api=False)
    assert client.get("/peta/data/sembako.json", **OTHER).status_code == 200
    assert client.get("/peta/").status_code == 200  # the page is not throttled


@rates(places="2/10m")
def test_area_picker_searches() -> None:
    """The area picker searches the registry on every keystroke: bounded per address."""
    client = Client()
    url = "/wilayah/pilih/?_name=region&region_cari=Kebayoran"
    for _n in range(2):
        assert client.get(url).status_code == 200
    assert_throttled(client.get(url), api=False)
    assert client.get(url, **OTHER).status_code == 200

"""/data/: the public dashboard (works without JS, HTMX partial, server-drawn charts,
no inline script or style under the CSP)."""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_dashboard_page_with_filters(client: Client) -> None:
    response = client.get("/data/", {"region": "31.74", "since": "2020-04-01", "until": "2020-05-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Data Kolaborasi" in html
    assert "Kota Administrasi Jakarta Selatan" in html
    assert "data-as-of" in html
    assert 'data-figure="pledged-sembako">0<' in html
    assert "/data/grafik/kumulatif.svg?region=31.74&amp;since=2020-04-01&amp;until=2020-05-01" in html
    assert "coverage.geojson?level=village&amp;parent=31.74" in html
    assert '<option value="31.74" selected>' in html  # the area picker holds the choice
    # CSP: every script comes from a file, no inline style attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert "5 detik" in html  # the freshness bound is stated on the page


@pytest.mark.django_db
def test_htmx_request_gets_only_the_partial(client: Client) -> None:
    response = client.get("/data/", {"region": "31.74.05"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="stats-body">')
    assert "<html" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"since": "2020-02-30"}, 422),
        ({"since": "2020-05-02", "until": "2020-05-01"}, 422),
        ({"region": "31.99"}, 404),
    ],
)
def test_dashboard_bad_input_says_which_field(client: Client, params: dict[str, str], status: int) -> None:
    response = client.get("/data/", params)
    assert response.status_code == status
    html = response.content.decode()
    assert 'role="alert"' in html
    assert f'data-error-field="{next(iter(params))}"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("chart", ["kumulatif", "wilayah"])
def test_charts_are_svg_without_inline_style_or_script(client: Client, chart: str) -> None:
    for params in ({}, {"region": "31.74"}, {"region": "31.74.05"}, {"region": "31.74.05.1003"}):
        response = client.get(f"/data/grafik/{chart}.svg", params)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        assert "<svg" in svg and "<style" not in svg and "<script" not in svg
    assert client.get(f"/data/grafik/{chart}.svg", {"since": "x"}).status_code == 422
    assert client.get(f"/data/grafik/{chart}.svg", {"region": "31.99"}).status_code == 404


@pytest.mark.django_db
def test_a_village_drills_down_to_its_rws(client: Client) -> None:
    from kolaborasi.regions.models import Region

    response = client.get("/data/", {"region": "31.74.05.1003"})
    assert response.status_code == 200
    html = response.content.decode()
    for code in Region.objects.filter(parent_id="31.74.05.1003", level="rw").values_list("code", flat=True):
        assert f"?region={code}" in html
    assert client.get("/data/", {"region": "31.74.05.1003.001"}).status_code == 200

"""The map page and its compact, cached JSON: /peta/, /peta/data/<aid>.json, /peta/info/."""

from __future__ import annotations

import gzip

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.test import Client

from kolaborasi.regions.models import Boundary
from kolaborasi.targets.models import Need, Target

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Map data is cached for a minute; each test changes needs and must see them."""
    cache.clear()


def test_map_page_has_config_and_no_inline_script(client: Client) -> None:
    response = client.get("/peta/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="map-config"' in html and "vendor/leaflet/leaflet.js" in html and "targets/peta.js" in html
    assert "Beri bantuan" in html  # popup label passed to the script
    assert 'style="' not in html
    assert 'id="no-boundaries"' not in html


def test_without_boundaries_the_page_says_so_and_links_the_list(client: Client) -> None:
    Boundary.objects.all().delete()
    html = client.get("/peta/").content.decode()
    assert 'id="no-boundaries"' in html and 'href="/daftar/"' in html


def test_kota_data_is_small_correct_and_cached(client: Client) -> None:
    response = client.get("/peta/data/sembako.json", {"parent": "31.74"}, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 300_000
    assert "max-age" in response["Cache-Control"]
    import json

    data = json.loads(gzip.decompress(response.content))
    assert data["level"] == "village" and data["type"] == "FeatureCollection"
    features = {f["properties"]["code"]: f for f in data["features"]}
    assert (
        len(features)
        == Boundary.objects.filter(region__code__startswith="31.74.", region__level="village").count()
    )
    code = "31.74.05.1003"
    expected = Need.objects.filter(aid_type__slug="sembako", target__village_id=code).aggregate(
        s=Sum("remaining")
    )
    assert features[code]["properties"]["remaining"] == expected["s"]
    assert features[code]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    institutions = Target.objects.filter(city_code="31.74").exclude(kind="rw").exclude(lat=None).count()
    assert len(data["markers"]) == institutions
    assert data["breaks"] == sorted(data["breaks"])

    etag = response["ETag"]
    again = client.get("/peta/data/sembako.json", {"parent": "31.74"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_data_per_aid_type_and_bad_input(client: Client) -> None:
    need = Need.objects.filter(aid_type__slug="lebaran", target__village_id="31.74.05.1003").first()
    assert need is not None
    Need.objects.filter(pk=need.pk).update(held=need.quantity)
    data = client.get("/peta/data/lebaran.json", {"parent": "31.74.05"}).json()
    (feature,) = [f for f in data["features"] if f["properties"]["code"] == "31.74.05.1003"]
    total = Need.objects.filter(aid_type__slug="lebaran", target__village_id="31.74.05.1003").aggregate(
        s=Sum("remaining")
    )["s"]
    assert feature["properties"]["remaining"] == total
    assert client.get("/peta/data/beras.json").status_code == 404
    assert client.get("/peta/data/sembako.json", {"parent": "99"}).status_code == 404
    assert client.get("/peta/data/sembako.json", {"level": "planet"}).status_code == 422


def test_popup_info_for_an_area_an_rw_and_an_institution(client: Client) -> None:
    info = client.get("/peta/info/31.74.05.1003.json", {"jenis": "sembako"}).json()
    assert [p["level"] for p in info["path"]] == ["province", "city", "district", "village"]
    assert info["path"][2]["name"] == "Kebayoran Lama"
    households = Target.objects.filter(village_id="31.74.05.1003", kind="rw").aggregate(s=Sum("size"))["s"]
    assert info["households"] == households
    assert {n["aid_type"] for n in info["needs"]} == {"sembako", "siap-saji", "lebaran"}
    assert info["top"] and all("head_name" in t for t in info["top"])

    rw = client.get("/peta/info/31.74.05.1003.001.json").json()
    assert rw["kind"] == "rw" and rw["head_name"] and rw["village"]["name"] == "Cipulir"
    institution = Target.objects.exclude(kind="rw").first()
    assert institution is not None
    data = client.get(f"/peta/sasaran/{institution.pk}.json").json()
    assert data["url"] == f"/sasaran/{institution.pk}/" and data["size"] == institution.size
    assert client.get("/peta/info/31.99.json").status_code == 404
    assert client.get("/peta/sasaran/99999999.json").status_code == 404


def test_rw_polygons_where_rw_boundaries_exist(client: Client) -> None:
    square = [[[106.77, -6.24], [106.771, -6.24], [106.771, -6.241], [106.77, -6.241], [106.77, -6.24]]]
    Boundary.objects.create(
        region_id="31.74.05.1003.001", geometry={"type": "Polygon", "coordinates": square}
    )
    villages = client.get("/peta/data/sembako.json", {"parent": "31.74.05"}).json()
    flagged = {f["properties"]["code"] for f in villages["features"] if f["properties"].get("rw")}
    assert flagged == {"31.74.05.1003"}
    rws = client.get("/peta/data/sembako.json", {"parent": "31.74.05.1003"}).json()
    assert rws["level"] == "rw"
    (feature,) = rws["features"]
    need = Need.objects.get(target__region_id="31.74.05.1003.001", aid_type__slug="sembako")
    assert feature["properties"] == {
        "code": "31.74.05.1003.001",
        "name": "RW 001",
        "remaining": need.remaining,
        "need": need.quantity,
        "targets": 1,
    }

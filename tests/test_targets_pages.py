"""The list (/daftar/) with drill-down, filters and HTMX partials, and the target page."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from kolaborasi.pledges.models import Pledge
from kolaborasi.targets.models import Need, Target

pytestmark = pytest.mark.django_db


def test_drill_down_kota_kecamatan_kelurahan(client: Client) -> None:
    html = client.get("/daftar/").content.decode()
    assert "Daerah Khusus Ibukota Jakarta" in html
    html = client.get("/daftar/", {"wilayah": "31.74"}).content.decode()
    assert "?wilayah=31.74.05" in html and "Kebayoran Lama" in html
    html = client.get("/daftar/", {"wilayah": "31.74.05"}).content.decode()
    assert "wilayah=31.74.05.1003" in html and "Cipulir" in html
    html = client.get("/daftar/", {"wilayah": "31.74.05.1003"}).content.decode()
    for target in Target.objects.filter(village_id="31.74.05.1003"):
        assert f'href="/sasaran/{target.pk}/"' in html


def test_filters_sort_search_and_pages(client: Client) -> None:
    response = client.get("/daftar/", {"wilayah": "31.74", "kategori": "pesantren", "urut": "name"})
    count = Target.objects.filter(city_code="31.74", kind="pesantren").count()
    assert response.context["count"] == count
    assert {i["kind"] for i in response.context["items"]} <= {"pesantren"}
    names = [i["name"] for i in response.context["items"]]
    assert names == sorted(names)

    page2 = client.get("/daftar/", {"wilayah": "31.74", "hal": "2"})
    assert page2.context["page_number"] == 2 and len(page2.context["items"]) == 25
    assert page2.context["first_index"] == 26
    found = client.get("/daftar/", {"q": "Cipulir", "kategori": "rw"})
    assert found.context["count"] == Target.objects.filter(kind="rw", village_id="31.74.05.1003").count()

    target = Target.objects.filter(village_id="31.74.05.1003").order_by("id").first()
    assert target is not None
    Need.objects.filter(target=target, aid_type__slug="siap-saji").update(held=target.size)
    unmet = client.get("/daftar/", {"wilayah": "31.74.05.1003", "jenis": "siap-saji", "belum": "1"})
    assert target.pk not in [i["id"] for i in unmet.context["items"]]


def test_htmx_gets_only_the_results_partial(client: Client) -> None:
    full = client.get("/daftar/", {"wilayah": "31.74.05"}).content.decode()
    partial = client.get("/daftar/", {"wilayah": "31.74.05"}, HTTP_HX_REQUEST="true").content.decode()
    assert full.startswith("<!doctype html>") and 'id="filters"' in full
    assert "<html" not in partial and 'id="filters"' not in partial
    assert partial.strip().startswith('<div id="results"')
    # The form's area picker follows the results (a drill-down link, a crumb): redrawn
    # out of band with the area chosen.
    assert 'hx-swap-oob="innerHTML:#picker-box"' in partial
    assert '<option value="31.74.05" selected>' in partial


def test_the_list_takes_the_area_by_name(client: Client) -> None:
    """The list's filter chooses the area like every other page: a typed name, and a
    short select of the places around the choice (never the whole registry)."""
    response = client.get("/daftar/", {"wilayah_cari": "Kebayoran Lama"})
    assert response.status_code == 200
    assert response.context["region"].code == "31.74.05"
    assert response.context["count"] == Target.objects.filter(district_code="31.74.05").count()
    html = response.content.decode()
    assert '<option value="31.74.05" selected>' in html
    assert html.count("<option") < 60
    # No JavaScript: choosing in the select and sending the form narrows the same way.
    chosen = client.get("/daftar/", {"wilayah": "31.74.05.1003"})
    assert chosen.context["region"].code == "31.74.05.1003"
    # A name that names no place leaves the list as it was and says so, by the picker.
    unknown = client.get("/daftar/", {"wilayah_cari": "Kebayoran Antah"})
    assert unknown.context["region"] is None
    assert "Tidak ada wilayah bernama “Kebayoran Antah”" in unknown.content.decode()


def test_bad_list_parameters_get_a_message(client: Client) -> None:
    response = client.get("/daftar/", {"kategori": "gereja", "urut": "acak", "hal": "x", "wilayah": "31.99"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "gereja" in html and "acak" in html and "31.99" in html


def test_target_page_needs_progress_pledgers_and_call_to_action(client: Client, personas: dict) -> None:
    target = Target.objects.get(region_id="31.74.05.1003.001")
    need = Need.objects.get(target=target, aid_type__slug="sembako")
    Pledge.objects.create(
        organisation=personas["dina"].organisation,
        need=need,
        target=target,
        aid_type=need.aid_type,
        quantity=40,
        delivered=10,
        planned_delivery=date(2026, 12, 1),
        contact_name="Budi Kurir Rahasia",
        contact_phone="0812-3456-7890",
    )
    Need.objects.filter(pk=need.pk).update(held=40, delivered=10)
    response = client.get(f"/sasaran/{target.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert target.name in html
    assert target.head_name not in html  # no consent recorded: the role instead
    assert f'href="/komitmen/baru/{target.pk}/"' in html
    assert f'<progress class="committed" max="{need.quantity}" value="40">' in html
    assert f'<progress class="delivered" max="{need.quantity}" value="10">' in html
    assert "PT Dina Logistik" in html
    assert "0812-3456-7890" not in html and "Budi Kurir Rahasia" not in html
    assert 'style="' not in html
    assert client.get("/sasaran/99999999/").status_code == 404


def test_english_translation(client: Client) -> None:
    client.cookies["django_language"] = "en"
    html = client.get("/daftar/").content.decode()
    assert '<html lang="en">' in html

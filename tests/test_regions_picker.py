"""Places are chosen by name: the picker narrows kota → kecamatan → kelurahan in one
short select, finds places by name, and never lists thousands of options."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.regions.models import Level, Region
from kolaborasi.regions.picker import region_pick

pytestmark = pytest.mark.django_db


def _district(name: str) -> Region:
    return Region.objects.get(level=Level.DISTRICT, name__iexact=name)


def test_the_select_holds_the_path_the_choice_and_the_places_below() -> None:
    district = _district("Kebayoran Lama")
    pick = region_pick({"region": district.code}, name="region")
    assert pick.code == district.code and not pick.message
    codes = [o.code for o in pick.options]
    assert codes[0] == ""  # everywhere
    assert set(district.ancestor_codes()) <= set(codes)
    assert [o.code for o in pick.options if o.selected] == [district.code]
    villages = set(Region.objects.filter(parent=district).values_list("code", flat=True))
    assert villages and villages <= set(codes)
    # Nothing else: a few dozen options, not the whole registry.
    assert len(codes) == 1 + len(district.ancestor_codes()) + 1 + len(villages)


def test_nothing_below_the_deepest_level() -> None:
    district = _district("Kebayoran Lama")
    pick = region_pick({"wilayah": district.code}, name="wilayah", deepest=Level.DISTRICT)
    assert not any(o.code.startswith(district.code + ".") for o in pick.options)


def test_at_first_the_cities() -> None:
    pick = region_pick({}, name="region")
    levels = set(
        Region.objects.filter(code__in=[o.code for o in pick.options if o.code]).values_list(
            "level", flat=True
        )
    )
    assert levels == {Level.CITY}
    assert pick.options[0].selected and pick.code == ""


def test_a_name_is_found_and_an_exact_name_is_taken() -> None:
    pick = region_pick({"region_cari": "kebayoran lama"}, name="region")
    assert pick.code == _district("Kebayoran Lama").code
    several = region_pick({"region_cari": "Kebayoran"}, name="region")
    assert several.code == "" and len(several.matches) >= 2
    assert all("kebayoran" in r.name.lower() for r in several.matches)
    # Larger places first; the matches are what the select offers.
    assert several.matches[0].level == Level.DISTRICT
    assert [o.code for o in several.options[1:]] == [r.code for r in several.matches]


def test_unknown_names_and_codes_say_what_to_do() -> None:
    assert "Periksa ejaannya" in region_pick({"region_cari": "Atlantis"}, name="region").message
    unknown = region_pick({"region": "99.99"}, name="region")
    assert unknown.code == "" and "tidak ada" in unknown.message


def test_the_fragment_for_htmx(client: Client) -> None:
    response = client.get("/wilayah/pilih/", {"_name": "region", "region_cari": "Kebayoran Lama"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{_district("Kebayoran Lama").code}" selected' in body
    assert 'name="region_cari"' in body and 'id="picker-region"' in body
    assert client.get("/wilayah/pilih/", {"_name": "<script>"}).status_code == 400
    assert client.get("/wilayah/pilih/", {"_name": "region", "_deepest": "rw"}).status_code == 400


def test_the_picker_speaks_english_when_chosen(client: Client) -> None:
    client.cookies["django_language"] = "en"
    body = client.get("/wilayah/pilih/", {"_name": "region", "region_cari": "Kebayoran"}).content.decode()
    assert "areas match" in body and "Choose one of" in body and "Dist. Kebayoran Lama" in body
    assert "wilayah cocok" not in body


def test_the_dashboard_and_the_report_take_a_place_by_name(client: Client) -> None:
    district = _district("Kebayoran Lama")
    page = client.get("/data/", {"region_cari": "Kebayoran Lama"}).content.decode()
    assert f"({district.code})" in page and 'id="picker-region"' in page
    assert f'value="{district.code}" selected' in page
    report = client.get("/data/laporan/", {"region_cari": "kebayoran lama", "tanggal": "2026-04-22"})
    assert report.status_code == 200
    body = report.content.decode()
    assert "2026-W17" in body and f"({district.code})" in body
    assert 'type="date" name="tanggal" value="2026-04-20"' in body  # the Monday of that week
    bad = client.get("/data/laporan/", {"tanggal": "kemarin"})
    assert bad.status_code == 422 and "Pilih tanggal dari kalender" in bad.content.decode()


def test_the_planner_takes_the_area_by_name(client: Client, personas) -> None:  # type: ignore[no-untyped-def]
    """An aggregator types "Kebayoran Lama" instead of 31.74.05; a name that fits several
    places keeps the form and offers them; an unknown one says so."""
    from kolaborasi.funds.models import AllocationPlan
    from kolaborasi.targets.models import AidType
    from tests.personas import login

    login(client, personas["agus"])
    sembako = AidType.objects.get(slug="sembako")
    form = {"aid_type": sembako.pk, "quantity": "20", "min_drop": "1", "kinds": "both"}
    page = client.get("/dana/rencana/").content.decode()
    assert 'name="region_cari"' in page and 'label for="id_region"' in page and 'id="id_region"' in page

    several = client.post("/dana/rencana/", {**form, "region": "", "region_cari": "Kebayoran"})
    assert several.status_code == 200
    assert "Beberapa wilayah cocok" in several.content.decode()
    assert 'value="31.74.05"' in several.content.decode()  # offered in the select
    unknown = client.post("/dana/rencana/", {**form, "region": "", "region_cari": "Atlantis"})
    assert "Tidak ada wilayah bernama" in unknown.content.decode()
    assert not AllocationPlan.objects.exists()

    made = client.post("/dana/rencana/", {**form, "region": "", "region_cari": "Kebayoran Lama"})
    assert made.status_code == 302
    assert AllocationPlan.objects.get().region_id == _district("Kebayoran Lama").code


def test_search_ranks_in_the_database_larger_places_first() -> None:
    """ "an" matches hundreds of kelurahan; the kecamatan and kota that match come first
    and none is lost to a cut taken before ranking. An exact name comes first of all."""
    from kolaborasi.regions.models import DEPTH_BY_LEVEL
    from kolaborasi.regions.picker import SEARCH_LIMIT, region_search

    found = region_search("an")
    depths = [DEPTH_BY_LEVEL[Level(r.level)] for r in found]
    assert len(found) == SEARCH_LIMIT and depths == sorted(depths)
    larger = Region.objects.filter(level__in=[Level.CITY, Level.DISTRICT], name__icontains="an").count()
    assert sum(1 for r in found if r.level in (Level.CITY, Level.DISTRICT)) == min(larger, SEARCH_LIMIT)
    village = Region.objects.filter(level=Level.VILLAGE, name__iexact="Cipulir").get()
    assert region_search("cipulir")[0] == village


def test_a_letter_being_typed_keeps_the_choice_and_unclear_names_are_refused(client: Client) -> None:
    """One letter in the search box is still being typed: the select's choice stands. A
    name that fits several places, or none, is refused (422) instead of quietly meaning
    everywhere."""
    district = _district("Kebayoran Lama")
    assert region_pick({"region": district.code, "region_cari": "K"}, name="region").code == district.code
    for url, name in (("/data/", "region"), ("/data/laporan/", "region"), ("/cari/", "wilayah")):
        params = {name + "_cari": "Kebayoran"}
        if url == "/cari/":
            params |= {"jumlah": "100", "jenis": "sembako"}
        ambiguous = client.get(url, params)
        assert ambiguous.status_code == 422, url
        unknown = client.get(url, {**params, name + "_cari": "Atlantis"})
        assert unknown.status_code == 422, url
        assert "Tidak ada wilayah bernama" in unknown.content.decode()

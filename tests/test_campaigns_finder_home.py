"""The finder page (/cari/) and the home page per campaign: with one open campaign they
look as before (the home page names the campaign); with several open they show the
campaign switcher, and the finder suggests only the chosen campaign's needs."""

from __future__ import annotations

import re

import pytest

from tests.campaigns_support import CIPULIR, second_campaign
from tests.pledges_support import open_campaign, ratna_need

pytestmark = pytest.mark.django_db


def _suggested(page: str) -> set[int]:
    section = page.split('id="suggestions"', 1)[1]
    return {int(t) for t in re.findall(r'href="/sasaran/(\d+)/"', section)}


def test_with_one_open_campaign_the_finder_and_home_look_as_before(client) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    page = client.get("/cari/", {"jumlah": "1", "jenis": "sembako", "wilayah": CIPULIR}).content.decode()
    assert "campaign-switch" not in page and 'name="program"' not in page
    assert len(_suggested(page)) > 1
    home = client.get("/").content.decode()
    assert "campaign-switch" not in home
    assert f"<strong>{demo.name}</strong>" in home
    assert 'href="/peta/"' in home and 'href="/daftar/"' in home


def test_with_two_open_campaigns_the_finder_searches_the_chosen_one(client) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    flood = second_campaign()  # sembako for ratna's RW only
    ratna_target = ratna_need().target_id
    query = {"jumlah": "1", "jenis": "sembako", "wilayah": CIPULIR}

    # The default: the most recently started open campaign over the area (the flood).
    page = client.get("/cari/", query).content.decode()
    assert 'class="campaign-switch"' in page
    assert f'<option value="{flood.slug}" selected>' in page
    for name, value in query.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    assert _suggested(page) == {ratna_target}

    page = client.get("/cari/", {**query, "program": flood.slug}).content.decode()
    assert _suggested(page) == {ratna_target}
    assert f'<input type="hidden" name="program" value="{flood.slug}">' in page

    page = client.get("/cari/", {**query, "program": demo.slug}).content.decode()
    assert f'<option value="{demo.slug}" selected>' in page
    demo_targets = _suggested(page)
    assert len(demo_targets) > 1 and demo_targets != {ratna_target}

    # An unknown campaign: said, over the default one.
    r = client.get("/cari/", {**query, "program": "tidak-ada"})
    assert r.status_code == 200 and "tidak-ada" in r.content.decode()
    assert _suggested(r.content.decode()) == {ratna_target}


def test_with_two_open_campaigns_the_home_page_has_the_switcher(client) -> None:  # type: ignore[no-untyped-def]
    demo = open_campaign()
    flood = second_campaign()
    home = client.get("/").content.decode()
    assert 'class="campaign-switch"' in home and f'<option value="{flood.slug}" selected>' in home
    assert f'href="/peta/?program={flood.slug}"' in home
    home = client.get("/", {"program": demo.slug}).content.decode()
    assert f'<option value="{demo.slug}" selected>' in home
    assert f'href="/daftar/?program={demo.slug}"' in home

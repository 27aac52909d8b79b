"""One priority rule (kolaborasi/targets/priority.py) for the list, the finder, the map
and the allocation planner: on an area with ties, all four put the same target first,
in the same order, and the planner says why it chose each target."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kolaborasi.targets.models import AidType, Need, Target
from tests.personas import api_post, login, token_for
from tests.pledges_support import open_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_hasher")]

CIPULIR = "31.74.05.1003"


def _set(target: Target, quantity: int, held: int) -> None:
    Need.objects.filter(target=target, aid_type__slug="sembako").update(quantity=quantity, held=held)


@pytest.fixture
def tied() -> list[int]:
    """Cipulir with ties on every key; returns the expected priority order (target ids)."""
    targets = list(Target.objects.filter(village_id=CIPULIR).order_by("id"))
    assert len(targets) >= 6
    a, b, c, d, e, *rest = targets
    # a and b tie on coverage and remaining: the lower target id first. a's need row is
    # made anew so that its need id is the higher one: a tie broken by need id (or by
    # the smaller need, as the planner once did) would pick another target than the list.
    sembako = AidType.objects.get(slug="sembako")
    Need.objects.filter(target=a, aid_type=sembako).delete()
    Need.objects.create(campaign=open_campaign(), target=a, aid_type=sembako, quantity=100)
    assert Need.objects.get(target=a, aid_type=sembako).pk > Need.objects.get(target=b, aid_type=sembako).pk
    _set(b, 100, 0)
    _set(c, 300, 0)  # coverage 0 too, more remaining: first of all
    _set(d, 200, 100)  # coverage .5, remaining 100
    _set(e, 400, 200)  # coverage .5, remaining 200: before d
    for extra in rest:
        _set(extra, 10, 9)  # coverage .9, remaining 1: tie by id
    return [c.pk, a.pk, b.pk, e.pk, d.pk, *[t.pk for t in rest]]


def _list_page(client: Client) -> list[int]:
    html = client.get("/daftar/", {"wilayah": CIPULIR, "jenis": "sembako"}).content.decode()
    table = re.search(r'<table class="targets cards">(.*?)</table>', html, re.S)
    assert table
    return [int(i) for i in re.findall(r'href="/sasaran/(\d+)/"', table.group(1))]


def _list_api(client: Client) -> list[int]:
    body = client.get("/api/v1/targets", {"region": CIPULIR, "aid_type": "sembako"}).json()
    return [item["id"] for item in body["items"]]


def _finder(client: Client) -> list[int]:
    """The finder for one package: every target can take it, best priority first."""
    body = client.get("/api/v1/finder", {"region": CIPULIR, "aid_type": "sembako", "quantity": "1"}).json()
    assert all(len(s["targets"]) == 1 for s in body["suggestions"])
    return [s["targets"][0]["id"] for s in body["suggestions"]]


def _finder_page(client: Client) -> list[int]:
    html = client.get("/cari/", {"wilayah": CIPULIR, "jenis": "sembako", "jumlah": "1"}).content.decode()
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/sasaran/(\d+)/"', html)))


def _map_top(client: Client) -> list[int]:
    body = client.get(f"/peta/info/{CIPULIR}.json", {"jenis": "sembako"}).json()
    return [t["id"] for t in body["top"]]


def _plan(personas: Any, **body: Any) -> dict[str, Any]:
    token = token_for(personas["agus"].organisation)
    resp = api_post(
        Client(), "/api/v1/allocation-plans", token, {"aid_type": "sembako", "region": CIPULIR, **body}
    )
    assert resp.status_code == 201, resp.content
    plan: dict[str, Any] = resp.json()
    return plan


def test_list_finder_map_and_planner_rank_alike(client: Client, personas: Any, tied: list[int]) -> None:
    assert _list_page(client) == tied
    assert _list_api(client) == tied
    assert _finder(client) == tied[:5]
    assert _finder_page(client)[:5] == tied[:5]
    assert _map_top(client) == tied[:3]
    # The planner's first package goes to the list's first target ...
    first = _plan(personas, quantity=1)
    assert [a["target"] for a in first["allocations"]] == [tied[0]]
    # ... and, with a minimum drop, its first blocks go down the list in order: all
    # three are unserved, so each takes a block before anyone is topped up.
    blocks = _plan(personas, quantity=60, min_drop=20)
    assert [(a["target"], a["quantity"]) for a in blocks["allocations"]] == [(t, 20) for t in tied[:3]]
    # Two blocks: the tie between a and b goes to the lower target id, as in the list.
    two = _plan(personas, quantity=40, min_drop=20)
    assert [a["target"] for a in two["allocations"]] == tied[:2]


def test_each_allocation_says_why(client: Client, personas: Any, tied: list[int]) -> None:
    plan = _plan(personas, quantity=60, min_drop=20)
    first = plan["allocations"][0]
    assert first["target"] == tied[0]
    assert (first["need_quantity"], first["held_before"]) == (300, 0)
    assert (first["coverage_before"], first["coverage_after"]) == (0.0, round(20 / 300, 4))
    assert first["why"] == (
        "Cakupan 0% sebelum rencana (0 dari 300 paket sudah dikomitmenkan), 6,7% sesudahnya."
    )
    login(client, personas["agus"])
    html = client.get(f"/dana/rencana/{plan['id']}/").content.decode()
    assert first["why"] in html
    assert "cakupan terendah lebih dulu, lalu sisa kebutuhan terbesar" in html
    # The page lists the lines in the planner's order, the list's order.
    rows = re.search(r'<table class="plan-lines cards">(.*?)</table>', html, re.S)
    assert rows
    assert [int(i) for i in re.findall(r'href="/sasaran/(\d+)/"', rows.group(1))] == tied[:3]
    # The reason stays what it was when planned, after the plan is committed.
    client.post(f"/dana/rencana/{plan['id']}/setujui/")
    assert Need.objects.get(target_id=tied[0], aid_type__slug="sembako").held == 20
    again = client.get(f"/dana/rencana/{plan['id']}/").content.decode()
    assert first["why"] in again


def test_why_in_english(personas: Any, tied: list[int]) -> None:
    token = token_for(personas["agus"].organisation)
    resp = api_post(
        Client(HTTP_ACCEPT_LANGUAGE="en"),
        "/api/v1/allocation-plans",
        token,
        {"aid_type": "sembako", "region": CIPULIR, "quantity": 1},
    )
    why = resp.json()["allocations"][0]["why"]
    assert why.startswith("Coverage 0% before the plan") and "Cakupan" not in why

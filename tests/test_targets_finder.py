"""GET /api/v1/finder and /cari/: a single target that can absorb N, else a compact group
within one kelurahan, then one kecamatan; the arithmetic adds up."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from kolaborasi.core.freshness import MAX_AGE_SECONDS
from kolaborasi.targets.models import Need, Target
from kolaborasi.targets.selectors import PRIORITY

pytestmark = pytest.mark.django_db

KEBAYORAN_LAMA = "31.74.05"


def _remaining(item: dict, slug: str = "sembako") -> int:
    (need,) = [n for n in item["needs"] if n["aid_type"] == slug]
    return need["remaining"]


def _finder(client: Client, quantity: int, region: str = KEBAYORAN_LAMA, aid: str = "sembako") -> list[dict]:
    response = client.get("/api/v1/finder", {"aid_type": aid, "quantity": str(quantity), "region": region})
    assert response.status_code == 200, response.content
    return response.json()["suggestions"]


def test_600_sembako_in_kebayoran_lama_single_targets_by_priority(client: Client) -> None:
    suggestions = _finder(client, 600)
    assert 1 <= len(suggestions) <= 5
    expected = list(
        Need.objects.filter(
            aid_type__slug="sembako", target__district_code=KEBAYORAN_LAMA, remaining__gte=600
        )
        .order_by(*PRIORITY)
        .values_list("target_id", flat=True)[:5]
    )
    assert [s["targets"][0]["id"] for s in suggestions] == expected
    for s in suggestions:
        assert len(s["targets"]) == 1
        assert s["total_remaining"] == _remaining(s["targets"][0]) >= 600


def test_a_pledge_that_leaves_too_little_drops_the_target(client: Client, later) -> None:  # type: ignore[no-untyped-def]
    top = _finder(client, 600)[0]["targets"][0]
    need = Need.objects.get(target_id=top["id"], aid_type__slug="sembako")
    Need.objects.filter(pk=need.pk).update(held=need.quantity - 599)
    # The answer may be up to MAX_AGE_SECONDS old (kolaborasi.core.freshness), never older.
    later(MAX_AGE_SECONDS)
    assert top["id"] not in [s["targets"][0]["id"] for s in _finder(client, 600)]


def test_groups_within_one_kelurahan_add_up(client: Client) -> None:
    biggest = (
        Need.objects.filter(aid_type__slug="sembako", target__district_code=KEBAYORAN_LAMA)
        .order_by("-remaining")
        .first()
    )
    assert biggest is not None
    quantity = biggest.remaining + 1  # no single target can take it
    suggestions = _finder(client, quantity)
    assert suggestions
    for s in suggestions:
        ids = [t["id"] for t in s["targets"]]
        villages = {
            t["region"]["code"].rsplit(".", 1)[0] if t["kind"] == "rw" else t["region"]["code"]
            for t in s["targets"]
        }
        assert len(villages) == 1
        remainings = [_remaining(t) for t in s["targets"]]
        assert s["total_remaining"] == sum(remainings) >= quantity
        assert sum(remainings[:-1]) < quantity  # compact: the last member is needed
        village = villages.pop()
        in_order = list(
            Need.objects.filter(aid_type__slug="sembako", target__village_id=village, remaining__gt=0)
            .order_by(*PRIORITY)
            .values_list("target_id", flat=True)
        )
        assert ids == in_order[: len(ids)]  # members in priority order


def test_falls_back_to_kecamatan_then_nothing(client: Client) -> None:
    per_village = (
        Need.objects.filter(aid_type__slug="sembako", target__city_code="31.74")
        .values("target__village_id")
        .annotate(rem=Sum("remaining"))
        .order_by("-rem")
    )
    quantity = per_village[0]["rem"] + 1  # more than any kelurahan of the kota holds
    suggestions = _finder(client, quantity, region="31.74")
    assert suggestions
    for s in suggestions:
        districts = {Target.objects.get(pk=t["id"]).district_code for t in s["targets"]}
        assert len(districts) == 1
        assert s["total_remaining"] == sum(_remaining(t) for t in s["targets"]) >= quantity
    assert _finder(client, 10_000_000, region="31.74") == []


def test_fully_covered_targets_are_never_suggested(client: Client) -> None:
    Need.objects.filter(aid_type__slug="sembako", target__village_id="31.74.05.1003").update(
        held=0, quantity=0
    )
    for s in _finder(client, 50):
        assert all(t["region"]["code"].startswith("31.74.05.1003") is False for t in s["targets"])


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"aid_type": "sembako", "quantity": -5, "region": KEBAYORAN_LAMA}, 422, "quantity"),
        ({"aid_type": "sembako", "quantity": 0}, 422, "quantity"),
        ({"aid_type": "sembako", "quantity": "enam ratus"}, 422, "quantity"),
        ({"aid_type": "sembako"}, 422, "quantity"),
        ({"aid_type": "beras", "quantity": 5}, 404, "aid_type"),
        ({"aid_type": "sembako", "quantity": 5, "region": "31.74.99"}, 404, "31.74.99"),
    ],
)
def test_bad_input(client: Client, params: dict[str, Any], status: int, field: str) -> None:
    response = client.get("/api/v1/finder", params)
    assert response.status_code == status
    assert field in response.json()["detail"]


def test_finder_page(client: Client) -> None:
    response = client.get("/cari/", {"jumlah": "600", "jenis": "sembako", "wilayah": KEBAYORAN_LAMA})
    assert response.status_code == 200
    first = _finder(client, 600)[0]["targets"][0]
    html = response.content.decode()
    assert f'href="/sasaran/{first["id"]}/"' in html and first["name"] in html
    bad = client.get("/cari/", {"jumlah": "-3", "jenis": "sembako", "wilayah": KEBAYORAN_LAMA})
    assert bad.status_code == 422
    assert 'id="error-jumlah"' in bad.content.decode()
    unknown = client.get("/cari/", {"jumlah": "3", "jenis": "sembako", "wilayah": "99.99"})
    # The area's refusal is shown by the picker beside it, with what to do.
    assert unknown.status_code == 422 and 'id="picker-wilayah-msg"' in unknown.content.decode()
    assert "Pilih dari daftar atau cari namanya" in unknown.content.decode()
    assert client.get("/cari/").status_code == 200
    # The area by name, as people know it.
    by_name = client.get("/cari/", {"jumlah": "600", "jenis": "sembako", "wilayah_cari": "Kebayoran Lama"})
    assert by_name.status_code == 200 and f'href="/sasaran/{first["id"]}/"' in by_name.content.decode()

"""GET /api/v1/exports/coverage.geojson: village boundaries with coverage properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kolaborasi.pledges.services import pledge_create
from kolaborasi.regions.models import Boundary, Region
from kolaborasi.targets.models import Need, Target

pytestmark = pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")


def test_coverage_of_villages_under_a_district(client: Client, personas: dict[str, Any]) -> None:
    from django.core.cache import cache
    from django.utils import timezone

    need = Need.objects.filter(
        target__district_code="31.74.05", target__kind="rw", aid_type__slug="sembako"
    ).first()
    assert need is not None
    pledge_create(
        actor=personas["dina"].user,
        organisation=personas["dina"].organisation,
        need=need,
        quantity=need.quantity,
        planned_delivery=timezone.localdate(),
    )
    cache.clear()
    response = client.get("/api/v1/exports/coverage.geojson", {"level": "village", "parent": "31.74.05"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert data["type"] == "FeatureCollection" and data["as_of"]
    codes = [f["properties"]["code"] for f in data["features"]]
    assert codes == list(
        Region.objects.filter(parent_id="31.74.05").order_by("code").values_list("code", flat=True)
    )
    with_boundary = set(Boundary.objects.filter(region_id__in=codes).values_list("region_id", flat=True))
    for f in data["features"]:
        p = f["properties"]
        assert (f["geometry"] is not None) == (p["code"] in with_boundary)
        assert p["rws"] == Target.objects.filter(village_id=p["code"], kind="rw").count()
        assert 0 <= p["rws_met"] <= p["rws_receiving"] <= p["rws"]
    village = next(
        f["properties"] for f in data["features"] if f["properties"]["code"] == need.target.village_id
    )
    assert village["rws_receiving"] == 1 and village["rws_met"] == 1
    assert village["pledged_sembako"] == need.quantity
    assert village["coverage"] == round(1 / village["rws"], 4)
    # No private fields at all.
    text = json.dumps(data)
    assert "contact" not in text and "head_name" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"level": "village"}, 422),
        ({"level": "rw", "parent": "31.74.05"}, 422),
        ({"level": "village", "parent": "31.74.77"}, 404),
        ({"level": "city", "parent": "31.74"}, 422),
        ({"level": "village", "parent": "31.74", "until": "31-12-2020"}, 422),
    ],
)
def test_coverage_bad_input(client: Client, params: dict[str, str], status: int) -> None:
    response = client.get("/api/v1/exports/coverage.geojson", params)
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.django_db
def test_coverage_of_cities_needs_no_parent(client: Client) -> None:
    response = client.get("/api/v1/exports/coverage.geojson", {"level": "city"})
    data = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert len(data["features"]) == Region.objects.filter(level="city").count()

"""GET /api/v1/stats/regions: one row per region with the summary figures; bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from kolaborasi.regions.models import Region

URL = "/api/v1/stats/regions"


@pytest.mark.django_db
def test_regions_lists_every_child_with_the_summary_fields(client: Client) -> None:
    rows = client.get(URL, {"level": "city"}).json()
    assert [r["code"] for r in rows] == list(
        Region.objects.filter(level="city").order_by("code").values_list("code", flat=True)
    )
    villages = client.get(URL, {"level": "village", "parent": "31.74.05"}).json()
    assert len(villages) == Region.objects.filter(level="village", parent_id="31.74.05").count()
    row = villages[0]
    assert {"code", "name", "level", "as_of", "pledged", "reach", "rws_met", "rws_receiving"} <= set(row)
    assert row["level"] == "village"
    # A province as parent of villages: every village below it.
    assert (
        len(client.get(URL, {"level": "district", "parent": "31"}).json())
        == Region.objects.filter(level="district", code__startswith="31.").count()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"level": "rw", "parent": "31.74"}, 422),
        ({"level": "kota"}, 422),
        ({"level": "district"}, 422),  # parent required below city
        ({"level": "city", "parent": "31.74"}, 422),  # not below the parent
        ({"level": "district", "parent": "31.74.05"}, 422),
        ({"level": "village", "parent": "98.76"}, 404),
        ({"level": "village", "parent": "31.74", "since": "2020-02-30"}, 422),
        ({"level": "village", "parent": "31.74", "since": "2020-05-02", "until": "2020-05-01"}, 422),
    ],
)
def test_regions_bad_input(client: Client, params: dict[str, str], status: int) -> None:
    response = client.get(URL, params)
    assert response.status_code == status, response.content
    assert response.json()["detail"]


@pytest.mark.django_db
def test_regions_without_level_is_422(client: Client) -> None:
    assert client.get(URL).status_code == 422

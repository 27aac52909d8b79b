"""GET /api/v1/targets: the contract, the filters and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from kolaborasi.targets.models import INSTITUTION_KINDS, Need, Target

pytestmark = pytest.mark.django_db

TARGET_KEYS = {"id", "kind", "name", "region", "size", "coordinates", "needs", "synthetic"}
NEED_KEYS = {"aid_type", "need", "committed", "delivered", "remaining"}


def test_contract_and_numbers_equal_the_database(client: Client) -> None:
    need = Need.objects.filter(target__district_code="31.74.05", aid_type__slug="sembako").first()
    assert need is not None
    Need.objects.filter(pk=need.pk).update(held=10, delivered=4)
    body = client.get("/api/v1/targets", {"region": "31.74.05", "limit": "200"}).json()
    assert set(body) == {"count", "items"}
    assert body["count"] == Target.objects.filter(district_code="31.74.05").count() == len(body["items"])
    for item in body["items"]:
        assert set(item) >= TARGET_KEYS
        assert set(item["region"]) == {"code", "name", "level"}
        assert item["synthetic"] is True
        target = Target.objects.get(pk=item["id"])
        assert item["kind"] == target.kind and item["size"] == target.size and item["name"] == target.name
        assert item["region"]["code"] == target.region_id
        for n in item["needs"]:
            assert set(n) >= NEED_KEYS
            row = Need.objects.get(target=target, aid_type__slug=n["aid_type"])
            assert (n["need"], n["committed"], n["delivered"], n["remaining"]) == (
                row.quantity,
                row.held,
                row.delivered,
                max(row.quantity - row.held, 0),
            )
        # Institutions carry coordinates when known (the demo places them only when the
        # reference boundaries were there to give village centres); RWs have none.
        expected = None if target.lat is None else {"lat": target.lat, "lng": target.lng}
        assert item["coordinates"] == expected
    one = client.get(f"/api/v1/targets/{need.target_id}").json()
    assert set(one) >= TARGET_KEYS
    (sembako,) = [n for n in one["needs"] if n["aid_type"] == "sembako"]
    assert (sembako["committed"], sembako["delivered"], sembako["remaining"]) == (10, 4, need.quantity - 10)


@pytest.mark.parametrize(
    ("code", "column"),
    [
        ("31", "province_code"),
        ("31.74", "city_code"),
        ("31.74.05", "district_code"),
        ("31.74.05.1003", "village_id"),
        ("31.74.05.1003.001", "region_id"),
    ],
)
def test_region_matches_the_code_and_everything_under_it(client: Client, code: str, column: str) -> None:
    body = client.get("/api/v1/targets", {"region": code, "limit": "5"}).json()
    assert body["count"] == Target.objects.filter(**{column: code}).count() > 0
    assert all(i["region"]["code"].startswith(code) for i in body["items"])


def test_kind_filter_and_name_order(client: Client) -> None:
    for kind in ["rw", *INSTITUTION_KINDS]:
        body = client.get("/api/v1/targets", {"kind": kind, "limit": "200", "order": "name"}).json()
        assert body["count"] == Target.objects.filter(kind=kind).count()
        assert {i["kind"] for i in body["items"]} == {kind}
        names = [i["name"] for i in body["items"]]
        assert names == sorted(names) or len({*names}) < len(names)


def test_unmet_and_search(client: Client) -> None:
    village = "31.74.05.1003"
    target = Target.objects.filter(village_id=village, kind="rw").order_by("id").first()
    assert target is not None
    Need.objects.filter(target=target, aid_type__slug="lebaran").update(held=target.size)
    all_ = client.get("/api/v1/targets", {"region": village, "aid_type": "lebaran"}).json()
    unmet = client.get("/api/v1/targets", {"region": village, "aid_type": "lebaran", "unmet": "true"}).json()
    assert unmet["count"] == all_["count"] - 1
    assert target.pk not in [i["id"] for i in unmet["items"]]
    # met for lebaran, still unmet for sembako
    sembako = client.get(
        "/api/v1/targets", {"region": village, "aid_type": "sembako", "unmet": "true"}
    ).json()
    assert target.pk in [i["id"] for i in sembako["items"]]

    found = client.get("/api/v1/targets", {"q": "cipulir", "kind": "rw"}).json()
    assert found["count"] == Target.objects.filter(kind="rw", village_id=village).count()
    assert client.get("/api/v1/targets", {"q": "tidak-ada-nama-seperti-ini"}).json() == {
        "count": 0,
        "items": [],
    }


def test_limit_offset(client: Client) -> None:
    first = client.get("/api/v1/targets", {"limit": 4}).json()
    second = client.get("/api/v1/targets", {"limit": 2, "offset": 2}).json()
    assert first["items"][2:] == second["items"]
    assert first["count"] == Target.objects.count()


@override_settings(API_MAX_LIMIT=50)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 51}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"kind": "gereja"}, "kind"),
        ({"order": "random"}, "order"),
        ({"unmet": "mungkin"}, "unmet"),
        ({"limit": "lima"}, "limit"),
    ],
)
def test_bad_parameters_are_422_with_a_message(client: Client, params: dict[str, Any], field: str) -> None:
    response = client.get("/api/v1/targets", params)
    assert response.status_code == 422
    assert field in response.json()["detail"]


def test_unknown_codes_and_ids_are_404(client: Client) -> None:
    response = client.get("/api/v1/targets", {"region": "31.99"})
    assert response.status_code == 404 and "31.99" in response.json()["detail"]
    response = client.get("/api/v1/targets/99999999")
    assert response.status_code == 404 and "detail" in response.json()
    # An aid type is a thing the request names, like a region: unknown is 404, not 422.
    response = client.get("/api/v1/targets", {"aid_type": "beras"})
    assert response.status_code == 404 and "aid_type" in response.json()["detail"]


def _bookkeeping(sql: str) -> bool:
    return sql.startswith(("SET max_parallel_workers_per_gather", "RESET max_parallel_workers_per_gather"))


@pytest.mark.parametrize("region", ["", "31", "31.74", "31.74.05", "31.74.05.1003"])
@pytest.mark.parametrize("order", ["priority", "name"])
def test_a_page_costs_the_same_few_queries_whatever_its_size(client: Client, region: str, order: str) -> None:
    """No query per target or per need (N+1): a page of 1 and a page of 200 run the
    same number of queries, and the count is still the whole area's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params: dict[str, str | int] = {"region": region, "order": order}
    queries = []
    for limit in (1, 200):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/api/v1/targets", {**params, "limit": limit}).json()
        assert len(body["items"]) == min(limit, body["count"])
        # Not counted: the recomputation's SET / RESET max_parallel_workers_per_gather
        # on PostgreSQL (see core.freshness).
        queries.append(sum(1 for q in ctx.captured_queries if not _bookkeeping(q["sql"])))
    assert queries[0] == queries[1] <= 7
    q = {"province_code": region} if region.count(".") == 0 else {"city_code": region}
    if region.count(".") == 2:
        q = {"district_code": region}
    elif region.count(".") == 3:
        q = {"village_id": region}
    expected = Target.objects.filter(**q).count() if region else Target.objects.count()
    assert body["count"] == expected
    # Past the last page the count is still the area's.
    past = client.get("/api/v1/targets", {**params, "offset": expected + 5}).json()
    assert past == {"count": expected, "items": []}


def test_a_busy_list_is_answered_from_the_cache_and_catches_up_within_max_age(
    client: Client,
    later,  # type: ignore[no-untyped-def]
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    from kolaborasi.core.freshness import FRESH_SECONDS, MAX_AGE_SECONDS

    params = {"region": "31.74.05", "order": "priority", "limit": "5"}
    first = client.get("/api/v1/targets", params).json()
    top = first["items"][0]
    with django_assert_num_queries(0):  # a hit: the stored bytes, no query
        assert client.get("/api/v1/targets", params).json() == first
    need = Need.objects.get(target_id=top["id"], aid_type__slug="sembako")
    Need.objects.filter(pk=need.pk).update(held=need.quantity)  # now fully covered
    later(FRESH_SECONDS / 2)
    assert client.get("/api/v1/targets", params).json() == first  # still fresh: unchanged
    later(MAX_AGE_SECONDS)
    after = client.get("/api/v1/targets", params).json()
    assert top["id"] not in [item["id"] for item in after["items"]]


def test_errors_are_not_cached(client: Client) -> None:
    assert client.get("/api/v1/targets", {"region": "99.99"}).status_code == 404
    assert client.get("/api/v1/targets", {"region": "99.99"}).status_code == 404
    assert client.get("/api/v1/targets", {"region": "31.74"}).status_code == 200

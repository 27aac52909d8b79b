"""The fast ways to the public figures tell the same numbers as the slow ones.

Without a date range the figures come from the need counters (``Need.held`` …) and
collaborators from one probe per organisation; with one they come from the pledges. Both
must equal each other on a randomized history, for every area and grouping (run on SQLite
and PostgreSQL). And a cached answer is the stored JSON, given without any query, in the
documented schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from kolaborasi.funds.selectors import funds_summary
from kolaborasi.stats.api import RegionSummaryOut, SummaryOut
from kolaborasi.stats.figures import TALLY_COLUMN, compute, funds_by_region, source_for
from kolaborasi.stats.scope import Scope, parse_scope, regions_at
from kolaborasi.stats.selectors import summary
from kolaborasi.targets.models import REGION_COLUMN, Target, TargetKind
from tests.history_support import CITY, OTHER_CITY, build_history

pytestmark = pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")


def _without_as_of(figures: dict[str | None, Any]) -> dict[str | None, Any]:
    return {k: {f: v for f, v in fig.items() if f != "as_of"} for k, fig in figures.items()}


def _sources(scope: Scope, group_col: str | None) -> list[str]:
    """The fast sources that serve this area and grouping: the need counters always,
    the per-kelurahan totals down to a kelurahan (which ``compute`` then prefers)."""
    columns = {group_col} if group_col else set()
    if scope.region is not None:
        columns.add(REGION_COLUMN[scope.region.level])
    if columns <= TALLY_COLUMN.keys():
        assert source_for(scope, group_col) == "tally"
        return ["needs", "tally"]
    assert source_for(scope, group_col) == "needs"
    return ["needs"]


def _areas() -> list[str | None]:
    """The country, a province, two kota, and the kecamatan, kelurahan and RW of an RW
    holding units, so every area level is compared with non-zero figures."""
    target = (
        Target.objects.filter(city_code=CITY, kind=TargetKind.RW, needs__held__gt=0).order_by("pk").first()
    )
    assert target is not None
    return [None, "31", CITY, OTHER_CITY, target.district_code, target.village_id, target.region_id]


@pytest.mark.parametrize("seed", [7, 11])
def test_need_counters_and_totals_give_the_same_figures_as_the_pledges(
    personas: dict[str, Any], seed: int
) -> None:
    build_history(personas, seed=seed, pledges=50)
    areas = _areas()
    nonzero = 0
    for code in areas:
        scope = parse_scope(code)
        slow = _without_as_of(compute(scope, None, None, source="pledges"))
        for source in _sources(scope, None):
            fast = compute(scope, None, None, source=source)
            assert _without_as_of(fast) == slow, (code, source)
        nonzero += sum(slow[None]["pledged"].values()) > 0
    assert nonzero >= 6  # all but perhaps the other kota hold units
    assert compute(parse_scope(None), None, None, source="tally")[None]["rws_met"] >= 1
    # Per region one level down (what /stats/regions and the dashboard list).
    district, village = areas[4], areas[5]
    for parent, level in (
        (None, "city"),
        ("31", "city"),
        ("31", "district"),
        (CITY, "district"),
        (CITY, "village"),
        (district, "village"),
        (village, "rw"),
    ):
        scope = parse_scope(parent)
        keys = list(regions_at(level, scope.region).values_list("code", flat=True))
        assert keys, (parent, level)
        col = REGION_COLUMN[level]
        slow_g = _without_as_of(compute(scope, col, keys, source="pledges"))
        for source in _sources(scope, col):
            fast_g = compute(scope, col, keys, source=source)
            assert _without_as_of(fast_g) == slow_g, (parent, level, source)
        assert any(sum(f["pledged"].values()) for f in slow_g.values()), (parent, level)


def test_grouped_funds_equal_funds_summary_per_region(personas: dict[str, Any]) -> None:
    build_history(personas, seed=3, pledges=20)
    for parent_code, level in ((None, "city"), ("31", "city"), (CITY, "district"), (CITY, "village")):
        scope = parse_scope(parent_code)
        grouped = funds_by_region(scope, REGION_COLUMN[level])
        for region in regions_at(level, scope.region):
            expected = funds_summary(region=region)
            assert grouped.get(region.code, {"donated": 0, "confirmed": 0}) == expected, region.code
    assert any(v["confirmed"] for v in funds_by_region(parse_scope(None), "city_code").values())


@pytest.mark.usefixtures("still_clock")
def test_cached_answer_runs_no_query_and_is_the_documented_schema(
    client: Client, personas: dict[str, Any]
) -> None:
    build_history(personas, seed=5, pledges=20)
    cache.clear()
    urls = [
        "/api/v1/stats/summary",
        f"/api/v1/stats/summary?region={CITY}",
        f"/api/v1/stats/summary?region={CITY}&since=2020-01-01",
        f"/api/v1/stats/regions?level=district&parent={CITY}",
        "/api/v1/stats/regions?level=city",
    ]
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200, first.content
        with CaptureQueriesContext(connection) as queries:
            again = client.get(url)
        assert again.status_code == 200
        assert len(queries) == 0, (url, [q["sql"] for q in queries])
        assert again.content == first.content
        assert again["Content-Type"] == "application/json; charset=utf-8"
        data = json.loads(again.content)
        # What django-ninja would have answered: the schema's model, dumped and encoded
        # with its encoder (as_of in milliseconds, "Z").
        if "/summary" in url:
            assert list(data) == list(SummaryOut.model_fields)
            assert _as_ninja(SummaryOut, data) == data
        else:
            assert data
            for row in data:
                assert list(row) == ["code", "name", "level", *SummaryOut.model_fields]
                assert _as_ninja(RegionSummaryOut, row) == row
    # The dashboard reads the same cache entry as the API.
    scope = parse_scope(CITY)
    with CaptureQueriesContext(connection) as queries:
        figures = summary(scope)
    assert len(queries) == 0
    assert json.loads(json.dumps(figures, cls=NinjaJSONEncoder)) == json.loads(
        client.get("/api/v1/stats/summary", {"region": CITY}).content
    )


def _as_ninja(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(schema.model_validate(data).model_dump(), cls=NinjaJSONEncoder))  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_unknown_or_malformed_codes_are_never_cached(client: Client) -> None:
    cache.clear()
    for _ in range(2):
        assert client.get("/api/v1/stats/summary", {"region": "31.99"}).status_code == 404
        assert client.get("/api/v1/stats/regions", {"level": "village", "parent": "98.76"}).status_code == 404
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/stats/summary", {"region": "31.x"})
    assert response.status_code == 422
    assert len(queries) == 0  # malformed input is refused before any query

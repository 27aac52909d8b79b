"""GET /api/v1/stats/summary: shape, filters, freshness and bad input (422/404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kolaborasi.pledges.services import pledge_create
from kolaborasi.targets.models import Need

pytestmark = pytest.mark.usefixtures("fast_hasher", "hold_limits_lifted")

URL = "/api/v1/stats/summary"


@pytest.mark.django_db
def test_summary_shape_without_pledges(client: Client) -> None:
    cache.clear()
    response = client.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {
        "as_of",
        "pledged",
        "delivered",
        "confirmed",
        "reach",
        "rws_met",
        "rws_receiving",
        "collaborators",
        "funds",
    }
    assert set(data["reach"]) == {"cities", "districts", "villages", "rws", "institutions"}
    assert set(data["collaborators"]) == {"donor_organisations", "individual_donors", "aggregators"}
    assert data["funds"] == {"donated": 0, "confirmed": 0}
    assert {"sembako", "siap-saji", "lebaran"} <= set(data["pledged"])
    assert all(v == 0 for v in data["pledged"].values())
    assert dt.datetime.fromisoformat(data["as_of"]) <= timezone.now()


def test_new_pledge_shows_once_the_cached_figure_expires(client: Client, personas: dict[str, Any]) -> None:
    """The cache is keyed by the parameters; once the entry is gone (its TTL ≤ 3 s;
    cleared here instead of waiting) the next answer includes the new pledge."""
    cache.clear()
    need = Need.objects.filter(target__city_code="31.74", aid_type__slug="sembako", quantity__gt=10).first()
    assert need is not None
    before = client.get(URL, {"region": "31.74"}).json()
    pledge_create(
        actor=personas["dina"].user,
        organisation=personas["dina"].organisation,
        need=need,
        quantity=7,
        planned_delivery=timezone.localdate(),
    )
    cache.clear()
    after = client.get(URL, {"region": "31.74"}).json()
    assert after["pledged"]["sembako"] == before["pledged"]["sembako"] + 7
    assert after["reach"]["rws"] == before["reach"]["rws"] + (1 if need.target.kind == "rw" else 0)
    assert after["collaborators"]["donor_organisations"] == 1
    # Another city is unaffected; a date range before today excludes it.
    assert client.get(URL, {"region": "31.71"}).json()["pledged"]["sembako"] == 0
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.get(URL, {"region": "31.74", "until": yesterday}).json()["pledged"]["sembako"] == 0
    today = timezone.localdate().isoformat()
    assert client.get(URL, {"since": today, "until": today}).json()["pledged"]["sembako"] == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"since": "2020-13-01"}, 422, "since"),
        ({"until": "kemarin"}, 422, "until"),
        ({"since": "2020-05-01", "until": "2020-04-01"}, 422, "since"),
        ({"region": "99"}, 404, "region"),
        ({"region": "31.74.99"}, 404, "region"),
        ({"region": "not a code"}, 422, "region"),
        ({"region": "31.74.05.1003.001.7"}, 422, "region"),
    ],
)
def test_summary_bad_input(client: Client, params: dict[str, str], status: int, field: str) -> None:
    response = client.get(URL, params)
    assert response.status_code == status, response.content
    assert response.json()["detail"].startswith(field + ":")


@pytest.mark.django_db
def test_cache_refreshes_once_and_never_serves_older_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The freshness rule of the summary, checked on the cache entries themselves:
    fresh → served; stale while another request refreshes → served; older than the
    bound → the refresher's answer is awaited, or computed here if it never comes."""
    import threading
    import time

    from kolaborasi.core import freshness
    from kolaborasi.stats.selectors import STATS_FRESH_SECONDS, STATS_MAX_AGE_SECONDS, cached

    cache.clear()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cached("k", compute) == 1
    assert cached("k", compute) == 1  # fresh
    cache.set("k", (time.time() - STATS_FRESH_SECONDS - 0.5, 1), 10)
    cache.add("k:refresh", 1, 10)  # another request is refreshing
    assert cached("k", compute) == 1
    cache.set("k", (time.time() - STATS_MAX_AGE_SECONDS - 0.1, 1), 10)
    # Too old while another request refreshes: wait for its answer, never serve the old.
    refresher = threading.Timer(0.2, lambda: cache.set("k", (time.time(), 42), 10))
    refresher.start()
    assert cached("k", compute) == 42 and len(calls) == 1
    refresher.join()
    # ... and if the refresher never answers, compute here after WAIT_SECONDS.
    monkeypatch.setattr(freshness, "WAIT_SECONDS", 0.1)
    cache.set("k", (time.time() - STATS_MAX_AGE_SECONDS - 0.1, 1), 10)
    assert cached("k", compute) == 2  # too old: computed despite the refresher
    assert cache.get("k:refresh") == 1  # the other request's flag is left to it
    cache.delete("k:refresh")
    cache.set("k", (time.time() - STATS_FRESH_SECONDS - 0.5, 2), 10)
    assert cached("k", compute) == 3  # stale and nobody refreshing: this request does
    assert cache.get("k:refresh") is None
    assert STATS_MAX_AGE_SECONDS < 5

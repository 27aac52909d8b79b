"""The one priority order: least coverage first, then most remaining, then id; zero-need
and fully covered targets last. Checked through the public API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kolaborasi.targets.models import Need, Target
from kolaborasi.targets.selectors import PRIORITY

pytestmark = pytest.mark.django_db

CIPULIR = "31.74.05.1003"


def _set(target: Target, quantity: int, held: int, slug: str = "sembako") -> None:
    Need.objects.filter(target=target, aid_type__slug=slug).update(quantity=quantity, held=held)


def _ids(client: Client, **params: Any) -> list[int]:
    response = client.get("/api/v1/targets", {"region": CIPULIR, "aid_type": "sembako", **params})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_least_served_first_ties_by_id_zero_and_full_last(client: Client) -> None:
    targets = list(Target.objects.filter(village_id=CIPULIR).order_by("id"))
    assert len(targets) >= 8
    a, b, c, d, e, zero, full, over = targets[:8]
    _set(a, 100, 0)  # coverage 0, remaining 100
    _set(b, 100, 0)  # the same: tie broken by id (a before b)
    _set(c, 300, 0)  # coverage 0, remaining 300: before a and b
    _set(d, 200, 100)  # coverage .5, remaining 100
    _set(e, 400, 200)  # coverage .5, remaining 200: before d
    _set(zero, 0, 0)  # nothing needed
    _set(full, 50, 50)  # fully covered
    _set(over, 30, 50)  # over-covered after a correction: remaining 0, never negative
    for extra in targets[8:]:
        _set(extra, 10, 9)  # coverage .9: after the half-covered ones
    expected = [
        c.pk,
        a.pk,
        b.pk,
        e.pk,
        d.pk,
        *[t.pk for t in targets[8:]],
        *sorted([zero.pk, full.pk, over.pk]),
    ]
    assert _ids(client) == expected
    assert Need.objects.get(target=over, aid_type__slug="sembako").remaining == 0

    # "only unmet" drops the zero-need and covered ones, keeps the order of the rest.
    assert _ids(client, unmet="true") == expected[:-3]
    # Pages continue the same order.
    assert _ids(client, limit=3) + _ids(client, limit=3, offset=3) == expected[:6]


def test_priority_is_per_aid_type(client: Client) -> None:
    targets = list(Target.objects.filter(village_id=CIPULIR).order_by("id"))
    first, second = targets[0], targets[1]
    _set(first, 100, 90, slug="siap-saji")
    _set(second, 100, 0, slug="siap-saji")
    siap = [
        i["id"]
        for i in client.get("/api/v1/targets", {"region": CIPULIR, "aid_type": "siap-saji"}).json()["items"]
    ]
    assert siap.index(second.pk) < siap.index(first.pk)
    # sembako untouched: first stays ahead of second only by its own numbers
    sembako_needs = {
        n.target_id: n for n in Need.objects.filter(target__in=[first, second], aid_type__slug="sembako")
    }
    sembako = _ids(client)
    assert (sembako.index(first.pk) < sembako.index(second.pk)) == (
        (sembako_needs[first.pk].remaining, -first.pk) > (sembako_needs[second.pk].remaining, -second.pk)
    )


def test_order_matches_the_definition_across_a_kota(client: Client) -> None:
    # Some coverage spread over Jakarta Selatan so the order is not only by size.
    for i, need in enumerate(Need.objects.filter(target__city_code="31.74", aid_type__slug="sembako")[:300]):
        Need.objects.filter(pk=need.pk).update(held=min(need.quantity, (i * 37) % need.quantity))
    seen: list[tuple[float, int, int]] = []
    for offset in range(0, Target.objects.filter(city_code="31.74").count(), 200):
        params = {"region": "31.74", "aid_type": "sembako", "limit": "200", "offset": str(offset)}
        items = client.get("/api/v1/targets", params).json()["items"]
        for item in items:
            (need,) = [n for n in item["needs"] if n["aid_type"] == "sembako"]
            coverage = min(need["committed"] / need["need"], 1.0) if need["need"] else 1.0
            if need["remaining"] == 0:
                coverage = 1.0
            seen.append((coverage, -need["remaining"], item["id"]))
    assert len(seen) == Target.objects.filter(city_code="31.74").count()
    assert seen == sorted(seen)
    # and the database agrees with the definition
    db = list(
        Need.objects.filter(target__city_code="31.74", aid_type__slug="sembako")
        .order_by(*PRIORITY)
        .values_list("target_id", flat=True)
    )
    assert db == [s[2] for s in seen]

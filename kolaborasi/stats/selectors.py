"""The public figures as the API and the pages read them: cached, never older than the
freshness rule allows.

Each result is cached under its parameters (Django's cache: local memory per process, or
Redis shared by the app servers) together with the JSON body the API answers, so a
cached answer is the stored bytes with no database query. ``as_of`` is when the rows
were read; a result older than ``STATS_FRESH_SECONDS`` is recomputed by one request
while the others keep getting it, and one older than ``STATS_MAX_AGE_SECONDS`` is never
served (``kolaborasi.core.freshness``). So a committed write shows within 4.5 s.

The scope is parsed in ``scope``, the figures computed in ``figures``."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from kolaborasi.core.freshness import FRESH_SECONDS, MAX_AGE_SECONDS, cache_key, cached
from kolaborasi.targets.models import region_column

from .figures import Figures, compute, funds_by_region, funds_total
from .scope import Scope, check_level, parse_scope, regions_at, scope_key

# The freshness rule is shared with the other busy public reads (kolaborasi.core.freshness).
STATS_FRESH_SECONDS: float = FRESH_SECONDS
STATS_MAX_AGE_SECONDS: float = MAX_AGE_SECONDS


def stats_key(*parts: str) -> str:
    """The cache key of a stats result (charts share the namespace)."""
    return cache_key("stats:v3", *parts)


def _json(data: Any) -> bytes:
    """The JSON body the API answers (as django-ninja renders the documented schema:
    Django's encoder, so ``as_of`` is ISO 8601 with milliseconds)."""
    return json.dumps(data, cls=DjangoJSONEncoder).encode()


def _summary_entry(scope: Scope) -> tuple[Figures, bytes]:
    fig = compute(scope, None, None)[None]
    fig["funds"] = funds_total(scope)
    return fig, _json(fig)


def _summary_key(key: str) -> str:
    return stats_key("summary", key, settings.PRIMARY_AID_TYPE)


def summary(scope: Scope) -> Figures:
    """The figures of GET /api/v1/stats/summary for ``scope`` (cached, ≤ 4.5 s old)."""
    return cached(_summary_key(scope.key()), lambda: _summary_entry(scope))[0]


def summary_json(
    region: str | None = None, since: str | None = None, until: str | None = None, campaign: str | None = None
) -> bytes:
    """The body of GET /api/v1/stats/summary, from the same cache entry as ``summary``:
    a cached answer is the stored bytes, with no database query and no re-encoding."""
    key = scope_key(region, since, until, campaign)
    return cached(_summary_key(key), lambda: _summary_entry(parse_scope(region, since, until, campaign)))[1]


class RegionFigures(TypedDict):
    code: str
    name: str
    level: str
    figures: Figures


def _regions_entry(scope: Scope, level: str) -> tuple[list[RegionFigures], bytes]:
    check_level(scope, level)
    regions = list(regions_at(level, scope.region).values_list("code", "name"))
    computed = compute(scope, region_column(level), [code for code, _name in regions])
    funds = funds_by_region(scope, region_column(level))
    result: list[RegionFigures] = []
    for code, name in regions:
        fig = computed[code]
        fig["funds"] = funds.get(code, {"donated": 0, "confirmed": 0})
        result.append({"code": code, "name": name, "level": level, "figures": fig})
    body = _json(
        [{"code": r["code"], "name": r["name"], "level": r["level"], **r["figures"]} for r in result]
    )
    return result, body


def _regions_key(level: str, key: str) -> str:
    return stats_key("regions", level, key, settings.PRIMARY_AID_TYPE)


def by_region(scope: Scope, level: str) -> list[RegionFigures]:
    """The summary figures for every region at ``level`` under ``scope.region`` (cached
    like ``summary``). Funds are each region's own ``funds_summary``."""
    check_level(scope, level)
    return cached(_regions_key(level, scope.key()), lambda: _regions_entry(scope, level))[0]


def by_region_json(
    level: str,
    parent: str | None = None,
    since: str | None = None,
    until: str | None = None,
    campaign: str | None = None,
) -> bytes:
    """The body of GET /api/v1/stats/regions (a list of the summary figures with the
    region's code, name and level), from the same cache entry as ``by_region``."""
    key = scope_key(parent, since, until, campaign, region_field="parent")
    return cached(
        _regions_key(level, key),
        lambda: _regions_entry(parse_scope(parent, since, until, campaign, region_field="parent"), level),
    )[1]

"""GET /api/v1/openapi.json: the schema states the API's enums, bounds and statuses.
(tests/test_api_schema.py checks against a live server that the API keeps them.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kolaborasi.funds.models import Channel, Kinds
from kolaborasi.pledges.models import PledgeStatus
from kolaborasi.regions.models import Level
from kolaborasi.stats.exports import DATASETS
from kolaborasi.targets.models import TargetKind
from kolaborasi.targets.selectors import ORDERS


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _non_null(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The schema of a value, without the ``null`` an optional parameter allows."""
    node = _resolve(schema, node)
    for choice in node.get("allOf", []):
        return _resolve(schema, choice)
    for choice in node.get("anyOf", []):
        if choice.get("type") != "null":
            return _resolve(schema, choice)
    return node


def _param(schema: dict[str, Any], path: str, name: str, method: str = "get") -> dict[str, Any]:
    for param in schema["paths"][path][method]["parameters"]:
        if param["name"] == name:
            return _non_null(schema, param["schema"])
    raise AssertionError(f"{path} has no parameter {name}")


def _body(schema: dict[str, Any], path: str, field: str) -> dict[str, Any]:
    body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return _non_null(schema, _non_null(schema, body)["properties"][field])


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, methods in schema["paths"].items() for m, op in methods.items()]


def test_every_operation_documents_what_can_refuse_it_before_its_view(schema):
    for method, path, op in _operations(schema):
        codes = set(op["responses"])
        assert {"422", "429", "503"} <= codes, (method, path, codes)
        for code in ("429", "503"):
            assert "Retry-After" in op["responses"][code]["headers"]
        if op.get("security"):
            assert "401" in codes, (method, path)
            if method != "get":
                assert "403" in codes, (method, path)
        if "requestBody" in op:
            assert "400" in codes, (method, path)
        for code, answer in op["responses"].items():
            if int(code) >= 400:
                ref = answer["content"]["application/json"]["schema"]
                assert "detail" in _resolve(schema, ref)["required"], (method, path, code)


def test_status_codes_the_views_answer(schema):
    paths = schema["paths"]
    conflict = _resolve(
        schema, paths["/api/v1/pledges"]["post"]["responses"]["409"]["content"]["application/json"]["schema"]
    )
    assert conflict["required"] == ["detail"] and "remaining" in conflict["properties"]
    assert "409" in paths["/api/v1/allocation-plans/{plan_id}/commit"]["post"]["responses"]
    for path in (
        "/api/v1/regions/{code}",
        "/api/v1/targets/{target_id}",
        "/api/v1/finder",
        "/api/v1/pledges/{pledge_id}",
    ):
        assert "404" in paths[path]["get"]["responses"], path


def test_enums(schema):
    assert set(_param(schema, "/api/v1/regions", "level")["enum"]) == set(Level.values)
    assert set(_param(schema, "/api/v1/targets", "kind")["enum"]) == set(TargetKind.values)
    assert set(_param(schema, "/api/v1/targets", "order")["enum"]) == set(ORDERS)
    assert set(_param(schema, "/api/v1/pledges", "status")["enum"]) == set(PledgeStatus.values)
    assert set(_param(schema, "/api/v1/stats/regions", "level")["enum"]) == {"city", "district", "village"}
    assert set(_param(schema, "/api/v1/exports/{dataset}.{fmt}", "dataset")["enum"]) == set(DATASETS)
    assert set(_param(schema, "/api/v1/exports/{dataset}.{fmt}", "fmt")["enum"]) == {"csv", "xlsx"}
    assert set(_body(schema, "/api/v1/donations", "channel")["enum"]) == set(Channel.values)
    assert set(_body(schema, "/api/v1/allocation-plans", "kinds")["enum"]) == set(Kinds.values)


def test_aid_types_are_a_documented_string(schema):
    """Aid types are data operators edit: a slug with its pattern and the defaults named."""
    for node in (_param(schema, "/api/v1/finder", "aid_type"), _body(schema, "/api/v1/pledges", "aid_type")):
        assert node["type"] == "string" and node["maxLength"] == 40 and "pattern" in node
    described = schema["paths"]["/api/v1/finder"]["get"]["parameters"]
    assert any("sembako" in p.get("description", "") for p in described)


def test_bounds_and_formats(schema):
    assert _body(schema, "/api/v1/pledges", "quantity")["minimum"] == 1
    assert _param(schema, "/api/v1/finder", "quantity")["minimum"] == 1
    assert _param(schema, "/api/v1/targets", "limit")["maximum"] == settings.API_MAX_LIMIT
    assert _param(schema, "/api/v1/pledges", "limit")["maximum"] == settings.API_MAX_LIMIT
    assert _body(schema, "/api/v1/pledges", "planned_delivery")["format"] == "date"
    assert _body(schema, "/api/v1/donations", "donated_on")["format"] == "date"
    assert _param(schema, "/api/v1/stats/summary", "since")["format"] == "date"
    assert _body(schema, "/api/v1/donations", "amount")["minimum"] == 1
    assert _body(schema, "/api/v1/donations", "reference")["maxLength"] == 120
    assert _body(schema, "/api/v1/donations/{donation_id}/reject", "reason")["maxLength"] == 300
    assert _param(schema, "/api/v1/regions/{code}", "code")["maxLength"] == 24


def test_every_text_parameter_is_bounded_and_refuses_nul(schema):
    """The API refuses NUL bytes anywhere, so no string the schema allows may hold one."""
    import re

    texts = 0
    for _method, _path, op in _operations(schema):
        for param in op.get("parameters", []):
            node = _non_null(schema, param["schema"])
            if node.get("type") == "string" and "enum" not in node and node.get("format") != "date":
                texts += 1
                assert "maxLength" in node and "pattern" in node, (op["operationId"], param["name"])
                assert re.search(node["pattern"], "a\x00b") is None
    assert texts >= 10


def test_the_schema_is_built_once_per_process():
    """Building it costs about a second of CPU; an anonymous request must not pay that."""
    from kolaborasi.api import api

    assert api.get_openapi_schema(path_prefix="/api/v1/") is api.get_openapi_schema(path_prefix="/api/v1/")

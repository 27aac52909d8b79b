"""Schemathesis against /api/v1/openapi.json on a live server: the schema is the API's
honest contract. For every operation, anonymously and with the tokens of a donor (dina)
and an aggregator (agus):

- no server error;
- no status code the schema does not document (`status_code_conformance`);
- every answer matches its documented schema and media type;
- a request the schema allows is not refused as invalid (`positive_data_acceptance`):
  it gets one of ACCEPTED, except for the rules between query parameters that OpenAPI
  cannot state, listed in POSITIVE_422_ALLOWED.

Values that only the database or the calendar make valid — the ids of things that exist,
the aid types, delivery and donation dates not in the future — come from the world this
test builds, through a schemathesis config file; everything else, planned delivery dates
included (the schema lists the planning window), is generated from the schema. A
fixed seed and a few examples per operation keep the run short and repeatable."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from kolaborasi.accounts.models import Organisation, OrgKind, OrgSubtype
from kolaborasi.accounts.services import token_create
from kolaborasi.pledges.models import Pledge
from kolaborasi.pledges.services import pledge_create
from tests.pledges_support import small_world

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
    )
)
# What a schema-valid request may get, everywhere: done (2xx), not with these credentials
# (401/403), something named in the path or body does not exist (404), the record's
# current state refuses it (409: a cancelled pledge, an empty balance, a need already
# held), or a throttle (429). Narrower than schemathesis' default, which also counts 3xx
# and 5xx as "accepted"; 5xx fails `not_a_server_error` anyway.
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
# Rules OpenAPI cannot state — between query parameters, or about a file's content —
# where a well-formed request may still get 422 (the operation's description says when),
# and the check accepts it. Everywhere else a schema-valid request must not be refused.
POSITIVE_422_ALLOWED = {
    "POST /api/v1/pledges/{pledge_id}/deliveries": "evidence must be a readable JPEG, PNG or WebP",
    "POST /api/v1/pledges/{pledge_id}/deliveries/{delivery_id}/answer": (
        "a multipart answer needs a note or a photo, and a readable JPEG, PNG or WebP one"
    ),
    "GET /api/v1/regions": "a level below province needs a parent",
    "GET /api/v1/stats/summary": "since must not be after until",
    "GET /api/v1/stats/regions": "level must lie below parent; since not after until",
    "GET /api/v1/exports/coverage.geojson": "level must lie below parent; since not after until",
    "GET /api/v1/exports/{dataset}.{fmt}": "needs have no date filter; since not after until",
}
WRITE_PATHS = r"^/api/v1/(pledges|donations|allocation-plans|organisations)"
AGGREGATOR_PATHS = r"^/api/v1/(donations/|allocation-plans)"


def _toml_list(values: list[Any]) -> str:
    return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values) + "]"


def _world() -> dict[str, Any]:
    """A target with a need, a donor and a verified aggregator with a token each, and a
    live pledge of each kind of state the pledge operations start from."""
    need = small_world(10_000)
    dina = Organisation.objects.create(
        name="PT Dina Logistik", kind=OrgKind.DONOR, subtype=OrgSubtype.COMPANY
    )
    agus = Organisation.objects.create(name="Yayasan Agus Peduli", kind=OrgKind.AGGREGATOR, verified=True)
    today = timezone.localdate()
    pledges = [
        pledge_create(
            actor=None,
            organisation=dina,
            need=need,
            quantity=10,
            planned_delivery=today + dt.timedelta(days=3),
        )
        for _ in range(3)
    ]
    return {
        "need": need,
        "dina": token_create(actor=None, organisation=dina),
        "agus": token_create(actor=None, organisation=agus),
        "aggregator": agus.pk,
        "pledges": [p.pk for p in pledges],
        "today": today,
    }


def _config(world: dict[str, Any], *, unexpected_methods: bool) -> str:
    today: dt.date = world["today"]
    behind = [str(today - dt.timedelta(days=d)) for d in (0, 1, 30)]
    lines = [
        # Methods a path does not have are probed once, in the anonymous run.
        "" if unexpected_methods else "phases.coverage.unexpected-methods = []",
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {_toml_list(ACCEPTED)}",
        "[dictionaries.targets]",
        f"values = {_toml_list([world['need'].target_id])}",
        "[dictionaries.aid_types]",
        f"values = {_toml_list(['sembako'])}",
        "[dictionaries.regions]",
        f"values = {_toml_list(['99', '99.01', '99.01.01'])}",
        "[dictionaries.aggregators]",
        f"values = {_toml_list([world['aggregator']])}",
        "[dictionaries.pledges]",
        f"values = {_toml_list(world['pledges'])}",
        "[dictionaries.behind]",
        f"values = {_toml_list(behind)}",
        # A donation's earmark must name an open campaign (422 otherwise: the body names
        # one that cannot take money, which no schema can say).
        "[dictionaries.campaigns]",
        f"values = {_toml_list([world['need'].campaign.slug])}",
        "",
        "[parameters]",
        '"body.target" = { dictionary = "targets" }',
        '"body.aid_type" = { dictionary = "aid_types" }',
        '"body.region" = { dictionary = "regions" }',
        '"body.aggregator" = { dictionary = "aggregators" }',
        '"body.delivered_on" = { dictionary = "behind" }',
        '"body.donated_on" = { dictionary = "behind" }',
        '"body.campaign" = { dictionary = "campaigns" }',
        '"query.aid_type" = { dictionary = "aid_types" }',
        '"query.region" = { dictionary = "regions" }',
        '"query.parent" = { dictionary = "regions" }',
        '"path.pledge_id" = { dictionary = "pledges" }',
        '"path.target_id" = { dictionary = "targets" }',
        '"path.code" = { dictionary = "regions" }',
    ]
    if unexpected_methods:
        # Without a token these answer 401 before reading anything: a few calls show it.
        lines += [
            "",
            "[[operations]]",
            f'include-path-regex = "{WRITE_PATHS}"',
            "phases.coverage.enabled = false",
        ]
    for label in POSITIVE_422_ALLOWED:
        method, path = label.split(" ", 1)
        lines += [
            "",
            "[[operations]]",
            f'include-method = "{method}"',
            f'include-path = "{path}"',
            f"checks.positive_data_acceptance.expected-statuses = {_toml_list([*ACCEPTED, '422'])}",
        ]
    return "\n".join(lines) + "\n"


def _run(url: str, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{url}/api/v1/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"),
            "--seed",
            "4",
            "--phases",
            "examples,coverage,fuzzing",
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--wait-for-schema",
            "60",
            "--no-color",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=config.parent,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )


# Who calls, and what: every operation without a token (public reads answer, the rest say
# 401); the donor's token on everything behind a token; the aggregator's on what only an
# aggregator can do (donations to decide, allocation plans). One test each, so that the
# test workers run them side by side.
RUNS: dict[str, tuple[str | None, str | None]] = {
    "anonymous": (None, None),
    "dina": ("dina", WRITE_PATHS),
    "agus": ("agus", AGGREGATOR_PATHS),
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", RUNS)
def test_openapi_contract_holds(live_server, client, tmp_path, who):
    # Import the URLconf and build the schema once in this process before the clock of
    # schemathesis' schema download starts.
    assert client.get("/api/v1/openapi.json").status_code == 200
    world = _world()
    token, paths = RUNS[who]
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(world, unexpected_methods=token is None))
    extra = []
    if token is not None and paths is not None:
        extra = ["-H", f"Authorization: Bearer {world[token]}", "--include-path-regex", paths]
    result = _run(live_server.url, config, *extra)
    assert result.returncode == 0, (result.stdout + result.stderr)[-8000:]
    if who == "dina":
        # The donor's run really wrote: schema-valid pledges were accepted.
        assert Pledge.objects.filter(organisation__name="PT Dina Logistik").count() > len(world["pledges"])

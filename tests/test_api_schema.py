"""Schemathesis against /api/v1/openapi.json on a live server: no request the schema
allows — or fuzzes around — may produce a 5xx (issue 4). Runs the schemathesis CLI
with a donor's token so the authenticated pledge operations are exercised too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kolaborasi.accounts.services import token_create
from tests.pledges_support import donor_org, small_world

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.django_db(transaction=True)
def test_openapi_has_no_server_errors(live_server, client, tmp_path):
    # Import the URLconf and build the schema once in this process before the clock of
    # schemathesis' schema download starts.
    assert client.get("/api/v1/openapi.json").status_code == 200
    small_world(50)  # a target with a need, and the audit head (the database may be flushed)
    token = token_create(actor=None, organisation=donor_org())
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15")
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            examples,
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
            "-H",
            f"Authorization: Bearer {token}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]

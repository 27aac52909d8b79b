"""Hold settings are read at start: a malformed or out-of-range value stops the process
instead of leaving the platform unprotected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DEBUG": "1", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"PLEDGE_HORIZON_DAYS": "tiga puluh"},
        {"PLEDGE_HORIZON_DAYS": "0"},
        {"HOLD_LIMIT_SMALL": "-1"},
        {"HOLD_NEED_SHARE_SMALL": "150"},
        {"HOLD_FLAG_BURST_SECONDS": "0"},
    ],
)
def test_bad_values_stop_the_start(env: dict[str, str]) -> None:
    result = _start(**env)
    assert result.returncode != 0
    assert next(iter(env)) in result.stderr


@pytest.mark.slow
def test_good_values_start() -> None:
    result = _start(PLEDGE_HORIZON_DAYS="14", HOLD_LIMIT_SMALL="20", HOLD_NEED_SHARE_VERIFIED="60")
    assert result.returncode == 0, result.stderr

"""The production install is lean: requirements.lock holds what the server runs and none
of the development tools, requirements-dev.lock adds them, and both pin every shared
package to the same version (one resolution, split in two)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", re.M)


def _pins(name: str) -> dict[str, str]:
    return {k.lower().replace("_", "-"): v for k, v in PIN.findall((ROOT / name).read_text())}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=~!; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_the_runtime_lock_has_the_server_and_none_of_the_tools() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert _names(project["dependencies"]) <= set(runtime)
    tools = _names(project["optional-dependencies"]["dev"]) - _names(project["dependencies"])
    assert tools and not tools & set(runtime), sorted(tools & set(runtime))
    assert tools <= set(dev)
    # One resolution: every package of the server has the same version in both.
    assert {name: dev.get(name) for name in runtime} == runtime

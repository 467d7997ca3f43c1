"""One check of what the real-client tests need: the sandbox, the client commands and the engines.

Tests mark themselves with `needs_sandbox`, `needs[TOOL]` or `needs_engine[NAME]`, or call
`require(TOOL)` / `require_engine(NAME)`. With GARAUTH_REQUIRE_SANDBOX=1 (CI), `missing()`
names whatever is absent, and the session stops before any test runs (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil

import pytest

from garauth import sandbox
from garauth.sandbox import engines

AVAILABLE, WHY_NOT = sandbox.available()
REQUIRED = os.environ.get("GARAUTH_REQUIRE_SANDBOX") == "1"

# Client commands the tests run, and the Debian package that provides each.
TOOLS = {
    "skopeo": "skopeo",
    "podman": "podman",
    "docker": "docker.io",
    "curl": "curl",
    "ctr": "containerd",
    "jq": "jq",
}


def tool_missing(tool: str) -> str:
    """Why `tool` cannot be used ("" when it can)."""
    if shutil.which(tool) is None:
        return f"`{tool}` is not installed (Debian package {TOOLS.get(tool, tool)})"
    return ""


def engine_missing(name: str) -> str:
    """Why engine `name` ("docker", "containerd") cannot run in a sandbox ("" when it can)."""
    if not AVAILABLE:
        return f"garauth sandbox cannot run here: {WHY_NOT}"
    ok, why = engines.available(name)
    return "" if ok else why


needs_sandbox = pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}")
needs = {
    tool: pytest.mark.skipif(bool(tool_missing(tool)), reason=tool_missing(tool) or "-") for tool in TOOLS
}
needs_engine = {
    name: pytest.mark.skipif(bool(engine_missing(name)), reason=engine_missing(name) or "-")
    for name in engines.ENGINES
}


def require(tool: str) -> None:
    """Skip the calling test when `tool` is not installed."""
    why = tool_missing(tool)
    if why:
        pytest.skip(why)


def require_engine(name: str) -> None:
    why = engine_missing(name)
    if why:
        pytest.skip(why)


def missing() -> list[str]:
    """Everything the real-client tests need that is not here (for GARAUTH_REQUIRE_SANDBOX=1)."""
    if not AVAILABLE:
        return [f"garauth sandbox cannot run here: {WHY_NOT}"]
    return [why for why in [*map(tool_missing, TOOLS), *map(engine_missing, engines.ENGINES)] if why]

"""Session-wide checks.

With GARAUTH_REQUIRE_SANDBOX=1 (set by .ci/run), the real-client tests may not be skipped: if
the sandbox cannot run or a client is missing, the run stops at once with the reason, instead of
passing with the guide's central promise untested.
"""

from __future__ import annotations

import os
import shutil

import pytest

from garauth import sandbox

CLIENTS = ("skopeo", "podman", "docker", "curl")


def pytest_sessionstart(session):
    if os.environ.get("GARAUTH_REQUIRE_SANDBOX") != "1":
        return
    ok, why = sandbox.available()
    if not ok:
        pytest.exit(f"GARAUTH_REQUIRE_SANDBOX=1 but garauth sandbox cannot run here: {why}", returncode=1)
    missing = [c for c in CLIENTS if shutil.which(c) is None]
    if missing:
        pytest.exit(
            f"GARAUTH_REQUIRE_SANDBOX=1 but these clients are missing: {', '.join(missing)}", returncode=1
        )

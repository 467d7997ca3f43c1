"""Session-wide checks.

With GARAUTH_REQUIRE_SANDBOX=1 (set by .ci/run), the real-client tests may not be skipped: if
the sandbox cannot run or a client is missing (Google's gcloud included), the run stops at once
with the reason, instead of passing with the guide's central promise untested.
"""

from __future__ import annotations

import os
import shutil

import pytest

from garauth import sandbox

CLIENTS = ("skopeo", "podman", "docker", "curl")
# Google's CLI: the guide's gcloud scripts must run with it in CI, not only with the stand-in.
GCLOUD_CLIENTS = ("gcloud", "docker-credential-gcloud")
GCLOUD_INSTALL = "https://cloud.google.com/sdk/docs/install#deb"


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
    missing = [c for c in GCLOUD_CLIENTS if shutil.which(c) is None]
    if missing:
        pytest.exit(
            f"GARAUTH_REQUIRE_SANDBOX=1 but {', '.join(missing)} (google-cloud-cli) is not installed: the "
            f"guide's gcloud scripts must run with Google's gcloud, not the stand-in; install it ({GCLOUD_INSTALL})",
            returncode=1,
        )
    if os.environ.get("GARAUTH_GCLOUD") == "stand-in":
        pytest.exit(
            "GARAUTH_REQUIRE_SANDBOX=1 and GARAUTH_GCLOUD=stand-in contradict: unset GARAUTH_GCLOUD", 1
        )


def pytest_report_header(config):
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        return (
            "gcloud: not installed; the guide's gcloud commands run with the stand-in (garauth.fake.gcloud)"
        )
    return f"gcloud: {gcloud}; the guide's gcloud commands run with it (test IDs say [gcloud-VERSION])"

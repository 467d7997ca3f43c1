"""Session-wide set-up: the test kit (tests/kit) is importable as `kit` and its fixtures are
loaded everywhere.

With GARAUTH_REQUIRE_SANDBOX=1 (set by .ci/run), the real-client tests may not be skipped: if
the sandbox cannot run, or a client or engine is missing (Google's gcloud included), the run
stops at once with the reason, instead of passing with the guide's central promise untested.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["kit.fixtures"]

# Google's CLI: the guide's gcloud scripts must run with it in CI, not only with the stand-in.
GCLOUD_CLIENTS = ("gcloud", "docker-credential-gcloud")
GCLOUD_INSTALL = "https://cloud.google.com/sdk/docs/install#deb"
KUBECTL_INSTALL = "https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/"


def pytest_sessionstart(session):
    from kit import availability

    if not availability.REQUIRED:
        return
    missing = availability.missing()
    if missing:
        pytest.exit(f"GARAUTH_REQUIRE_SANDBOX=1 but: {'; '.join(missing)}", returncode=1)
    missing = [c for c in GCLOUD_CLIENTS if shutil.which(c) is None]
    if missing:
        pytest.exit(
            f"GARAUTH_REQUIRE_SANDBOX=1 but {', '.join(missing)} (google-cloud-cli) is not installed: the "
            f"guide's gcloud scripts must run with Google's gcloud, not the stand-in; install it ({GCLOUD_INSTALL})",
            returncode=1,
        )
    if shutil.which("kubectl") is None:
        pytest.exit(
            f"GARAUTH_REQUIRE_SANDBOX=1 but kubectl is not installed: the guide's kubectl commands must run "
            f"with the real kubectl; install it ({KUBECTL_INSTALL})",
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

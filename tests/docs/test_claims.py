"""Claims a page marks as tested here, about a real tool, that no example test covers.

gcr-to-pkg-dev.md: `gcloud auth configure-docker` with no argument configures only the gcr.io
hosts, so a move to pkg.dev must name the new host. Run with the real gcloud, in a network
namespace of its own (no traffic leaves it), with a throw-away HOME and gcloud configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

GCLOUD = shutil.which("gcloud")
UNSHARE = shutil.which("unshare")
pytestmark = pytest.mark.skipif(GCLOUD is None, reason="gcloud is not installed (it is not on a bare Debian)")


def configure_docker(tmp_path: Path, *registries: str) -> dict:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "DOCKER_CONFIG": str(tmp_path / "docker"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
    }
    argv = [GCLOUD, "auth", "configure-docker", "--quiet", *registries]
    if UNSHARE is None or subprocess.run([UNSHARE, "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a network namespace to run gcloud in (unshare -rn)")
    proc = subprocess.run([UNSHARE, "-rn", *argv], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads((tmp_path / "docker" / "config.json").read_text())["credHelpers"]


def test_configure_docker_without_arguments_configures_only_gcr_io_hosts(tmp_path):
    helpers = configure_docker(tmp_path)
    assert helpers, "configure-docker wrote no credential helper"
    assert all(host == "gcr.io" or host.endswith(".gcr.io") for host in helpers), sorted(helpers)
    assert set(helpers.values()) == {"gcloud"}


def test_configure_docker_with_the_host_configures_that_host(tmp_path):
    assert configure_docker(tmp_path, "us-central1-docker.pkg.dev") == {
        "us-central1-docker.pkg.dev": "gcloud"
    }

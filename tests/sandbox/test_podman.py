"""podman pull (with --creds, and after podman login) with every credential kind, as a user
types it: storage, auth file and configuration come from the sandbox's environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kit.availability import needs, needs_sandbox
from kit.outputs import describe
from kit.workdir import HOST, IMAGE, KINDS, password

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["podman"]]

# What root podman and skopeo create on the machine when nobody tells them otherwise (and
# mount(8)'s notes): none of it may appear.
MACHINE_PATHS = (
    "/var/lib/containers",
    "/run/containers",
    "/run/libpod",
    "/dev/shm/libpod_lock",
    "/etc/cni/net.d/cni.lock",
    "/etc/containers/networks",
    "/run/mount",
)


def _digest_line(image: str) -> str:
    return f"podman image inspect --format '{{{{.Digest}}}}' {image}"


@pytest.mark.parametrize("kind", KINDS)
def test_pull_with_creds(workdir, kind):
    proc = workdir.sh(
        f'{password(kind)}; podman pull -q --creds "{kind}:$PASS" {IMAGE}; {_digest_line(IMAGE)}'
    )
    assert proc.returncode == 0, describe(proc)
    image_id, digest = proc.stdout.split()
    assert digest == workdir.manifest_digest()
    assert (workdir.path / "containers" / "storage" / "vfs-images" / image_id).is_dir()


@pytest.mark.parametrize("kind", KINDS)
def test_login_then_pull(workdir, kind):
    proc = workdir.sh(
        f"""{password(kind)}
        printf %s "$PASS" | podman login -u {kind} --password-stdin {HOST}
        podman pull -q {IMAGE} >/dev/null
        {_digest_line(IMAGE)}""",
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines()[0] == "Login Succeeded!"
    assert proc.stdout.splitlines()[-1] == workdir.manifest_digest()
    auths = json.loads((workdir.path / "run" / "containers" / "auth.json").read_text())["auths"]
    assert list(auths) == [HOST]  # stored under the bare host, as podman login writes it


def _snapshot() -> dict[str, set[str]]:
    out = {}
    for top in MACHINE_PATHS:
        if os.path.exists(top):
            out[top] = {str(p) for p in Path(top).glob("*")} | {str(p) for p in Path(top).glob("*/*")}
    return out


def test_nothing_written_outside_the_workdir(workdir):
    before = _snapshot()
    proc = workdir.sh(
        f"""{password("_json_key")}
        printf %s "$PASS" | podman login -u _json_key --password-stdin {HOST} >/dev/null
        podman pull -q {IMAGE} >/dev/null
        skopeo copy --quiet docker://{IMAGE} dir:out
        podman images --format '{{{{.Repository}}}}'""",
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.split() == [IMAGE.rsplit(":", 1)[0]]
    assert _snapshot() == before

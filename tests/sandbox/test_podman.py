"""podman pull (with an auth entry for the host, as a CI platform hands a credential to its
engine, and after podman login) with every credential kind: storage, auth file and
configuration come from the sandbox's environment. Passwords are in no command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kit.availability import needs, needs_sandbox
from kit.outputs import describe
from kit.refusals import PASSWORDS
from kit.runner import Basic, pull_image
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


RECIPES = {"_json_key": "key", "_json_key_base64": "key as base64", "oauth2accesstoken": "access token"}


@pytest.mark.parametrize("kind", KINDS)
def test_pull_with_an_auth_entry(workdir, kind):
    cred = Basic(kind, PASSWORDS[RECIPES[kind]](workdir, "reader"))
    proc = pull_image(IMAGE, cred, workdir, engine="podman")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.strip() == f"{IMAGE}@{workdir.manifest_digest()}"
    # The image went to the workdir's own vfs storage (and was removed again after).
    assert (workdir.path / "containers" / "storage" / "vfs-images").is_dir()


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

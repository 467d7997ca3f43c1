"""skopeo login, then inspect and copy (pull to dir:, push as the writer), with every credential
kind, against the real hostnames in the sandbox, TLS verified against the fake's CA. Passwords
go to `login --password-stdin`, never on a command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kit.availability import needs, needs_sandbox
from kit.outputs import client_lines, describe
from kit.workdir import HOST, IMAGE, KINDS, REPO_PATH, RESOURCE, password

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["skopeo"]]


def sha256_file(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def check_dir_image(out: Path, manifest_digest: str | None = None) -> None:
    """A `dir:` copy is complete: every blob the manifest names is there with the right digest."""
    manifest = (out / "manifest.json").read_bytes()
    if manifest_digest:
        assert "sha256:" + hashlib.sha256(manifest).hexdigest() == manifest_digest
    doc = json.loads(manifest)
    for desc in [doc["config"], *doc["layers"]]:
        blob = out / desc["digest"].split(":", 1)[1]
        assert blob.is_file(), f"{desc['digest']} missing from {out}"
        assert sha256_file(blob) == desc["digest"]
        assert blob.stat().st_size == desc["size"]


def login(kind: str, who: str = "reader", authfile: str = "") -> str:
    """Shell: log in as `who` with a `kind` password, into `authfile` (default: REGISTRY_AUTH_FILE)."""
    option = f" --authfile {authfile}" if authfile else ""
    return f'{password(kind, who)}\nprintf %s "$PASS" | skopeo login{option} -u {kind} --password-stdin {HOST} >/dev/null\n'


@pytest.mark.parametrize("kind", KINDS)
def test_inspect(workdir, kind):
    proc = workdir.sh(f"{login(kind)}skopeo inspect docker://{IMAGE}")
    assert proc.returncode == 0, describe(proc)
    info = json.loads(proc.stdout)
    assert info["Name"] == IMAGE.rsplit(":", 1)[0]
    assert info["Digest"] == workdir.manifest_digest()
    assert "1.0" in info["RepoTags"]


@pytest.mark.parametrize("kind", KINDS)
def test_copy_pulls_to_dir(workdir, kind):
    proc = workdir.sh(f"{login(kind)}skopeo copy --quiet docker://{IMAGE} dir:out")
    assert proc.returncode == 0, describe(proc)
    check_dir_image(workdir.path / "out", workdir.manifest_digest())


@pytest.mark.parametrize("kind", KINDS)
def test_copy_pushes_as_writer(workdir, kind):
    tag = f"by{kind.strip('_')}"
    target = f"{REPO_PATH}/pushed:{tag}"
    proc = workdir.sh(
        f"""{login("_json_key")}skopeo copy --quiet docker://{IMAGE} dir:src
        {login(kind, "writer", "writer.json")}
        skopeo copy --quiet --dest-authfile writer.json dir:src docker://{target}
        skopeo copy --quiet --src-authfile writer.json docker://{target} dir:back""",
    )
    assert proc.returncode == 0, describe(proc)
    source_digest = workdir.manifest_digest()
    check_dir_image(workdir.path / "back", source_digest)
    # The fake kept the push: the tag names the same manifest, and its blobs are there.
    stored = workdir.state.get_manifest(RESOURCE, "pushed", tag)
    assert stored is not None and stored[0] == source_digest


def test_push_by_reader_is_refused(workdir):
    proc = workdir.sh(
        f"""{login("_json_key")}skopeo copy --quiet docker://{IMAGE} dir:src
        skopeo copy --quiet dir:src docker://{REPO_PATH}/pushed:no""",
    )
    assert proc.returncode == 1, describe(proc)
    last = client_lines(proc.stderr)[-1]
    assert last.startswith("trying to reuse blob sha256:"), describe(proc)
    assert last.endswith(
        " at destination: Requesting bearer token: invalid status code from registry 403 (Forbidden)"
    )
    assert workdir.state.get_manifest(RESOURCE, "pushed", "no") is None

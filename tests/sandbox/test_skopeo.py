"""skopeo inspect and copy (pull to dir:, push as the writer) with every credential kind, against
the real hostnames in `garauth sandbox`, TLS verified against the fake's CA."""

from __future__ import annotations

import json

import pytest
from sandboxkit import (
    IMAGE,
    KINDS,
    REPO_PATH,
    RESOURCE,
    check_dir_image,
    client_lines,
    demo_manifest_digest,
    describe,
    needs,
    needs_sandbox,
    password,
    sh,
)

from garauth.fake.state import State

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["skopeo"]]


@pytest.mark.parametrize("kind", KINDS)
def test_inspect(shared, kind):
    proc = sh(shared, f'{password(kind)}; skopeo inspect --creds "{kind}:$PASS" docker://{IMAGE}')
    assert proc.returncode == 0, describe(proc)
    info = json.loads(proc.stdout)
    assert info["Name"] == IMAGE.rsplit(":", 1)[0]
    assert info["Digest"] == demo_manifest_digest(shared)
    assert "1.0" in info["RepoTags"]


@pytest.mark.parametrize("kind", KINDS)
def test_copy_pulls_to_dir(shared, kind):
    out = f"pulled-{kind}"
    proc = sh(
        shared, f'{password(kind)}; skopeo copy --quiet --src-creds "{kind}:$PASS" docker://{IMAGE} dir:{out}'
    )
    assert proc.returncode == 0, describe(proc)
    check_dir_image(shared / out, demo_manifest_digest(shared))


@pytest.mark.parametrize("kind", KINDS)
def test_copy_pushes_as_writer(workdir, kind):
    tag = f"by{kind.strip('_')}"
    target = f"{REPO_PATH}/pushed:{tag}"
    proc = sh(
        workdir,
        f"""{password("_json_key", "reader")}
        skopeo copy --quiet --src-creds "_json_key:$PASS" docker://{IMAGE} dir:src
        {password(kind, "writer")}
        skopeo copy --quiet --dest-creds "{kind}:$PASS" dir:src docker://{target}
        skopeo copy --quiet --src-creds "{kind}:$PASS" docker://{target} dir:back""",
    )
    assert proc.returncode == 0, describe(proc)
    source_digest = demo_manifest_digest(workdir)
    check_dir_image(workdir / "back", source_digest)
    # The fake saved the push: the tag names the same manifest, and its blobs are there.
    stored = State.load(workdir).get_manifest(RESOURCE, "pushed", tag)
    assert stored is not None and stored[0] == source_digest


def test_push_by_reader_is_refused(workdir):
    proc = sh(
        workdir,
        f"""{password("_json_key", "reader")}
        skopeo copy --quiet --src-creds "_json_key:$PASS" docker://{IMAGE} dir:src
        skopeo copy --quiet --dest-creds "_json_key:$PASS" dir:src docker://{REPO_PATH}/pushed:no""",
    )
    assert proc.returncode == 1, describe(proc)
    last = client_lines(proc.stderr)[-1]
    assert last.startswith("trying to reuse blob sha256:"), describe(proc)
    assert last.endswith(
        " at destination: Requesting bearer token: invalid status code from registry 403 (Forbidden)"
    )
    assert State.load(workdir).get_manifest(RESOURCE, "pushed", "no") is None

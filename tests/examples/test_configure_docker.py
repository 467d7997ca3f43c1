"""`gcloud auth configure-docker LOCATION-docker.pkg.dev`, as the tutorial has you run it before
pushing, with Google's own gcloud and docker-credential-gcloud inside `garauth sandbox`:

- it writes a `credHelpers` entry for the host into the Docker client configuration, keeping what
  was there (https://cloud.google.com/artifact-registry/docs/docker/authentication#gcloud-helper);
- `docker-credential-gcloud` answers Docker's credential-helper protocol
  (https://github.com/docker/docker-credential-helpers#development): the server URL on stdin of
  `get`, a JSON object with `Username` and `Secret` on stdout. The username is `_dcgcloud_token`
  and the secret an access token of the signed-in account, which the registry accepts;
- the Docker Engine pulls through that entry (the docker CLI runs the helper and hands the
  engine the credential), and so does podman; skopeo pushes through it; no `login` anywhere.

Runs only where google-cloud-cli is installed (CI requires it: tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from gcloud_run import AVAILABLE, REAL, Gcloud, label

from garauth.fake import demo, images
from garauth.fake.server import prepare
from garauth.fake.state import State, repository_name

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        REAL not in AVAILABLE, reason="google-cloud-cli (or the sandbox) is not available here"
    ),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
]

HOST = f"{demo.LOCATION}-docker.pkg.dev"
REPO = f"{HOST}/{demo.PROJECT}/{demo.REPO}"
PUSHED = b"Pushed through docker-credential-gcloud.\n"

# The whole flow in one sandbox run. The helper's answer is reduced to its username and the
# SHA-256 of its secret before anything is written: the token itself never leaves the pipe.
FLOW = """
set -e
gcloud auth configure-docker "$GA_HOST" --quiet 2>configure.err
cp "$DOCKER_CONFIG/config.json" config.json
printf '%s' "$GA_HOST" | docker-credential-gcloud get | "$PY" -c '
import hashlib, json, sys
answer = json.load(sys.stdin)
print(json.dumps({"keys": sorted(answer), "Username": answer["Username"],
                  "secret_sha256": hashlib.sha256(answer["Secret"].encode()).hexdigest()}))
' > helper.json
podman pull -q "$GA_REPO/hello:1.0" >/dev/null
podman image inspect --format '{{.Digest}}' "$GA_REPO/hello:1.0" > pulled.txt
if [ -n "${DOCKER_HOST:-}" ] && command -v docker >/dev/null; then
  docker pull -q "$GA_REPO/hello:1.0" >/dev/null
  docker image inspect --format '{{index .RepoDigests 0}}' "$GA_REPO/hello:1.0" > engine.txt
fi
skopeo copy -q "oci:$GA_LAYOUT:pushed" "docker://$GA_REPO/pushed:1.0"
skopeo inspect --raw "docker://$GA_REPO/pushed:1.0" | "$PY" -c '
import hashlib, sys; print("sha256:" + hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' > pushed.txt
"""


def oci_layout(path: Path, built: images.Built, tag: str) -> None:
    """An OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for blob in (*built.blobs, built.manifest):
        (blobs / hashlib.sha256(blob).hexdigest()).write_bytes(blob)
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": built.media_type,
                "digest": built.digest,
                "size": len(built.manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (path / "index.json").write_text(json.dumps(index))


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    root = tmp_path_factory.mktemp("configure-docker")
    workdir, cwd = root / "fake", root / "you"
    cwd.mkdir()
    prepare(workdir)
    gcloud = Gcloud(REAL, workdir, root / "bin")
    built = images.build_image({"pushed.txt": PUSHED})
    oci_layout(root / "layout", built, "pushed")
    # A Docker configuration that already holds something: configure-docker must keep it.
    docker_config = workdir / "home" / ".docker"
    docker_config.mkdir(parents=True)
    (docker_config / "config.json").write_text(
        json.dumps({"auths": {"example.com": {}}, "psFormat": "table"})
    )
    env = {"GA_HOST": HOST, "GA_REPO": REPO, "GA_LAYOUT": str(root / "layout"), "PY": sys.executable}
    proc = gcloud.run("sh", "-c", FLOW, cwd=cwd, env=env)
    assert proc.returncode == 0, f"{gcloud.label}: the configure-docker flow failed:\n{proc.stderr[-3000:]}"
    return workdir, cwd, built, gcloud


@pytest.fixture(autouse=True)
def which_gcloud(record_property):
    record_property("gcloud", label(REAL))


def test_configure_docker_adds_a_cred_helper_for_the_host_and_keeps_the_rest(flow):
    _, cwd, _, _ = flow
    config = json.loads((cwd / "config.json").read_text())
    assert config["credHelpers"] == {HOST: "gcloud"}
    assert config["auths"] == {"example.com": {}} and config["psFormat"] == "table"


def test_the_helper_answers_get_with_an_access_token_of_the_signed_in_account(flow):
    workdir, cwd, _, _ = flow
    answer = json.loads((cwd / "helper.json").read_text())
    assert answer["keys"] == ["Secret", "Username"]
    assert answer["Username"] == "_dcgcloud_token"
    record = State.load(workdir).tokens.get(answer["secret_sha256"])
    assert record is not None, "the helper's secret is not a token the fake issued"
    assert (record["kind"], record["principal"]) == ("access", demo.email(demo.OWNER))


def test_podman_pulls_through_the_helper(flow):
    workdir, cwd, _, _ = flow
    state = State.load(workdir)
    digest, _, _ = state.get_manifest(repository_name(demo.PROJECT, demo.LOCATION, demo.REPO), "hello", "1.0")
    assert (cwd / "pulled.txt").read_text().strip() == digest
    token_requests = [r for r in _log(workdir) if r["path"] == "/v2/token" and r.get("username")]
    assert token_requests and {r["username"] for r in token_requests} == {"_dcgcloud_token"}


def test_the_docker_engine_pulls_through_the_helper(flow):
    workdir, cwd, _, _ = flow
    if not (cwd / "engine.txt").exists():
        if os.environ.get("GARAUTH_REQUIRE_SANDBOX") == "1":
            pytest.fail("the Docker Engine did not run in the shared sandbox")
        pytest.skip("the Docker Engine or the docker CLI is not available here")
    state = State.load(workdir)
    digest, _, _ = state.get_manifest(repository_name(demo.PROJECT, demo.LOCATION, demo.REPO), "hello", "1.0")
    assert (cwd / "engine.txt").read_text().strip() == f"{REPO}/hello@{digest}"


def test_skopeo_pushes_through_the_helper(flow):
    workdir, cwd, built, _ = flow
    assert (cwd / "pushed.txt").read_text().strip() == built.digest
    state = State.load(workdir)
    stored = state.get_manifest(repository_name(demo.PROJECT, demo.LOCATION, demo.REPO), "pushed", "1.0")
    assert stored is not None and stored[0] == built.digest


def _log(workdir: Path) -> list[dict]:
    return [json.loads(line) for line in (workdir / "requests.log").read_text().splitlines()]


def test_the_guide_s_credhelpers_example_is_what_configure_docker_writes(flow):
    """examples/docker/config-gcloud.json, which the credential-helpers page shows, is the
    credHelpers entry gcloud wrote here."""
    _, cwd, _, _ = flow
    written = json.loads((cwd / "config.json").read_text())["credHelpers"]
    example = Path(__file__).resolve().parents[2] / "examples" / "docker" / "config-gcloud.json"
    assert json.loads(example.read_text()) == {"credHelpers": written}

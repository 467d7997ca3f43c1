"""The fidelity fixes of issue 9: where a real-client audit found the fake answering otherwise
than Artifact Registry (or Distribution, where AR is not known to differ)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time

import pytest
import requests
from google.auth import exceptions as gexceptions
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account

from garauth import sandbox
from garauth.fake import demo, images
from garauth.fake.state import WRITER, State

from .conftest import IMAGE, REGISTRY

BASE = f"https://{REGISTRY}"
RESOURCE = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"


def errors_of(response) -> list[dict]:
    return response.json()["errors"]


def token(client, key: str, *scopes: str) -> dict:
    r = client.get(f"{BASE}/v2/token", params={"scope": list(scopes)}, auth=("_json_key", key))
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


# 1. A service-account JWT grant without a scope ------------------------------------------------


def test_a_jwt_grant_without_scopes_is_invalid_scope(fake):
    info = json.loads(fake.key_text("reader"))
    creds = service_account.Credentials.from_service_account_info(info)  # no scopes=
    with fake.requests_session() as session, pytest.raises(gexceptions.RefreshError) as raised:
        creds.refresh(GoogleRequest(session))
    assert "invalid_scope: Invalid OAuth scope or ID token audience provided." in str(raised.value)
    scoped = creds.with_scopes(["https://www.googleapis.com/auth/cloud-platform"])
    with fake.requests_session() as session:
        scoped.refresh(GoogleRequest(session))
    assert scoped.token.startswith("ya29.")


# 2. A missing tag --------------------------------------------------------------------------------


def test_a_missing_tag_is_failed_to_fetch(client, reader_key):
    r = client.get(
        f"{BASE}/v2/{IMAGE}/manifests/no-such-tag",
        headers=token(client, reader_key, f"repository:{IMAGE}:pull"),
    )
    assert r.status_code == 404
    assert errors_of(r) == [{"code": "MANIFEST_UNKNOWN", "message": 'Failed to fetch "no-such-tag"'}]


# 3. tags/list at PROJECT/REPO, and AR's `child` and `manifest` --------------------------------------


def test_tags_list_at_the_repository_lists_its_images(client, reader_key):
    name = f"{demo.PROJECT}/{demo.REPO}"
    headers = token(client, reader_key, f"repository:{name}:pull")
    r = client.get(f"{BASE}/v2/{name}/tags/list", headers=headers)
    assert r.status_code == 200
    assert r.json() == {"child": ["hello"], "manifest": {}, "name": name, "tags": []}


def test_tags_list_carries_manifest_and_child(fake, client, reader_key):
    r = client.get(
        f"{BASE}/v2/{IMAGE}/tags/list", headers=token(client, reader_key, f"repository:{IMAGE}:pull")
    )
    body = r.json()
    assert body["child"] == [] and body["tags"] == ["1.0", "multi"]
    digest = fake.state.get_manifest(RESOURCE, "hello", "1.0")[0]
    entry = body["manifest"][digest]
    assert entry["tag"] == ["1.0"] and entry["mediaType"] == images.OCI_MANIFEST
    assert int(entry["imageSizeBytes"]) > 0
    assert isinstance(entry["timeUploadedMs"], int) and entry["timeCreatedMs"].isdigit()


def test_a_repository_level_scope_is_granted_only_for_pull_of_a_readable_repository(client, reader_key, fake):
    name = f"{demo.PROJECT}/{demo.REPO}"
    for scope, status in (
        (f"repository:{name}:pull", 200),
        (f"repository:{name}:pull,push", 400),
        (f"repository:{demo.PROJECT}/no-such-repo:pull", 400),
    ):
        r = client.get(f"{BASE}/v2/token", params={"scope": scope}, auth=("_json_key", reader_key))
        assert r.status_code == status, scope


# 5 and 7. Accept headers: a digest fetch is never rewritten; what is refused ------------------------


def store_docker_list(fake) -> tuple[str, str]:
    """A Docker manifest list over amd64 and arm64 (Docker schema 2 images), tagged `dlist`."""
    amd = images.build_image({"a": b"amd64\n"}, oci=False)
    arm = images.build_image({"a": b"arm64\n"}, oci=False, architecture="arm64")
    for built in (amd, arm):
        images.store(fake.state, RESOURCE, "hello", built.digest, built)
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": images.DOCKER_LIST,
            "manifests": [
                {
                    "mediaType": b.media_type,
                    "digest": b.digest,
                    "size": len(b.manifest),
                    "platform": {"architecture": a, "os": "linux"},
                }
                for b, a in ((amd, "amd64"), (arm, "arm64"))
            ],
        }
    ).encode()
    return fake.state.put_manifest(RESOURCE, "hello", "dlist", body, images.DOCKER_LIST), amd.digest


def test_a_docker_list_is_rewritten_by_tag_but_never_by_digest(fake, client, reader_key):
    list_digest, amd_digest = store_docker_list(fake)
    headers = {**token(client, reader_key, f"repository:{IMAGE}:pull"), "Accept": images.DOCKER_MANIFEST}
    by_tag = client.get(f"{BASE}/v2/{IMAGE}/manifests/dlist", headers=headers)
    assert by_tag.status_code == 200 and by_tag.headers["docker-content-digest"] == amd_digest
    by_digest = client.get(f"{BASE}/v2/{IMAGE}/manifests/{list_digest}", headers=headers)
    assert by_digest.headers["docker-content-digest"] == list_digest
    assert "sha256:" + hashlib.sha256(by_digest.content).hexdigest() == list_digest


def test_an_oci_index_by_digest_with_a_docker_only_accept_is_refused_not_rewritten(fake, client, reader_key):
    index_digest = fake.state.get_manifest(RESOURCE, "hello", "multi")[0]
    accept = f"{images.DOCKER_MANIFEST}, {images.DOCKER_LIST}"
    headers = {**token(client, reader_key, f"repository:{IMAGE}:pull"), "Accept": accept}
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/{index_digest}", headers=headers)
    assert r.status_code == 404
    assert errors_of(r)[0]["message"] == "OCI index found, but accept header does not support OCI indexes"
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers)
    assert (
        errors_of(r)[0]["message"] == "OCI manifest found, but accept header does not support OCI manifests"
    )


def test_no_accept_or_a_wildcard_gets_what_is_stored(fake, client, reader_key):
    index_digest = fake.state.get_manifest(RESOURCE, "hello", "multi")[0]
    headers = token(client, reader_key, f"repository:{IMAGE}:pull")
    for accept in (None, "*/*"):
        h = {**headers, **({"Accept": accept} if accept else {})}
        r = client.get(f"{BASE}/v2/{IMAGE}/manifests/multi", headers=h)
        assert r.headers["docker-content-digest"] == index_digest


# 6. Blob GETs redirect; who sends Authorization on ---------------------------------------------------


def downloads(fake, at_least: int = 1) -> list[dict]:
    """The logged download requests (the log line is written just after the answer: wait for it)."""
    deadline = time.monotonic() + 5
    while True:
        found = [r for r in fake.log.records if r["path"].startswith("/artifacts-downloads/")]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def layer_digest(fake) -> str:
    manifest = json.loads(fake.state.get_manifest(RESOURCE, "hello", "1.0")[2])
    return manifest["layers"][0]["digest"]


def test_a_blob_get_redirects_and_the_download_needs_no_credential(fake, client, reader_key):
    digest = layer_digest(fake)
    r = client.get(f"{BASE}/v2/{IMAGE}/blobs/{digest}", auth=("_json_key", reader_key))
    location = r.headers["location"]
    assert r.status_code == 302 and r.content == b""
    assert location.startswith(
        f"/artifacts-downloads/namespaces/{demo.PROJECT}/repositories/{demo.REPO}/downloads/"
    )
    blob = client.get(f"{BASE}{location}")  # no Authorization at all
    assert "sha256:" + hashlib.sha256(blob.content).hexdigest() == digest
    forged = location[:-4] + ("AAAA" if not location.endswith("AAAA") else "BBBB")
    assert client.get(f"{BASE}{forged}").status_code == 403


def test_python_clients_send_authorization_on_after_the_redirect(fake, client, reader_key):
    """requests and httpx keep Authorization on a redirect to the same host (they drop it only
    when the host changes), so the download request carries the credential it does not need."""
    url = f"{BASE}/v2/{IMAGE}/blobs/{layer_digest(fake)}"
    with fake.requests_session() as session:
        assert session.get(url, auth=("_json_key", reader_key)).status_code == 200
    assert isinstance(session, requests.Session)
    assert downloads(fake, 1)[-1]["auth"] == "basic"
    assert client.get(url, auth=("_json_key", reader_key), follow_redirects=True).status_code == 200
    assert downloads(fake, 2)[-1]["auth"] == "basic"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_without_location_gets_an_empty_302_and_with_it_sends_authorization_on(
    fake, reader_key, tmp_path
):
    url = f"{BASE}/v2/{IMAGE}/blobs/{layer_digest(fake)}"
    config = tmp_path / "curl.conf"  # the password stays out of argv
    escaped = ("_json_key:" + reader_key).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    config.write_text(f'user = "{escaped}"\n')
    base = ["curl", "-s", "--cacert", fake.ca, "--connect-to", f"{REGISTRY}:443:127.0.0.1:{fake.port}"]
    base += ["-K", str(config), "-o", str(tmp_path / "out"), "-w", "%{http_code}"]
    plain = subprocess.run([*base, url], capture_output=True, text=True, timeout=60)
    assert plain.stdout == "302" and (tmp_path / "out").read_bytes() == b""
    follow = subprocess.run([*base, "-L", url], capture_output=True, text=True, timeout=60)
    assert follow.stdout == "200"
    assert downloads(fake)[-1]["auth"] == "basic"  # curl drops it only when the host changes


# 8. Cross-repository blob mount ---------------------------------------------------------------------


def test_a_two_scope_token_request_grants_the_part_allowed(fake, client):
    """writer may push demo-repo but not read demo-eu: the extra (mount source) scope is dropped."""
    writer = fake.key_text("writer")
    source = f"{demo.PROJECT}/{demo.EU_REPO}/hello"
    r = client.get(
        f"https://{REGISTRY}/v2/token",
        params={"scope": [f"repository:{IMAGE}:pull,push", f"repository:{source}:pull"]},
        auth=("_json_key", writer),
    )
    assert r.status_code == 200
    denied = client.get(
        f"https://{REGISTRY}/v2/token",
        params={"scope": [f"repository:{source}:pull", f"repository:{IMAGE}:pull,push"]},
        auth=("_json_key", writer),
    )
    assert denied.status_code == 403  # the first scope is the request's own: refused as before


def test_a_mount_from_an_unreadable_repository_falls_back_to_an_upload(fake, client):
    writer = fake.key_text("writer")
    headers = token(client, writer, f"repository:{IMAGE}:pull,push")
    eu = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.EU_REPO}"
    fake.state.add_repository(demo.PROJECT, demo.LOCATION, demo.EU_REPO)
    digest = fake.state.put_blob(eu, b"only in the other repository\n")
    r = client.post(
        f"{BASE}/v2/{demo.PROJECT}/{demo.REPO}/mounted/blobs/uploads/",
        params={"mount": digest, "from": f"{demo.PROJECT}/{demo.EU_REPO}/x"},
        headers=headers,
    )
    assert r.status_code == 202  # no mount: an upload session, as the distribution spec says


# skopeo and podman, in the sandbox: the redirect, Authorization after it, and a mount ---------------


AVAILABLE, WHY_NOT = sandbox.available()


@pytest.mark.sandbox
@pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}")
@pytest.mark.skipif(
    not (shutil.which("skopeo") and shutil.which("podman")), reason="skopeo and podman needed"
)
def test_skopeo_and_podman_follow_the_redirect_and_mount(workdir):
    state = State.load(workdir)  # a second repository the writer may push to
    second = state.add_repository(demo.PROJECT, demo.LOCATION, "second")
    state.grant(second, WRITER, f"serviceAccount:{demo.email('writer')}")
    state.save(workdir)
    script = f"""set -e
    R=$(python3 -c 'import json,sys; print(open("keys/reader.json").read())')
    W=$(cat keys/writer.json)
    skopeo copy --quiet --src-creds "_json_key:$R" docker://{REGISTRY}/{IMAGE}:1.0 dir:pulled
    skopeo copy --quiet --src-creds "_json_key:$W" --dest-creds "_json_key:$W" \\
        docker://{REGISTRY}/{IMAGE}:1.0 docker://{REGISTRY}/{demo.PROJECT}/second/hello:1.0
    printf %s "$R" | podman login --username _json_key --password-stdin {REGISTRY} >/dev/null
    podman pull --quiet {REGISTRY}/{IMAGE}:1.0 >/dev/null
    """
    proc = sandbox.run(["sh", "-c", script], workdir, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line) for line in (workdir / "requests.log").read_text().splitlines()]
    fetched = {
        r["user_agent"].split("/")[0]: r["auth"]
        for r in records
        if r["path"].startswith("/artifacts-downloads/")
    }
    # Go's HTTP client keeps Authorization on a redirect to the same host (podman's requests
    # say "containers/..." as their User-Agent).
    assert fetched.get("skopeo") == "bearer" and fetched.get("containers") == "bearer", fetched
    assert any(r.get("outcome") == "mounted" for r in records)

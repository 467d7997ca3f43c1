"""Real Python registry clients (oras-py 0.2.43, python-dxf 12.1.1) against the fake, in-process,
with the real hostnames routed to it and TLS verified against the fake's CA."""

from __future__ import annotations

import base64
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import oras.client
import pytest
from dxf import DXF
from dxf.exceptions import DXFUnauthorizedError
from requests.exceptions import HTTPError

from garauth.fake import demo
from garauth.fake.state import Principal

from .conftest import IMAGE, REGISTRY

REPO_PATH = IMAGE


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def credentials(fake, kind: str, account: str = "reader") -> tuple[str, str]:
    key = fake.key_text(account)
    if kind == "_json_key":
        return "_json_key", key
    if kind == "_json_key_base64":
        return "_json_key_base64", base64.b64encode(key.encode()).decode()
    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email(account)))
    return kind, token


def dxf_client(fake, username: str, password: str, host: str = REGISTRY, repo: str = REPO_PATH) -> DXF:
    return DXF(
        host, repo, auth=lambda d, r: d.authenticate(username, password, response=r), tlsverify=fake.ca
    )


def dxf_pull(client: DXF, tag: str = "1.0") -> str:
    """Pull manifest and every blob; return the manifest digest. pull_blob checks blob digests."""
    manifest_text, response = client.get_manifest_and_response(tag)
    digest = response.headers["Docker-Content-Digest"]
    assert sha256(manifest_text.encode()) == digest
    manifest = json.loads(manifest_text)
    for desc in [manifest["config"], *manifest["layers"]]:
        data = b"".join(client.pull_blob(desc["digest"]))
        assert sha256(data) == desc["digest"]
    return digest


def expected_digest(fake, tag: str = "1.0") -> str:
    resource = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"
    return fake.state.get_manifest(resource, "hello", tag)[0]


@pytest.mark.parametrize("kind", ["_json_key", "_json_key_base64", "oauth2accesstoken"])
def test_python_dxf_pull(fake, kind):
    username, password = credentials(fake, kind)
    assert dxf_pull(dxf_client(fake, username, password)) == expected_digest(fake)


@pytest.mark.parametrize("kind", ["_json_key", "_json_key_base64", "oauth2accesstoken"])
def test_oras_pull(fake, tmp_path, kind):
    username, password = credentials(fake, kind)
    client = oras.client.OrasClient(hostname=REGISTRY, tls_verify=fake.ca)
    client.auth.set_basic_auth(username, password)
    manifest = client.get_manifest(f"{REGISTRY}/{REPO_PATH}:1.0")
    layer = manifest["layers"][0]["digest"]
    files = client.pull(target=f"{REGISTRY}/{REPO_PATH}:1.0", outdir=str(tmp_path))
    assert files
    pulled = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(sha256(p.read_bytes()) == layer for p in pulled)


def test_oras_pull_from_gcr_io(fake, tmp_path):
    client = oras.client.OrasClient(hostname="gcr.io", tls_verify=fake.ca)
    client.auth.set_basic_auth("_json_key", fake.key_text("reader"))
    manifest = client.get_manifest(f"gcr.io/{demo.PROJECT}/hello:1.0")
    assert manifest["schemaVersion"] == 2


def test_dxf_refusals(fake):
    cases = [
        ("_json_key", fake.key_text("outsider"), 403),
        ("_json_key", base64.b64encode(fake.key_text("reader").encode()).decode(), 401),
        ("_json_key_base64", fake.key_text("reader"), 401),
        ("_dcgcr__token", "ya29.whatever", 401),
    ]
    for username, password, status in cases:
        with pytest.raises((HTTPError, DXFUnauthorizedError)) as info:
            dxf_pull(dxf_client(fake, username, password))
        if status == 401:  # python-dxf turns a 401 into its own exception
            assert isinstance(info.value, DXFUnauthorizedError)
        else:
            assert info.value.response.status_code == status


def test_dxf_wrong_location_is_denied(fake):
    with pytest.raises(HTTPError) as info:
        dxf_pull(dxf_client(fake, "_json_key", fake.key_text("reader"), host="europe-west1-docker.pkg.dev"))
    assert info.value.response.status_code == 403
    assert "locations/europe-west1/repositories/demo-repo" in info.value.response.text


def test_32_parallel_pulls(fake):
    key = fake.key_text("reader")
    want = expected_digest(fake)

    def pull(i: int) -> str:
        username, password = (
            ("_json_key", key) if i % 2 else ("_json_key_base64", base64.b64encode(key.encode()).decode())
        )
        return dxf_pull(dxf_client(fake, username, password))

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(pull, range(32)))
    assert results == [want] * 32


def test_dxf_push_by_writer_and_refused_for_reader(fake, tmp_path):
    writer = dxf_client(fake, "_json_key", fake.key_text("writer"), repo=f"{demo.PROJECT}/{demo.REPO}/pushed")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"pushed by python-dxf\n" * 1000)
    digest = writer.push_blob(str(blob))
    assert digest == sha256(blob.read_bytes())
    assert b"".join(writer.pull_blob(digest)) == blob.read_bytes()
    chunked = writer.push_blob(
        data=iter([b"a" * 5000, b"b" * 5000]), digest=sha256(b"a" * 5000 + b"b" * 5000)
    )
    assert chunked == sha256(b"a" * 5000 + b"b" * 5000)

    reader = dxf_client(fake, "_json_key", fake.key_text("reader"), repo=f"{demo.PROJECT}/{demo.REPO}/pushed")
    with pytest.raises(HTTPError) as info:
        reader.push_blob(str(blob), check_exists=False)
    assert info.value.response.status_code == 403
    assert "artifactregistry.repositories.uploadArtifacts" in info.value.response.text


def test_oras_push_by_writer(fake, tmp_path):
    artifact = tmp_path / "artifact.txt"
    artifact.write_text("pushed by oras-py\n")
    client = oras.client.OrasClient(hostname=REGISTRY, tls_verify=fake.ca)
    client.auth.set_basic_auth("_json_key", fake.key_text("writer"))
    target = f"{REGISTRY}/{demo.PROJECT}/{demo.REPO}/oras-artifact:v1"
    response = client.push(target=target, files=[str(artifact)], disable_path_validation=True)
    assert response.status_code in (200, 201)
    out = tmp_path / "out"
    client.pull(target=target, outdir=str(out))
    assert (out / "artifact.txt").read_text() == "pushed by oras-py\n"

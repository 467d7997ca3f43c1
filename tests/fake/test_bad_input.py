"""The fake under bad input: malformed credentials, headers, queries and manifests each get a 4xx
(the one AR gives where it is known, else the choice in the fidelity table), never a 500; bodies
are refused before they are read; the state survives SIGKILL; files get explicit modes.

Raw requests (`garauth.fake.testing.raw_request`) carry bytes no HTTP library would send."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import stat

import httpx
import pytest

from garauth import data
from garauth.fake import demo, images
from garauth.fake.state import State
from garauth.fake.testing import fake_process, raw_request, route, start_fake_process

from .conftest import IMAGE, REGISTRY

RESOURCE = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"
MIB = 1 << 20


def b64(raw: bytes) -> bytes:
    return base64.b64encode(raw)


def malformed_authorizations() -> list[bytes]:
    """Authorization values: garbage, not base64, base64 of non-UTF-8 or of no colon, keys that
    are not JSON (deep nesting, a 5,000-digit number), wrong types, random bytes."""
    fixed = [
        b"Bearer",
        b"Bearer \x80\xff\xfe",
        b"Bearer " + b"A" * 8000,
        b"bearer ya29.not-a-token",
        b"Basic",
        b"Basic !!!not base64!!!",
        b"Basic ====",
        b"Basic a",
        b"Basic \xc3\xa9\xff",
        b"Basic " + b64(b"\xff\xfe:\x80\x81"),
        b"Basic " + b64(b"no colon at all"),
        b"Basic " + b64(b":"),
        b"Basic " + b64(b"_json_key:"),
        b"Basic " + b64(b"_json_key:" + b"1" * 5000),
        b"Basic " + b64(b"_json_key:" + b"[" * 50000),
        b"Basic " + b64(b'_json_key:{"type": "service_account", "private_key_id": [1], "client_email": {}}'),
        b"Basic " + b64(b'_json_key:{"type": "service_account", "private_key_id": null, "private_key": 5}'),
        b"Basic " + b64(b"_json_key:\xff\xfe"),
        b"Basic " + b64(b"_json_key_base64:" + b64(b"9" * 5000)),
        b"Basic " + b64(b"_json_key_base64:" + b64(b"\xff\xfe\xfd")),
        b"Basic " + b64(b"_json_key_base64:%%%"),
        b"Basic " + b64(b"oauth2accesstoken:" + "\u00e9\u2603".encode()),
        b"Basic " + b64(b"_dcgcr__token:ya29.x"),
        b"Basic " + b64("\u2603:\u2603".encode()),
        b"Digest username=x",
        b"Negotiate " + b64(os.urandom(30)),
    ]
    rng = random.Random(7)
    fuzz = [bytes(rng.randrange(0x21, 0x100) for _ in range(rng.randrange(1, 60))) for _ in range(15)]
    fuzz += [
        b"Basic " + b64(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))) for _ in range(15)
    ]
    return fixed + fuzz


REQUESTS = [
    ("GET", "/v2/"),
    ("GET", f"/v2/token?scope=repository:{IMAGE}:pull&service={REGISTRY}"),
    ("GET", f"/v2/token?scope=repository:{IMAGE}:pull,push&scope=bogus&scope=repository::"),
    ("GET", f"/v2/{IMAGE}/manifests/1.0"),
    ("HEAD", f"/v2/{IMAGE}/manifests/1.0"),
    ("GET", f"/v2/{IMAGE}/blobs/sha256:{'0' * 64}"),
    ("GET", f"/v2/{IMAGE}/tags/list"),
    ("POST", f"/v2/{IMAGE}/blobs/uploads/"),
    ("PUT", f"/v2/{IMAGE}/manifests/x"),
]


def assert_no_failure(fake) -> None:
    """Every request the fake logged got an answer below 500."""
    bad = [(r["method"], r["path"], r["status"]) for r in fake.log.records if not 0 < r["status"] < 500]
    assert bad == []


def test_malformed_authorization_gets_a_4xx_never_a_500(fake):
    for value in malformed_authorizations():
        for method, path in REQUESTS:
            answer = raw_request(fake.port, REGISTRY, method, path, [(b"Authorization", value)], ca=fake.ca)
            assert 400 <= answer.status < 500, (method, path, answer.status)
        answer = raw_request(
            fake.port,
            data.endpoints()["iamcredentials"],
            "POST",
            f"/v1/projects/-/serviceAccounts/{demo.email('reader')}:generateAccessToken",
            [(b"Authorization", value)],
            body=b"{}",
            ca=fake.ca,
        )
        assert answer.status in (400, 401), answer.status
    assert_no_failure(fake)


def test_malformed_basic_credentials_get_ars_texts(fake):
    cases = {
        b"Basic !!!": "No valid credential was supplied.",
        b"Basic " + b64(b"\xff\xfe:\x80"): "No valid credential was supplied.",
        b"Basic " + b64(b"_json_key:" + b"1" * 5000): "Unable to parse json key.",
        b"Basic " + b64(b"_json_key_base64:" + b64(b"\xff\xfe")): "Unable to parse json key.",
    }
    for value, message in cases.items():
        answer = raw_request(
            fake.port,
            REGISTRY,
            "GET",
            f"/v2/token?scope=repository:{IMAGE}:pull",
            [(b"Authorization", value)],
            ca=fake.ca,
        )
        assert answer.status == 401 and answer.json()["errors"][0]["message"] == message


@pytest.fixture
def reader_headers(client, reader_key) -> dict:
    r = client.get(
        f"https://{REGISTRY}/v2/token",
        params={"scope": f"repository:{IMAGE}:pull"},
        auth=("_json_key", reader_key),
    )
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_tags_list_n_zero_is_an_empty_page(client, reader_headers):
    r = client.get(f"https://{REGISTRY}/v2/{IMAGE}/tags/list?n=0", headers=reader_headers)
    assert r.status_code == 200 and r.json()["tags"] == []
    assert "link" not in r.headers


@pytest.mark.parametrize("n", ["-1", "abc", "1.5", "9" * 5000, "99999999999999999999", "\u0661"])
def test_tags_list_bad_n_is_pagination_number_invalid(client, reader_headers, n):
    r = client.get(f"https://{REGISTRY}/v2/{IMAGE}/tags/list", params={"n": n}, headers=reader_headers)
    assert r.status_code == 400
    assert r.json() == {
        "errors": [{"code": "PAGINATION_NUMBER_INVALID", "message": "invalid number of results requested"}]
    }


@pytest.mark.parametrize(
    "value", ["bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 30, "bytes=5-2", "pages=1-2"]
)
def test_bad_ranges_are_416(client, reader_headers, value):
    layer = client.get(f"https://{REGISTRY}/v2/{IMAGE}/manifests/1.0", headers=reader_headers).json()[
        "layers"
    ][0]
    r = client.get(
        f"https://{REGISTRY}/v2/{IMAGE}/blobs/{layer['digest']}",
        headers={**reader_headers, "Range": value},
        follow_redirects=True,
    )
    assert r.status_code == 416


def writer_headers(client, fake) -> dict:
    r = client.get(
        f"https://{REGISTRY}/v2/token",
        params={"scope": f"repository:{IMAGE}:pull,push"},
        auth=("_json_key", fake.key_text("writer")),
    )
    return {"Authorization": f"Bearer {r.json()['token']}"}


def descriptor(content: bytes, media_type: str = images.OCI_LAYER) -> dict:
    return {
        "mediaType": media_type,
        "digest": "sha256:" + hashlib.sha256(content).hexdigest(),
        "size": len(content),
    }


def malformed_manifests(config: bytes) -> list[tuple[bytes, str]]:
    oci, index = images.OCI_MANIFEST, images.OCI_INDEX
    good = {
        "schemaVersion": 2,
        "mediaType": oci,
        "config": descriptor(config, images.OCI_CONFIG),
        "layers": [],
    }

    def j(doc) -> bytes:
        return json.dumps(doc).encode()

    return [
        (b"", oci),
        (b"\xff\xfe", oci),
        (b"[]", oci),
        (b"null", oci),
        (b"1" * 5000, oci),
        (b"[" * 100000, oci),
        (b'{"schemaVersion": 2, "x": ' + b"1" * 5000 + b"}", oci),
        (j({**good, "schemaVersion": 1}), oci),
        (j({**good, "schemaVersion": True}), oci),
        (j({**good, "mediaType": 5}), oci),
        (j({**good, "mediaType": index}), oci),
        (j(good), "application/json"),
        (j(good), "text/plain"),
        (j({k: v for k, v in good.items() if k != "config"}), oci),
        (j({**good, "config": []}), oci),
        (j({**good, "config": {"digest": []}}), oci),
        (j({**good, "config": {**good["config"], "digest": "not a digest"}}), oci),
        (j({**good, "config": {**good["config"], "size": -1}}), oci),
        (j({**good, "config": {**good["config"], "size": "12"}}), oci),
        (j({**good, "layers": {}}), oci),
        (j({**good, "layers": [1]}), oci),
        (j({**good, "layers": [{"digest": 5}]}), oci),
        (j({"schemaVersion": 2, "mediaType": index}), index),
        (j({"schemaVersion": 2, "mediaType": index, "manifests": 5}), index),
        (j({"schemaVersion": 2, "mediaType": index, "manifests": [5]}), index),
        (j({"schemaVersion": 2, "mediaType": index, "manifests": [{"digest": "x"}]}), index),
        (j({"schemaVersion": 2, "mediaType": images.DOCKER_LIST}), images.DOCKER_LIST),
    ]


def test_malformed_manifests_are_manifest_invalid(fake, client):
    headers = writer_headers(client, fake)
    config = b"{}"
    client.post(
        f"https://{REGISTRY}/v2/{IMAGE}/blobs/uploads/",
        params={"digest": descriptor(config)["digest"]},
        content=config,
        headers=headers,
    )
    for body, content_type in malformed_manifests(config):
        r = client.put(
            f"https://{REGISTRY}/v2/{IMAGE}/manifests/bad",
            content=body,
            headers={**headers, "Content-Type": content_type},
        )
        assert r.status_code == 400, (body[:60], content_type, r.status_code)
        assert r.json() == {"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid"}]}
    assert client.get(f"https://{REGISTRY}/v2/{IMAGE}/manifests/bad", headers=headers).status_code == 404
    assert_no_failure(fake)


def test_a_bad_tag_is_tag_invalid(fake, client):
    headers = writer_headers(client, fake)
    built = images.build_image({"a": b"a"})
    for blob in built.blobs:
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        client.post(
            f"https://{REGISTRY}/v2/{IMAGE}/blobs/uploads/",
            params={"digest": digest},
            content=blob,
            headers=headers,
        )
    r = client.put(
        f"https://{REGISTRY}/v2/{IMAGE}/manifests/.bad",
        content=built.manifest,
        headers={**headers, "Content-Type": built.media_type},
    )
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "TAG_INVALID"


def test_an_upload_with_a_malformed_digest_or_range(fake, client):
    headers = writer_headers(client, fake)
    base = f"https://{REGISTRY}/v2/{IMAGE}/blobs/uploads/"
    r = client.post(base, params={"digest": "sha256:" + "9" * 5000}, content=b"x", headers=headers)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    location = client.post(base, headers=headers).headers["location"]
    for value in ("0-" + "9" * 5000, "5-9", "x-y", "3-1"):
        r = client.patch(location, content=b"abc", headers={**headers, "Content-Range": value})
        assert r.status_code in (404, 416), value
        location = client.post(base, headers=headers).headers["location"]
    assert_no_failure(fake)


# --- bodies: refused before they are read ---------------------------------------------------------

GIB = 1 << 30


def big_body(total: int):
    """Chunks of zeros adding up to `total` bytes (generated, never held whole)."""
    chunk = bytes(MIB)
    for _ in range(total // MIB):
        yield chunk


def oversized_requests(fake) -> list[tuple[str, str, str, list, int, int]]:
    """(host, method, path, headers, declared length, expected status)."""
    ep = data.endpoints()
    sa_path = f"/v1/projects/-/serviceAccounts/{demo.email('reader')}:generateAccessToken"
    form = [(b"Content-Type", b"application/x-www-form-urlencoded")]
    return [
        (REGISTRY, "POST", f"/v2/{IMAGE}/blobs/uploads/?digest=sha256:{'0' * 64}", [], 512 * MIB, 401),
        (REGISTRY, "PUT", f"/v2/{IMAGE}/manifests/big", [], 256 * MIB, 401),
        (REGISTRY, "PATCH", f"/v2/{IMAGE}/blobs/uploads/abc", [], 256 * MIB, 401),
        (ep["oauth2"], "POST", "/token", form, GIB, 413),
        (ep["sts"], "POST", "/v1/token", form, GIB, 413),
        (ep["iamcredentials"], "POST", sa_path, [], GIB, 401),
    ]


def test_oversized_bodies_are_refused_before_they_are_read(fake):
    for host, method, path, headers, length, status in oversized_requests(fake):
        answer = raw_request(
            fake.port, host, method, path, headers, big_body(length), ca=fake.ca, length=length
        )
        assert answer.status == status, (host, path, answer.status)
        assert answer.headers.get("connection") == "close"
        assert answer.sent < 64 * MIB, (host, path, answer.sent)  # a few socket buffers, not the body


def test_oversized_bodies_from_callers_who_may_send_them(fake, client):
    """A caller allowed to send still gets a cap: a 5 MiB manifest, a chunked form past 64 KiB,
    an IAM request body past 64 KiB."""
    headers = writer_headers(client, fake)
    auth = [(b"Authorization", headers["Authorization"].encode())]
    answer = raw_request(
        fake.port,
        REGISTRY,
        "PUT",
        f"/v2/{IMAGE}/manifests/big",
        auth,
        big_body(5 * MIB),
        ca=fake.ca,
        length=5 * MIB,
    )
    assert answer.status == 400 and answer.json()["errors"][0]["code"] == "MANIFEST_INVALID"
    answer = raw_request(
        fake.port,
        data.endpoints()["oauth2"],
        "POST",
        "/token",
        [],
        big_body(8 * MIB),
        ca=fake.ca,
        length=None,
    )
    assert answer.status == 413 and answer.json()["error"] == "invalid_request"
    from garauth.fake.state import Principal

    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email("outsider")))
    fake.state.grant(
        fake.state.service_account_resource(demo.email("reader")),
        "roles/iam.serviceAccountTokenCreator",
        f"serviceAccount:{demo.email('outsider')}",
    )
    answer = raw_request(
        fake.port,
        data.endpoints()["iamcredentials"],
        "POST",
        f"/v1/projects/-/serviceAccounts/{demo.email('reader')}:generateAccessToken",
        [(b"Authorization", b"Bearer " + token.encode())],
        big_body(2 * MIB),
        ca=fake.ca,
        length=2 * MIB,
    )
    assert answer.status == 413


# --- the fake as a process: memory, kill -9, modes, file limit ---------------------------------------


def pull_hello(fake, key: str) -> str:
    """Pull hello:1.0 (manifest and every blob, digests checked); return the manifest digest."""
    import ssl

    with (
        route(data.all_hosts(), fake.port),
        httpx.Client(verify=ssl.create_default_context(cafile=fake.ca), timeout=30) as c,
    ):
        r = c.get(f"https://{REGISTRY}/v2/{IMAGE}/manifests/1.0", auth=("_json_key", key))
        assert r.status_code == 200
        digest = "sha256:" + hashlib.sha256(r.content).hexdigest()
        assert digest == r.headers["docker-content-digest"]
        for desc in [r.json()["config"], *r.json()["layers"]]:
            blob = c.get(
                f"https://{REGISTRY}/v2/{IMAGE}/blobs/{desc['digest']}",
                auth=("_json_key", key),
                follow_redirects=True,
            )
            assert "sha256:" + hashlib.sha256(blob.content).hexdigest() == desc["digest"]
        return digest


def test_memory_stays_bounded_under_malformed_and_oversized_input(workdir):
    with fake_process(workdir) as fake:
        before = fake.rss_mib()
        for value in malformed_authorizations()[:40]:
            for method, path in REQUESTS:
                raw_request(fake.port, REGISTRY, method, path, [(b"Authorization", value)], ca=fake.ca)
        for host, method, path, headers, length, status in oversized_requests(fake):
            answer = raw_request(
                fake.port, host, method, path, headers, big_body(length), ca=fake.ca, length=length
            )
            assert answer.status == status
        pull_hello(fake, fake.key_text("reader"))
        peak = fake.peak_rss_mib()
        assert fake.proc.poll() is None
    # Bounded: the bodies (2.5 GiB declared in all) never reached memory.
    assert peak - before < 64, f"peak RSS {peak:.0f} MiB, {before:.0f} MiB after start"


def push_blob(c, headers: dict, content: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    r = c.post(
        f"https://{REGISTRY}/v2/{IMAGE}/blobs/uploads/",
        params={"digest": digest},
        content=content,
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return digest


def test_every_acknowledged_push_survives_kill_9(workdir):
    import ssl

    built = images.build_image({"survives.txt": os.urandom(3 * MIB)})  # spilled to disk on upload
    fake = start_fake_process(workdir)
    with (
        route(data.all_hosts(), fake.port),
        httpx.Client(verify=ssl.create_default_context(cafile=fake.ca), timeout=30) as c,
    ):
        headers = {"Authorization": "Basic " + b64(b"_json_key:" + fake.key_text("writer").encode()).decode()}
        for blob in built.blobs:
            push_blob(c, headers, blob)
        r = c.put(
            f"https://{REGISTRY}/v2/{IMAGE}/manifests/survivor",
            content=built.manifest,
            headers={**headers, "Content-Type": built.media_type},
        )
        assert r.status_code == 201
        # and an upload cut short: half a blob, never finished
        location = c.post(f"https://{REGISTRY}/v2/{IMAGE}/blobs/uploads/", headers=headers).headers[
            "location"
        ]
        c.patch(location, content=os.urandom(2 * MIB), headers=headers)
    fake.kill()

    state = State.load(workdir)
    assert state.get_manifest(RESOURCE, "hello", "survivor")[0] == built.digest
    blob_dir = workdir / "blobs" / "sha256"
    for path in blob_dir.iterdir():  # only whole blobs, each under its own digest
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    with fake_process(workdir) as again:
        assert pull_hello(again, again.key_text("reader"))
        assert list((workdir / "uploads").iterdir()) == []  # the cut upload was cleared


def test_files_get_explicit_modes_whatever_the_umask(tmp_path):
    workdir = tmp_path / "w"
    with fake_process(workdir, umask=0) as fake:
        pull_hello(fake, fake.key_text("reader"))
    modes = {
        "": 0o755,
        "state.json": 0o600,
        "tokens.jsonl": 0o600,
        "keys": 0o700,
        "keys/reader.json": 0o600,
        "tls": 0o700,
        "tls/server.pem": 0o600,
        "ca.pem": 0o644,
        "requests.log": 0o644,
        "blobs": 0o755,
        "blobs/sha256": 0o755,
        "uploads": 0o700,
        "oidc-issuer-key.pem": 0o600,
    }
    got = {name: stat.S_IMODE((workdir / name).stat().st_mode) for name in modes}
    assert got == modes
    assert {stat.S_IMODE(p.stat().st_mode) for p in (workdir / "blobs" / "sha256").iterdir()} == {0o644}


def test_the_open_file_limit_is_raised_to_the_hard_limit(workdir):
    with fake_process(workdir) as fake:
        soft, hard = fake.file_limits()
    assert soft == hard

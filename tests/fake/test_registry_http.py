"""The registry API over HTTPS with httpx: statuses, headers and exact error bodies."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json

import pytest

from garauth.fake import demo, images
from garauth.fake.state import Principal

from .conftest import IMAGE, REGISTRY

BASE = f"https://{REGISTRY}"
RESOURCE = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"


def errors_of(response) -> list[dict]:
    return response.json()["errors"]


def token_for(
    client, user: str, password: str, scope: str = f"repository:{IMAGE}:pull", host: str = REGISTRY
):
    return client.get(
        f"https://{host}/v2/token", params={"scope": scope, "service": host}, auth=(user, password)
    )


def bearer(client, key: str, scope: str = f"repository:{IMAGE}:pull") -> dict:
    response = token_for(client, "_json_key", key, scope)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


# --- challenge ---------------------------------------------------------------------------------


def test_ping_without_credentials_is_a_realm_only_challenge(client):
    r = client.get(f"{BASE}/v2/")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == f'Bearer realm="https://{REGISTRY}/v2/token"'
    assert r.headers["docker-distribution-api-version"] == "registry/2.0"
    assert r.json() == {
        "errors": [{"code": "UNAUTHORIZED", "message": "not authenticated: No credential was supplied."}]
    }


def test_realm_follows_the_host(client):
    for host in ("gcr.io", "europe-docker.pkg.dev", f"docker.{demo.LOCATION}.rep.pkg.dev"):
        r = client.get(f"https://{host}/v2/")
        assert r.headers["www-authenticate"] == f'Bearer realm="https://{host}/v2/token"'


def test_repository_challenge_has_service_and_scope(client):
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        f'Bearer realm="https://{REGISTRY}/v2/token",service="{REGISTRY}",scope="repository:{IMAGE}:pull"'
    )


def test_ping_with_valid_basic_credentials_is_ok(client, reader_key):
    assert client.get(f"{BASE}/v2/", auth=("_json_key", reader_key)).status_code == 200


# --- token endpoint: usernames -----------------------------------------------------------------


def test_token_with_json_key(client, reader_key):
    r = token_for(client, "_json_key", reader_key)
    assert r.status_code == 200
    assert r.json()["token"] and r.json()["expires_in"] > 0


def test_token_with_json_key_base64(client, reader_key):
    r = token_for(client, "_json_key_base64", base64.b64encode(reader_key.encode()).decode())
    assert r.status_code == 200


@pytest.mark.parametrize(
    "username", ["oauth2accesstoken", "_token", "_dcgcloud_token", "_dcgcr_2_1_22_token"]
)
def test_token_with_access_token_usernames(fake, client, username):
    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email("reader")))
    assert token_for(client, username, token).status_code == 200


@pytest.mark.parametrize("username", ["_dcgcr__token", "_json_keyfile", "oauth2", "reader", "_JSON_KEY"])
def test_token_with_other_usernames_is_refused(fake, client, username, reader_key):
    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email("reader")))
    r = token_for(client, username, token)
    assert r.status_code == 401
    assert r.json() == {"errors": [{"code": "UNAUTHORIZED", "message": "No valid credential was supplied."}]}


def test_token_without_service_param_or_with_empty_service(client, reader_key):
    scope = f"repository:{IMAGE}:pull"
    assert (
        client.get(f"{BASE}/v2/token", params={"scope": scope}, auth=("_json_key", reader_key)).status_code
        == 200
    )
    r = client.get(f"{BASE}/v2/token", params={"scope": scope, "service": ""}, auth=("_json_key", reader_key))
    assert r.status_code == 200


def test_base64_key_sent_as_json_key_cannot_be_parsed(client, reader_key):
    r = token_for(client, "_json_key", base64.b64encode(reader_key.encode()).decode())
    assert r.status_code == 401
    assert r.json() == {"errors": [{"code": "UNKNOWN", "message": "Unable to parse json key."}]}


def test_raw_key_sent_as_json_key_base64_cannot_be_parsed(client, reader_key):
    r = token_for(client, "_json_key_base64", reader_key)
    assert r.status_code == 401
    assert errors_of(r) == [{"code": "UNKNOWN", "message": "Unable to parse json key."}]


def test_quoted_key_cannot_be_parsed(client, reader_key):
    r = token_for(client, "_json_key", f"'{reader_key}'")
    assert errors_of(r)[0]["message"] == "Unable to parse json key."


def test_bogus_access_token_fails_authentication(client):
    r = token_for(client, "oauth2accesstoken", "ya29.not-a-token")
    assert r.status_code == 401
    assert errors_of(r) == [{"code": "UNAUTHORIZED", "message": "authentication failed"}]


def test_key_of_another_account_with_swapped_email_is_refused(fake, client, reader_key):
    key = json.loads(reader_key)
    key["client_email"] = demo.email("writer")
    r = token_for(client, "_json_key", json.dumps(key))
    assert r.status_code == 401 and errors_of(r)[0]["code"] == "UNAUTHORIZED"


def test_key_with_matching_id_but_other_private_key_is_refused(fake, client, reader_key):
    forged = fake.state.create_key(demo.email("reader"))
    key = json.loads(reader_key)
    key["private_key"] = forged["private_key"]
    assert token_for(client, "_json_key", json.dumps(key)).status_code == 401


def test_deleted_key_is_refused(fake, client, reader_key):
    fake.state.delete_key(json.loads(reader_key)["private_key_id"])
    r = token_for(client, "_json_key", reader_key)
    assert r.status_code == 401
    assert errors_of(r) == [{"code": "UNAUTHORIZED", "message": "authentication failed"}]


def test_disabled_account_is_refused(fake, client, reader_key):
    fake.state.disable_account(demo.email("reader"))
    assert token_for(client, "_json_key", reader_key).status_code == 401


def test_expired_access_token_is_refused(fake, client):
    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email("reader")))
    assert token_for(client, "oauth2accesstoken", token).status_code == 200
    fake.state.advance(3601)
    r = token_for(client, "oauth2accesstoken", token)
    assert r.status_code == 401 and errors_of(r)[0]["message"] == "authentication failed"


def test_expired_registry_token_gets_a_new_challenge(fake, client, reader_key):
    headers = bearer(client, reader_key)
    assert client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers).status_code == 200
    fake.state.advance(3601)
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers)
    assert r.status_code == 401 and "scope=" in r.headers["www-authenticate"]


def test_token_endpoint_is_get_only(client, reader_key):
    assert client.post(f"{BASE}/v2/token", auth=("_json_key", reader_key)).status_code == 405


# --- denials -------------------------------------------------------------------------------------


def denied_text(permission: str, resource: str = RESOURCE) -> str:
    return f'Permission "{permission}" denied on resource "{resource}" (or it may not exist)'


def test_outsider_is_denied_at_the_token_endpoint(fake, client):
    r = token_for(client, "_json_key", fake.key_text("outsider"))
    assert r.status_code == 403
    assert r.json() == {
        "errors": [
            {"code": "DENIED", "message": denied_text("artifactregistry.repositories.downloadArtifacts")}
        ]
    }


def test_outsider_basic_credentials_on_the_data_plane_are_denied(fake, client):
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", auth=("_json_key", fake.key_text("outsider")))
    assert r.status_code == 403
    assert errors_of(r)[0]["message"] == denied_text("artifactregistry.repositories.downloadArtifacts")


def test_anonymous_token_for_a_private_repository_is_denied_unauthenticated(client):
    r = client.get(f"{BASE}/v2/token", params={"scope": f"repository:{IMAGE}:pull", "service": REGISTRY})
    assert r.status_code == 403
    assert r.json() == {
        "errors": [
            {
                "code": "DENIED",
                "message": (
                    "Unauthenticated request. Unauthenticated requests do not have permission "
                    f'"artifactregistry.repositories.downloadArtifacts" on resource "{RESOURCE}" '
                    "(or it may not exist)"
                ),
            }
        ]
    }


def test_anonymous_pull_from_a_public_repository(client):
    name = f"{demo.PROJECT}/{demo.PUBLIC_REPO}/hello"
    r = client.get(f"{BASE}/v2/token", params={"scope": f"repository:{name}:pull"})
    assert r.status_code == 200
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get(f"{BASE}/v2/{name}/manifests/1.0", headers=headers).status_code == 200
    assert client.get(f"{BASE}/v2/{name}/manifests/1.0").status_code == 200  # no token needed at all


def test_wrong_location_is_denied_naming_the_hosts_location(client, reader_key):
    r = token_for(client, "_json_key", reader_key, host="europe-west1-docker.pkg.dev")
    assert r.status_code == 403
    resource = f"projects/{demo.PROJECT}/locations/europe-west1/repositories/{demo.REPO}"
    assert errors_of(r)[0]["message"] == denied_text(
        "artifactregistry.repositories.downloadArtifacts", resource
    )


def test_missing_repository_is_denied_like_a_missing_role(client, reader_key):
    r = token_for(client, "_json_key", reader_key, scope=f"repository:{demo.PROJECT}/no-such-repo/hello:pull")
    resource = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/no-such-repo"
    assert r.status_code == 403
    assert errors_of(r)[0]["message"] == denied_text(
        "artifactregistry.repositories.downloadArtifacts", resource
    )


def test_path_without_repository_segment_is_name_invalid(client, reader_key):
    expected = [
        {
            "code": "NAME_INVALID",
            "message": (
                "Missing image name. Pushes should be of the form docker push "
                "HOST-NAME/PROJECT-ID/REPOSITORY/IMAGE"
            ),
        }
    ]
    r = token_for(client, "_json_key", reader_key, scope=f"repository:{demo.PROJECT}/hello:pull")
    assert r.status_code == 400 and errors_of(r) == expected
    r = client.get(f"{BASE}/v2/{demo.PROJECT}/hello/manifests/1.0", auth=("_json_key", reader_key))
    assert r.status_code == 400 and errors_of(r) == expected


def test_reader_push_scope_is_denied_upload(client, reader_key):
    r = token_for(client, "_json_key", reader_key, scope=f"repository:{IMAGE}:pull,push")
    assert r.status_code == 403
    assert errors_of(r)[0]["message"] == denied_text("artifactregistry.repositories.uploadArtifacts")


def test_anonymous_push_names_the_download_permission(client):
    r = client.get(f"{BASE}/v2/token", params={"scope": f"repository:{IMAGE}:pull,push"})
    assert r.status_code == 403
    assert '"artifactregistry.repositories.downloadArtifacts"' in errors_of(r)[0]["message"]
    assert errors_of(r)[0]["message"].startswith("Unauthenticated request.")


def test_role_removed_after_token_issued_is_denied_on_the_data_plane(fake, client, reader_key):
    headers = bearer(client, reader_key)
    fake.state.revoke(RESOURCE, "roles/artifactregistry.reader", f"serviceAccount:{demo.email('reader')}")
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers)
    assert r.status_code == 403
    assert errors_of(r)[0]["message"] == denied_text("artifactregistry.repositories.downloadArtifacts")


def test_project_level_binding_grants_every_repository(fake, client):
    fake.state.grant(
        f"projects/{demo.PROJECT}",
        "roles/artifactregistry.reader",
        f"serviceAccount:{demo.email('outsider')}",
    )
    assert token_for(client, "_json_key", fake.key_text("outsider")).status_code == 200


# --- data plane --------------------------------------------------------------------------------


def test_basic_credentials_straight_to_the_data_plane(client, reader_key):
    r = client.get(
        f"{BASE}/v2/{IMAGE}/manifests/1.0",
        auth=("_json_key", reader_key),
        headers={"Accept": images.OCI_MANIFEST},
    )
    assert r.status_code == 200
    assert r.headers["docker-content-digest"] == "sha256:" + hashlib.sha256(r.content).hexdigest()
    assert r.headers["content-type"] == images.OCI_MANIFEST


def test_access_token_as_bearer_on_the_data_plane(fake, client):
    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email("reader")))
    r = client.get(f"{BASE}/v2/{IMAGE}/tags/list", headers={"Authorization": f"Bearer {token}"})
    assert r.json()["name"] == IMAGE and r.json()["tags"] == ["1.0", "multi"]


def test_manifest_head_by_tag_and_get_by_digest(client, reader_key):
    headers = bearer(client, reader_key)
    head = client.head(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers)
    assert head.status_code == 200 and head.content == b""
    digest = head.headers["docker-content-digest"]
    assert int(head.headers["content-length"]) > 0
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/{digest}", headers=headers)
    assert "sha256:" + hashlib.sha256(r.content).hexdigest() == digest


def test_index_is_served_to_clients_that_accept_it(client, reader_key):
    headers = {**bearer(client, reader_key), "Accept": f"{images.OCI_INDEX}, {images.OCI_MANIFEST}"}
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/multi", headers=headers)
    assert r.headers["content-type"] == images.OCI_INDEX
    assert len(r.json()["manifests"]) == 2


def test_oci_index_is_refused_to_a_client_that_does_not_accept_it(client, reader_key):
    headers = {**bearer(client, reader_key), "Accept": images.OCI_MANIFEST}
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/multi", headers=headers)
    assert r.status_code == 404
    assert errors_of(r) == [
        {
            "code": "MANIFEST_UNKNOWN",
            "message": "OCI index found, but accept header does not support OCI indexes",
        }
    ]


def test_unknown_manifest_and_blob(client, reader_key):
    headers = bearer(client, reader_key)
    r = client.get(f"{BASE}/v2/{IMAGE}/manifests/9.9", headers=headers)
    assert r.status_code == 404 and errors_of(r) == [
        {"code": "MANIFEST_UNKNOWN", "message": 'Failed to fetch "9.9"'}
    ]
    r = client.get(f"{BASE}/v2/{IMAGE}/blobs/sha256:{'0' * 64}", headers=headers)
    assert r.status_code == 404 and errors_of(r)[0]["code"] == "BLOB_UNKNOWN"


def test_blob_get_head_and_range(client, reader_key):
    headers = bearer(client, reader_key)
    manifest = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers).json()
    layer = manifest["layers"][0]
    url = f"{BASE}/v2/{IMAGE}/blobs/{layer['digest']}"
    redirect = client.get(url, headers=headers)
    assert redirect.status_code == 302 and redirect.headers["location"].startswith("/artifacts-downloads/")
    full = client.get(url, headers=headers, follow_redirects=True)
    assert "sha256:" + hashlib.sha256(full.content).hexdigest() == layer["digest"]
    assert b"Hello from the garauth fake" in gzip.decompress(full.content)
    head = client.head(url, headers=headers)
    assert int(head.headers["content-length"]) == layer["size"] and head.content == b""
    part = client.get(url, headers={**headers, "Range": "bytes=10-19"}, follow_redirects=True)
    assert part.status_code == 206 and part.content == full.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{layer['size']}"
    assert (
        client.get(url, headers={**headers, "Range": "bytes=99999-"}, follow_redirects=True).status_code
        == 416
    )


def test_tags_list_pagination(client, reader_key):
    headers = bearer(client, reader_key)
    r = client.get(f"{BASE}/v2/{IMAGE}/tags/list", params={"n": 1}, headers=headers)
    assert r.json()["tags"] == ["1.0"] and 'rel="next"' in r.headers["link"]
    r = client.get(f"{BASE}/v2/{IMAGE}/tags/list", params={"last": "1.0"}, headers=headers)
    assert r.json()["tags"] == ["multi"]


def test_gcr_io_path_maps_to_the_gcr_io_repository_in_us(fake, client, reader_key):
    name = f"{demo.PROJECT}/hello"
    r = token_for(client, "_json_key", reader_key, scope=f"repository:{name}:pull", host="gcr.io")
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get(f"https://gcr.io/v2/{name}/manifests/1.0", headers=headers).status_code == 200
    same = client.get(
        f"https://us-docker.pkg.dev/v2/{demo.PROJECT}/gcr.io/hello/manifests/1.0",
        auth=("_json_key", reader_key),
    )
    assert same.status_code == 200
    r = client.get(f"https://gcr.io/v2/{name}/manifests/1.0", auth=("_json_key", fake.key_text("outsider")))
    assert errors_of(r)[0]["message"] == denied_text(
        "artifactregistry.repositories.downloadArtifacts",
        f"projects/{demo.PROJECT}/locations/us/repositories/gcr.io",
    )


def test_rep_host_serves_the_same_location(client, reader_key):
    host = f"docker.{demo.LOCATION}.rep.pkg.dev"
    r = client.get(f"https://{host}/v2/{IMAGE}/manifests/1.0", auth=("_json_key", reader_key))
    assert r.status_code == 200


def test_unknown_host_is_404(fake):
    import ssl

    import httpx

    with httpx.Client(verify=ssl.create_default_context(cafile=fake.ca)) as c:
        r = c.get(f"https://127.0.0.1:{fake.port}/v2/")
    assert r.status_code == 404


# --- push --------------------------------------------------------------------------------------


def push_headers(client, fake, account="writer"):
    r = token_for(client, "_json_key", fake.key_text(account), scope=f"repository:{IMAGE}:pull,push")
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_monolithic_push_then_pull(fake, client):
    headers = push_headers(client, fake)
    built = images.build_image({"pushed.txt": b"pushed monolithically\n"})
    for blob in built.blobs:
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        r = client.post(
            f"{BASE}/v2/{IMAGE}/blobs/uploads/",
            params={"digest": digest},
            content=blob,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 201 and r.headers["docker-content-digest"] == digest
    r = client.put(
        f"{BASE}/v2/{IMAGE}/manifests/pushed",
        content=built.manifest,
        headers={**headers, "Content-Type": built.media_type},
    )
    assert r.status_code == 201 and r.headers["docker-content-digest"] == built.digest
    got = client.get(f"{BASE}/v2/{IMAGE}/manifests/pushed", auth=("_json_key", fake.key_text("reader")))
    assert got.content == built.manifest


def test_chunked_push(fake, client):
    headers = push_headers(client, fake)
    built = images.build_image({"big.bin": bytes(range(256)) * 2000})
    for blob in built.blobs:
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        r = client.post(f"{BASE}/v2/{IMAGE}/blobs/uploads/", headers=headers)
        assert r.status_code == 202
        location = r.headers["location"]
        step = max(1, len(blob) // 3)
        for start in range(0, len(blob), step):
            chunk = blob[start : start + step]
            r = client.patch(
                location,
                content=chunk,
                headers={
                    **headers,
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{start}-{start + len(chunk) - 1}",
                },
            )
            assert r.status_code == 202 and r.headers["range"] == f"0-{start + len(chunk) - 1}"
            location = r.headers["location"]
        r = client.put(location, params={"digest": digest}, headers=headers)
        assert r.status_code == 201
    r = client.put(
        f"{BASE}/v2/{IMAGE}/manifests/chunked",
        content=built.manifest,
        headers={**headers, "Content-Type": built.media_type},
    )
    assert r.status_code == 201


def test_chunked_push_with_wrong_digest_is_refused(fake, client):
    headers = push_headers(client, fake)
    r = client.post(f"{BASE}/v2/{IMAGE}/blobs/uploads/", headers=headers)
    r = client.put(
        r.headers["location"], params={"digest": "sha256:" + "1" * 64}, content=b"abc", headers=headers
    )
    assert r.status_code == 400 and errors_of(r)[0]["code"] == "DIGEST_INVALID"


def test_manifest_with_missing_blobs_is_refused(fake, client):
    headers = push_headers(client, fake)
    built = images.build_image({"never-uploaded.txt": b"x"})
    r = client.put(
        f"{BASE}/v2/{IMAGE}/manifests/broken",
        content=built.manifest,
        headers={**headers, "Content-Type": built.media_type},
    )
    assert r.status_code == 400 and errors_of(r)[0]["code"] == "MANIFEST_BLOB_UNKNOWN"


def test_cross_repository_mount(fake, client):
    headers = push_headers(client, fake)
    layer = client.get(f"{BASE}/v2/{IMAGE}/manifests/1.0", headers=headers).json()["layers"][0]["digest"]
    r = client.post(
        f"{BASE}/v2/{demo.PROJECT}/{demo.REPO}/other/blobs/uploads/",
        params={"mount": layer, "from": IMAGE},
        headers=headers,
    )
    assert r.status_code == 201


def test_reader_cannot_push_on_the_data_plane(fake, client, reader_key):
    r = client.post(f"{BASE}/v2/{IMAGE}/blobs/uploads/", auth=("_json_key", reader_key))
    assert r.status_code == 403
    assert errors_of(r)[0]["message"] == denied_text("artifactregistry.repositories.uploadArtifacts")


def test_host_header_with_port_or_trailing_dot_is_the_same_host(fake, client, reader_key):
    for host in (f"{REGISTRY}:443", f"{REGISTRY}.", REGISTRY.upper()):
        r = client.get(
            f"https://127.0.0.1:{fake.port}/v2/{IMAGE}/manifests/1.0",
            headers={"Host": host},
            auth=("_json_key", reader_key),
        )
        assert r.status_code == 200, host

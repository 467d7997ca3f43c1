"""The admin APIs the guide's gcloud commands call (IAM, Resource Manager, Artifact Registry's
management API), over HTTPS on their real hostnames, with the bodies gcloud sends. The real gcloud
itself runs against them in tests/examples/test_gcloud_scripts.py."""

from __future__ import annotations

import base64
import json
import time

import pytest

from garauth import data
from garauth.fake import demo, errors
from garauth.fake.state import Principal

EP = data.endpoints()
IAM = f"https://{EP['iam']}/v1"
CRM = f"https://{EP['cloudresourcemanager']}/v1"
AR = f"https://{EP['artifactregistry']}/v1"
READER = demo.email("reader")
PARENT = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}"


def bearer(fake, account: str = demo.OWNER) -> dict[str, str]:
    token, _ = fake.state.issue_token(Principal("serviceAccount", demo.email(account)))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def owner(fake):
    return bearer(fake)


def error_of(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    assert body["code"] == response.status_code
    return response.status_code, body["status"], body["message"]


# --- authentication and routing ---------------------------------------------------------------


def test_no_credential_is_401_with_a_bearer_challenge(client):
    r = client.get(f"{CRM}/projects/{demo.PROJECT}")
    assert error_of(r)[:2] == (401, "UNAUTHENTICATED")
    assert r.json()["error"]["message"].startswith("Request is missing required authentication credential.")
    assert r.headers["www-authenticate"].startswith("Bearer ")


def test_unknown_token_is_401_invalid_credentials(client):
    r = client.get(f"{CRM}/projects/{demo.PROJECT}", headers={"Authorization": "Bearer ya29.not-issued"})
    assert error_of(r)[:2] == (401, "UNAUTHENTICATED")
    assert r.json()["error"]["message"].startswith("Request had invalid authentication credentials.")


def test_a_body_over_the_cap_is_413_before_it_is_read(client, owner):
    big = b'{"accountId": "x", "pad": "' + b"x" * (65 * 1024) + b'"}'
    r = client.post(f"{IAM}/projects/{demo.PROJECT}/serviceAccounts", headers=owner, content=big)
    assert error_of(r) == (413, "INVALID_ARGUMENT", "The request body is larger than 65536 bytes.")


def test_a_path_the_fake_does_not_serve_is_404(client, owner):
    r = client.get(f"{IAM}/roles", headers=owner)
    assert error_of(r)[:2] == (404, "NOT_FOUND")


def test_request_log_names_the_caller_and_never_the_token(fake, client, owner):
    client.get(f"{CRM}/projects/{demo.PROJECT}", headers=owner)
    # The server logs a request once its response is sent, which the client may see first.
    deadline = time.monotonic() + 5
    while not any(r.get("host") == EP["cloudresourcemanager"] for r in fake.log.records):
        assert time.monotonic() < deadline, "the request was never logged"
        time.sleep(0.02)
    record = [r for r in fake.log.records if r.get("host") == EP["cloudresourcemanager"]][-1]
    assert record["host"] == EP["cloudresourcemanager"]
    assert record["principal"] == f"serviceAccount:{demo.email(demo.OWNER)}"
    assert owner["Authorization"].split()[1] not in json.dumps(fake.log.records)


# --- Resource Manager ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [demo.PROJECT, demo.PROJECT_NUMBER])
def test_project_by_id_or_number(client, owner, name):
    r = client.get(f"{CRM}/projects/{name}", headers=owner)
    assert r.status_code == 200
    body = r.json()
    assert body["projectId"] == demo.PROJECT
    assert body["projectNumber"] == demo.PROJECT_NUMBER  # a string, as in Google's JSON
    assert body["lifecycleState"] == "ACTIVE"
    assert body["createTime"].endswith("Z")


@pytest.mark.parametrize("who", ["owner", "outsider"])
def test_unknown_project_and_no_permission_read_the_same(fake, client, who):
    project = "no-such-project" if who == "owner" else demo.PROJECT
    r = client.get(f"{CRM}/projects/{project}", headers=bearer(fake, who if who != "owner" else demo.OWNER))
    assert error_of(r) == (403, "PERMISSION_DENIED", "The caller does not have permission")


def test_project_policy_round_trip(fake, client, owner):
    outsider = Principal("serviceAccount", demo.email("outsider"))
    repo = f"{PARENT}/repositories/{demo.REPO}"
    assert not fake.state.has_permission(outsider, errors.DOWNLOAD, repo)
    policy = client.post(f"{CRM}/projects/{demo.PROJECT}:getIamPolicy", headers=owner, json={}).json()
    assert {"role": "roles/owner", "members": [f"serviceAccount:{demo.email(demo.OWNER)}"]} in policy[
        "bindings"
    ]
    policy["bindings"].append({"role": "roles/artifactregistry.reader", "members": [str(outsider)]})
    r = client.post(f"{CRM}/projects/{demo.PROJECT}:setIamPolicy", headers=owner, json={"policy": policy})
    assert r.status_code == 200
    assert fake.state.has_permission(
        outsider, errors.DOWNLOAD, repo
    )  # a project binding reaches every repository


# --- service accounts ---------------------------------------------------------------------------


def test_create_service_account(fake, client, owner):
    r = client.post(
        f"{IAM}/projects/{demo.PROJECT}/serviceAccounts",
        headers=owner,
        json={"accountId": "ci-puller", "serviceAccount": {"displayName": "CircleCI pulls"}},
    )
    assert r.status_code == 200
    body = r.json()
    email = f"ci-puller@{demo.PROJECT}.iam.gserviceaccount.com"
    assert body["email"] == email
    assert body["name"] == f"projects/{demo.PROJECT}/serviceAccounts/{email}"
    assert body["displayName"] == "CircleCI pulls"
    assert body["uniqueId"] == fake.state.service_accounts[email]["unique_id"]


def test_create_service_account_twice_is_409_already_exists(client, owner):
    r = client.post(
        f"{IAM}/projects/{demo.PROJECT}/serviceAccounts", headers=owner, json={"accountId": "reader"}
    )
    assert error_of(r) == (
        409,
        "ALREADY_EXISTS",
        f"Service account reader already exists within project projects/{demo.PROJECT}.",
    )


@pytest.mark.parametrize("account_id", ["CI", "abc", "a" * 31, "1reader", "reader-"])
def test_account_ids_outside_googles_rule_are_400(client, owner, account_id):
    r = client.post(
        f"{IAM}/projects/{demo.PROJECT}/serviceAccounts", headers=owner, json={"accountId": account_id}
    )
    assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")


def test_without_a_role_on_the_project_creating_an_account_is_denied(fake, client):
    r = client.post(
        f"{IAM}/projects/{demo.PROJECT}/serviceAccounts",
        headers=bearer(fake, "outsider"),
        json={"accountId": "sneaky"},
    )
    assert error_of(r) == (
        403,
        "PERMISSION_DENIED",
        "Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).",
    )


# --- keys ---------------------------------------------------------------------------------------


def test_key_create_returns_a_key_file_only_once(fake, client, owner):
    r = client.post(f"{IAM}/projects/-/serviceAccounts/{READER}/keys", headers=owner, json={})
    assert r.status_code == 200
    body = r.json()
    assert body["privateKeyType"] == "TYPE_GOOGLE_CREDENTIALS_FILE"
    assert body["keyType"] == "USER_MANAGED" and body["validBeforeTime"] == "9999-12-31T23:59:59Z"
    key_file = json.loads(base64.b64decode(body["privateKeyData"]))
    key_id = body["name"].rsplit("/", 1)[1]
    assert body["name"] == f"projects/{demo.PROJECT}/serviceAccounts/{READER}/keys/{key_id}"
    assert key_file["private_key_id"] == key_id and key_file["client_email"] == READER
    assert fake.state.check_key_file(key_file) == Principal("serviceAccount", READER)
    assert "PRIVATE KEY" not in json.dumps(fake.state.to_json())  # the fake keeps the public key only
    got = client.get(f"{IAM}/projects/-/serviceAccounts/{READER}/keys/{key_id}", headers=owner).json()
    assert "privateKeyData" not in got


def test_key_list_and_delete(fake, client, owner):
    url = f"{IAM}/projects/-/serviceAccounts/{READER}/keys"
    listed = client.get(url, params={"keyTypes": "USER_MANAGED"}, headers=owner).json()["keys"]
    key_id = json.loads(fake.key_text("reader"))["private_key_id"]
    assert [k["name"].rsplit("/", 1)[1] for k in listed] == [key_id]
    assert client.get(url, params={"keyTypes": "SYSTEM_MANAGED"}, headers=owner).json() == {}
    assert client.delete(f"{url}/{key_id}", headers=owner).json() == {}
    assert fake.state.live_key(key_id, READER) is None
    again = client.delete(f"{url}/{key_id}", headers=owner)
    assert error_of(again)[:2] == (404, "NOT_FOUND")


def test_missing_account_behind_the_wildcard_is_403_not_404(client, owner):
    r = client.post(
        f"{IAM}/projects/-/serviceAccounts/nobody@{demo.PROJECT}.iam.gserviceaccount.com/keys", headers=owner
    )
    assert error_of(r) == (
        403,
        "PERMISSION_DENIED",
        "Permission 'iam.serviceAccountKeys.create' denied on resource (or it may not exist).",
    )


def test_missing_account_in_a_named_project_is_404(client, owner):
    email = f"nobody@{demo.PROJECT}.iam.gserviceaccount.com"
    r = client.post(f"{IAM}/projects/{demo.PROJECT}/serviceAccounts/{email}:getIamPolicy", headers=owner)
    assert error_of(r) == (404, "NOT_FOUND", "Unknown service account")


def test_only_json_keys(client, owner):
    r = client.post(
        f"{IAM}/projects/-/serviceAccounts/{READER}/keys",
        headers=owner,
        json={"privateKeyType": "TYPE_PKCS12_FILE"},
    )
    assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")


# --- IAM policies -------------------------------------------------------------------------------


def test_account_policy_read_modify_write_with_etag(fake, client, owner):
    base = f"{IAM}/projects/{demo.PROJECT}/serviceAccounts/{READER}"
    policy = client.post(
        f"{base}:getIamPolicy", params={"options.requestedPolicyVersion": 3}, headers=owner
    ).json()
    assert policy["version"] == 1  # no conditions: version 1 whatever was asked for
    member = "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/s"
    policy["bindings"].append({"role": "roles/iam.workloadIdentityUser", "members": [member]})
    done = client.post(f"{base}:setIamPolicy", headers=owner, json={"policy": policy})
    assert done.status_code == 200 and done.json()["etag"] != policy["etag"]
    stale = client.post(f"{base}:setIamPolicy", headers=owner, json={"policy": policy})
    assert error_of(stale)[:2] == (409, "ABORTED")
    # the URL-safe form of the same etag is the same etag (gcloud sends that form back)
    fresh = done.json()
    fresh["etag"] = fresh["etag"].replace("+", "-").replace("/", "_")
    assert client.post(f"{base}:setIamPolicy", headers=owner, json={"policy": fresh}).status_code == 200


@pytest.mark.parametrize(
    ("binding", "says"),
    [
        ({"role": "roles/artifactregistry.reader", "members": ["allUsers"]}, "Role roles/artifactregistry.reader is not supported for this resource."),
        ({"role": "roles/iam.workloadIdentityUser", "members": [f"serviceAccount:ghost@{demo.PROJECT}.iam.gserviceaccount.com"]},
         f"Service account ghost@{demo.PROJECT}.iam.gserviceaccount.com does not exist."),
        ({"role": "roles/iam.workloadIdentityUser", "members": ["bogus"]}, "Invalid member: bogus."),
        ({"role": "roles/iam.workloadIdentityUser", "members": ["allUsers"], "condition": {"expression": "true"}},
         "The fake does not model IAM conditions."),
    ],
    ids=["role-not-for-accounts", "unknown-account-member", "malformed-member", "condition"],
)  # fmt: skip
def test_policy_refusals_are_400(fake, client, owner, binding, says):
    base = f"{IAM}/projects/{demo.PROJECT}/serviceAccounts/{READER}"
    before = fake.state.policy(f"projects/{demo.PROJECT}/serviceAccounts/{READER}")
    r = client.post(f"{base}:setIamPolicy", headers=owner, json={"policy": {"bindings": [binding]}})
    status, code, message = error_of(r)
    assert (status, code) == (400, "INVALID_ARGUMENT") and message.startswith(says)
    assert fake.state.policy(f"projects/{demo.PROJECT}/serviceAccounts/{READER}") == before


# --- Artifact Registry --------------------------------------------------------------------------


def test_repository_create_is_an_operation_done_at_its_first_poll(fake, client, owner):
    r = client.post(
        f"{AR}/{PARENT}/repositories",
        params={"repositoryId": "team-images"},
        headers=owner,
        json={"format": "DOCKER", "description": "CI images"},
    )
    assert r.status_code == 200
    op = r.json()
    assert op["name"].startswith(f"{PARENT}/operations/")
    assert "done" not in op and op["metadata"]["@type"].endswith("artifactregistry.v1.OperationMetadata")
    name = f"{PARENT}/repositories/team-images"
    assert name in fake.state.repositories
    polled = client.get(f"{AR}/{op['name']}", headers=owner).json()
    assert polled["done"] is True
    assert polled["response"]["@type"].endswith("artifactregistry.v1.Repository")
    repo = client.get(f"{AR}/{name}", headers=owner).json()
    assert {k: repo[k] for k in ("name", "format", "description", "mode")} == {
        "name": name,
        "format": "DOCKER",
        "description": "CI images",
        "mode": "STANDARD_REPOSITORY",
    }
    assert repo["registryUri"] == f"{demo.LOCATION}-docker.pkg.dev/{demo.PROJECT}/team-images"


def test_repository_create_twice_is_409_at_once(client, owner):
    r = client.post(
        f"{AR}/{PARENT}/repositories",
        params={"repositoryId": demo.REPO},
        headers=owner,
        json={"format": "DOCKER"},
    )
    assert error_of(r) == (409, "ALREADY_EXISTS", "the repository already exists")


@pytest.mark.parametrize(
    ("location", "repository_id", "fmt"),
    [
        ("us-centrl1", "ok-repo", "DOCKER"),
        (demo.LOCATION, "Bad_Repo", "DOCKER"),
        (demo.LOCATION, "ok-repo", "MAVEN"),
    ],
    ids=["unknown-location", "bad-id", "not-docker"],
)
def test_repository_create_refusals_are_400(client, owner, location, repository_id, fmt):
    r = client.post(
        f"{AR}/projects/{demo.PROJECT}/locations/{location}/repositories",
        params={"repositoryId": repository_id},
        headers=owner,
        json={"format": fmt},
    )
    assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")


def test_repository_policy_binding_lets_the_member_pull(fake, client, owner):
    name = f"{PARENT}/repositories/public-repo"
    writer = Principal("serviceAccount", demo.email("writer"))
    assert not fake.state.has_permission(writer, errors.UPLOAD, name)
    policy = client.get(
        f"{AR}/{name}:getIamPolicy", params={"options.requestedPolicyVersion": 3}, headers=owner
    ).json()
    assert policy["bindings"] == [{"role": "roles/artifactregistry.reader", "members": ["allUsers"]}]
    policy["bindings"].append(
        {"role": "roles/artifactregistry.writer", "members": [f"serviceAccount:{writer.name}"]}
    )
    assert client.post(f"{AR}/{name}:setIamPolicy", headers=owner, json={"policy": policy}).status_code == 200
    assert fake.state.has_permission(writer, errors.UPLOAD, name)


def test_without_a_role_the_repository_api_denies_naming_the_full_resource(fake, client):
    name = f"{PARENT}/repositories/{demo.REPO}"
    r = client.get(f"{AR}/{name}:getIamPolicy", headers=bearer(fake, "outsider"))
    assert error_of(r) == (
        403,
        "PERMISSION_DENIED",
        f"Permission 'artifactregistry.repositories.getIamPolicy' denied on resource "
        f"'//artifactregistry.googleapis.com/{name}' (or it may not exist).",
    )


def test_a_missing_repository_is_404_for_the_owner(client, owner):
    r = client.get(f"{AR}/{PARENT}/repositories/nope", headers=owner)
    assert error_of(r) == (404, "NOT_FOUND", "Requested entity was not found.")


# --- Workload Identity pools and providers ----------------------------------------------------

POOLS = f"{IAM}/projects/{demo.PROJECT}/locations/global/workloadIdentityPools"


def test_pool_and_provider_are_created_with_the_project_number(fake, client, owner):
    r = client.post(
        POOLS, params={"workloadIdentityPoolId": "ci-pool"}, headers=owner, json={"displayName": "CI"}
    )
    pool = f"projects/{demo.PROJECT_NUMBER}/locations/global/workloadIdentityPools/ci-pool"
    assert r.status_code == 200 and r.json()["name"].startswith(f"{pool}/operations/")
    provider_body = {
        "attributeMapping": {"google.subject": "assertion.sub", "attribute.org_id": "assertion.aud"},
        "attributeCondition": "attribute.org_id == 'x'",
        "oidc": {"issuerUri": "https://oidc.circleci.com/org/x", "allowedAudiences": ["x"]},
    }
    r = client.post(
        f"{POOLS}/ci-pool/providers",
        params={"workloadIdentityPoolProviderId": "circleci"},
        headers=owner,
        json=provider_body,
    )
    assert r.status_code == 200
    op = r.json()["name"]
    assert op.startswith(f"{pool}/providers/circleci/operations/")
    polled = client.get(f"{IAM}/{op.replace(demo.PROJECT_NUMBER, demo.PROJECT, 1)}", headers=owner).json()
    assert polled["done"] is True and polled["response"]["oidc"]["allowedAudiences"] == ["x"]
    got = client.get(f"{POOLS}/ci-pool/providers/circleci", headers=owner).json()
    assert got["attributeCondition"] == "attribute.org_id == 'x'"
    assert (
        fake.state.providers[f"{pool}/providers/circleci"]["attribute_mapping"]
        == provider_body["attributeMapping"]
    )
    assert client.get(f"{POOLS}/ci-pool", headers=owner).json()["displayName"] == "CI"


@pytest.mark.parametrize("pool_id", ["abc", "gcp-pool", "x" * 33, "Upper"])
def test_pool_ids_outside_googles_rule_are_400(client, owner, pool_id):
    r = client.post(POOLS, params={"workloadIdentityPoolId": pool_id}, headers=owner, json={})
    assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")


def test_pool_twice_is_409_and_other_locations_are_400(client, owner):
    r = client.post(POOLS, params={"workloadIdentityPoolId": demo.POOL_ID}, headers=owner, json={})
    assert error_of(r) == (409, "ALREADY_EXISTS", "Requested entity already exists")
    other = POOLS.replace("/global/", "/europe-west1/")
    assert (
        error_of(client.post(other, params={"workloadIdentityPoolId": "abcd"}, headers=owner, json={}))[0]
        == 400
    )


def test_provider_needs_a_subject_mapping_and_an_https_issuer(client, owner):
    url = f"{POOLS}/{demo.POOL_ID}/providers"
    no_subject = {
        "attributeMapping": {"attribute.a": "assertion.a"},
        "oidc": {"issuerUri": "https://x.example"},
    }
    http = {
        "attributeMapping": {"google.subject": "assertion.sub"},
        "oidc": {"issuerUri": "http://x.example"},
    }
    for body in (no_subject, http):
        r = client.post(url, params={"workloadIdentityPoolProviderId": "prov1"}, headers=owner, json=body)
        assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")


def test_what_the_admin_apis_made_survives_save_and_load(fake, client, owner, tmp_path):
    op = client.post(
        f"{AR}/{PARENT}/repositories",
        params={"repositoryId": "kept"},
        headers=owner,
        json={"format": "DOCKER"},
    ).json()["name"]
    client.post(
        f"{IAM}/projects/{demo.PROJECT}/serviceAccounts", headers=owner, json={"accountId": "kept-account"}
    )
    fake.state.save(tmp_path)
    again = type(fake.state).load(tmp_path)
    assert f"{PARENT}/repositories/kept" in again.repositories
    assert again.service_accounts[f"kept-account@{demo.PROJECT}.iam.gserviceaccount.com"]["unique_id"]
    assert again.poll_operation(op)["response"]["name"] == f"{PARENT}/repositories/kept"

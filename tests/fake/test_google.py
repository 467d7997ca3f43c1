"""google-auth's own credentials against the fake's OAuth 2.0, STS and IAM credentials endpoints,
then a pull with the access token they get."""

from __future__ import annotations

import json
import time

import google.auth.jwt
import google.auth.transport.requests
import pytest
from google.auth import exceptions, identity_pool
from google.oauth2 import service_account

from garauth.fake import demo, errors
from garauth.fake.oidc import mint_circleci_token

from .conftest import IMAGE, REGISTRY
from .test_clients import dxf_client, dxf_pull, expected_digest

# what google-auth raises when STS or IAM credentials refuse
REFUSED = (exceptions.RefreshError, exceptions.OAuthError)
CLOUD_PLATFORM = ["https://www.googleapis.com/auth/cloud-platform"]


@pytest.fixture
def gauth_request(fake):
    session = fake.requests_session()
    yield google.auth.transport.requests.Request(session)
    session.close()


def assertion_for(fake, account: str = "reader") -> str:
    """A JWT-bearer assertion signed by the account's key, made with google-auth's own jwt module."""
    creds = sa_credentials(fake, account)
    now = int(time.time())
    payload = {
        "iss": creds.service_account_email,
        "aud": "https://oauth2.googleapis.com/token",
        "scope": CLOUD_PLATFORM[0],
        "iat": now,
        "exp": now + 3600,
    }
    return google.auth.jwt.encode(creds.signer, payload).decode()


def sa_credentials(fake, account: str = "reader"):
    info = json.loads(fake.key_text(account))
    return service_account.Credentials.from_service_account_info(info, scopes=CLOUD_PLATFORM)


# --- OAuth 2.0 with a service-account key ----------------------------------------------------


def test_service_account_credentials_mint_a_token_that_pulls(fake, gauth_request):
    creds = sa_credentials(fake)
    creds.refresh(gauth_request)
    assert creds.token.startswith("ya29.")
    assert creds.expiry is not None
    assert dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token)) == expected_digest(fake)


def test_oauth_token_response_shape(fake, client):
    assertion = assertion_for(fake)
    r = client.post(
        "https://oauth2.googleapis.com/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"


def test_deleted_key_gets_invalid_jwt_signature(fake, client, gauth_request):
    assertion = assertion_for(fake)
    fake.state.delete_key(json.loads(fake.key_text("reader"))["private_key_id"])
    r = client.post(
        "https://oauth2.googleapis.com/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    with pytest.raises(exceptions.RefreshError, match="Invalid JWT Signature"):
        sa_credentials(fake).refresh(gauth_request)


def test_disabled_account_cannot_get_a_token(fake, gauth_request):
    fake.state.disable_account(demo.email("reader"))
    with pytest.raises(exceptions.RefreshError, match=errors.ACCOUNT_NOT_FOUND.message):
        sa_credentials(fake).refresh(gauth_request)


def test_token_of_a_later_disabled_account_stops_working(fake, gauth_request):
    creds = sa_credentials(fake)
    creds.refresh(gauth_request)
    fake.state.disable_account(demo.email("reader"))
    from dxf.exceptions import DXFUnauthorizedError

    with pytest.raises(DXFUnauthorizedError):
        dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token))


def test_outsider_token_is_denied_at_the_registry(fake, gauth_request, client):
    creds = sa_credentials(fake, "outsider")
    creds.refresh(gauth_request)
    r = client.get(
        f"https://{REGISTRY}/v2/token",
        params={"scope": f"repository:{IMAGE}:pull"},
        auth=("oauth2accesstoken", creds.token),
    )
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "DENIED"


# --- Workload Identity Federation ------------------------------------------------------------


def wif_credentials(fake, tmp_path, token: str, **config):
    token_file = tmp_path / "circleci-oidc-token"
    token_file.write_text(token)
    info = demo.credential_config(str(token_file), **config)
    return identity_pool.Credentials.from_info(info, scopes=CLOUD_PLATFORM)


def circleci_token(fake, **kwargs) -> str:
    return mint_circleci_token(fake.state, demo.ORG_ID, demo.CIRCLECI_PROJECT_ID, **kwargs)


def test_identity_pool_credentials_complete_the_flow_and_pull(fake, tmp_path, gauth_request):
    creds = wif_credentials(fake, tmp_path, circleci_token(fake))
    creds.refresh(gauth_request)
    assert creds.token.startswith("ya29.")
    assert dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token)) == expected_digest(fake)
    hosts = [r["host"] for r in fake.log.records]
    assert "sts.googleapis.com" in hosts and "iamcredentials.googleapis.com" in hosts


def test_v2_token_with_the_v2_provider(fake, tmp_path, gauth_request):
    creds = wif_credentials(fake, tmp_path, circleci_token(fake, v2=True), provider_id=demo.PROVIDER_V2_ID)
    creds.refresh(gauth_request)
    assert dxf_pull(dxf_client(fake, "_token", creds.token)) == expected_digest(fake)


def test_long_v2_subject_exceeds_the_127_byte_limit(fake, tmp_path, gauth_request):
    token = circleci_token(fake, v2=True, vcs_origin="github.com/some-organisation/" + "a" * 60)
    with pytest.raises(REFUSED) as info:
        wif_credentials(fake, tmp_path, token).refresh(gauth_request)
    assert errors.SUBJECT_TOO_LONG.message in str(info.value)


def test_pool_written_with_the_project_id_is_refused(fake, tmp_path, gauth_request):
    creds = wif_credentials(fake, tmp_path, circleci_token(fake), project=demo.PROJECT)
    with pytest.raises(REFUSED) as info:
        creds.refresh(gauth_request)
    assert "invalid_request" in str(info.value)
    assert 'Invalid value for \\"audience\\"' in str(info.value) or 'Invalid value for "audience"' in str(
        info.value
    )


def test_unknown_provider_is_invalid_target(fake, client):
    r = client.post(
        "https://sts.googleapis.com/v1/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "audience": f"//iam.googleapis.com/{demo.pool_name()}/providers/nope",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "subject_token": circleci_token(fake),
            "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "scope": CLOUD_PLATFORM[0],
        },
    )
    assert r.status_code == 400
    assert r.json() == {
        "error": errors.STS_NO_PROVIDER.code,
        "error_description": errors.STS_NO_PROVIDER.message,
    }


def test_token_for_another_audience_is_refused(fake, tmp_path, gauth_request):
    creds = wif_credentials(fake, tmp_path, circleci_token(fake, audience="some-other-audience"))
    with pytest.raises(REFUSED, match="audience"):
        creds.refresh(gauth_request)


def test_token_of_another_org_is_refused(fake, tmp_path, gauth_request):
    token = mint_circleci_token(fake.state, "00000000-0000-4000-8000-000000000000", demo.CIRCLECI_PROJECT_ID)
    with pytest.raises(REFUSED, match="issuer"):
        wif_credentials(fake, tmp_path, token).refresh(gauth_request)


def test_expired_oidc_token_is_refused(fake, tmp_path, gauth_request):
    token = circleci_token(fake)
    fake.state.advance(3700)
    with pytest.raises(REFUSED, match="expired"):
        wif_credentials(fake, tmp_path, token).refresh(gauth_request)


def test_attribute_condition_is_enforced(fake, tmp_path, gauth_request):
    provider = fake.state.providers[demo.provider_name()]
    provider["attribute_condition"] = "attribute.project == 'some-other-project'"
    with pytest.raises(REFUSED, match="attribute condition"):
        wif_credentials(fake, tmp_path, circleci_token(fake)).refresh(gauth_request)


def test_forged_token_signed_by_another_key_is_refused(fake, tmp_path, gauth_request):
    from garauth.fake.jwts import sign
    from garauth.fake.state import State

    other = State()
    other.ensure_issuer_key()
    good = circleci_token(fake)
    from garauth.fake.jwts import split

    _, claims, _, _ = split(good)
    forged = sign(claims, other.issuer_private_pem, fake.state.issuer_key_id)
    with pytest.raises(REFUSED, match="signature"):
        wif_credentials(fake, tmp_path, forged).refresh(gauth_request)


def test_without_workload_identity_user_impersonation_is_denied(fake, tmp_path, gauth_request):
    fake.state.revoke(
        f"projects/{demo.PROJECT}/serviceAccounts/{demo.email('reader')}",
        "roles/iam.workloadIdentityUser",
        demo.org_member(),
    )
    with pytest.raises(REFUSED) as info:
        wif_credentials(fake, tmp_path, circleci_token(fake)).refresh(gauth_request)
    body = json.loads(info.value.args[1])
    assert body["error"]["code"] == 403 and body["error"]["status"] == "PERMISSION_DENIED"
    assert body["error"]["message"] == (
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)."
    )


def test_principal_binding_for_one_subject(fake, tmp_path, gauth_request):
    sa = f"projects/{demo.PROJECT}/serviceAccounts/{demo.email('writer')}"
    token = circleci_token(fake)
    from garauth.fake.jwts import split

    subject = split(token)[1]["sub"]
    fake.state.grant(
        sa,
        "roles/iam.workloadIdentityUser",
        f"principal://iam.googleapis.com/{demo.pool_name()}/subject/{subject}",
    )
    creds = wif_credentials(fake, tmp_path, token, account="writer")
    creds.refresh(gauth_request)
    assert creds.token.startswith("ya29.")


def test_issuer_discovery_and_jwks(fake, client):
    base = f"https://oidc.circleci.com/org/{demo.ORG_ID}"
    doc = client.get(f"{base}/.well-known/openid-configuration").json()
    assert doc["issuer"] == base
    keys = client.get(doc["jwks_uri"]).json()["keys"]
    assert keys[0]["kid"] == fake.state.issuer_key_id and keys[0]["kty"] == "RSA"


def test_federated_token_without_impersonation_pulls_when_bound_directly(fake, tmp_path, gauth_request):
    token_file = tmp_path / "circleci-oidc-token"
    token_file.write_text(circleci_token(fake))
    info = demo.credential_config(str(token_file))
    del info["service_account_impersonation_url"]
    creds = identity_pool.Credentials.from_info(info, scopes=CLOUD_PLATFORM)
    creds.refresh(gauth_request)
    client = dxf_client(fake, "oauth2accesstoken", creds.token)
    from dxf.exceptions import DXFUnauthorizedError
    from requests.exceptions import HTTPError

    with pytest.raises((HTTPError, DXFUnauthorizedError)):
        dxf_pull(client)  # the federated principal has no role on the repository yet
    resource = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"
    fake.state.grant(resource, "roles/artifactregistry.reader", demo.org_member())
    assert dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token)) == expected_digest(fake)

"""The fake's stand-ins for GitLab.com's and Bitbucket Pipelines' OIDC issuers: their discovery
documents and keys, and google-auth's identity_pool credentials exchanging a GitLab- or
Bitbucket-shaped token through the fake's STS and IAM credentials, as a job's own commands do."""

from __future__ import annotations

import google.auth.transport.requests
import pytest
from google.auth import exceptions, identity_pool

from garauth import data
from garauth.fake import demo
from garauth.fake import gitlab_bitbucket_oidc as ci
from garauth.fake.jwts import signature_ok, split

from .test_clients import dxf_client, dxf_pull, expected_digest

REFUSED = (exceptions.RefreshError, exceptions.OAuthError)


@pytest.fixture
def gauth_request(fake):
    session = fake.requests_session()
    yield google.auth.transport.requests.Request(session)
    session.close()


def credentials(tmp_path, provider: str, token: str, account: str = "reader"):
    """The credential configuration `gcloud iam workload-identity-pools create-cred-config`
    writes for a token file (examples/gitlab/keyless.gitlab-ci.yml does that in the job)."""
    token_file = tmp_path / "oidc-token"
    token_file.write_text(token)
    ep = data.endpoints()
    info = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{provider}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": f"https://{ep['sts']}/v1/token",
        "service_account_impersonation_url": (
            f"https://{ep['iamcredentials']}/v1/projects/-/serviceAccounts/{demo.email(account)}:generateAccessToken"
        ),
        "credential_source": {"file": str(token_file)},
    }
    return identity_pool.Credentials.from_info(
        info, scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )


def gitlab_provider(fake) -> str:
    return ci.add_gitlab_provider(fake.state, demo.PROJECT, demo.PROJECT_NUMBER, demo.email("reader"))


def bitbucket_provider(fake) -> str:
    return ci.add_bitbucket_provider(fake.state, demo.PROJECT, demo.PROJECT_NUMBER, demo.email("reader"))


def test_the_issuers_are_on_their_real_hosts():
    assert ci.gitlab_issuer() == "https://gitlab.com"
    assert (
        ci.bitbucket_issuer("ws")
        == "https://api.bitbucket.org/2.0/workspaces/ws/pipelines-config/identity/oidc"
    )
    assert {"gitlab.com", "api.bitbucket.org"} <= set(data.all_hosts())


def test_discovery_and_keys(fake, client):
    for issuer in (ci.gitlab_issuer(), ci.bitbucket_issuer()):
        doc = client.get(f"{issuer}/.well-known/openid-configuration").json()
        assert doc["issuer"] == issuer
        keys = client.get(doc["jwks_uri"]).json()["keys"]
        assert keys[0]["kid"] == fake.state.issuer_key_id
    assert client.get("https://gitlab.com/demo-group/demo-app").status_code == 404
    assert client.get("https://api.bitbucket.org/2.0/repositories").status_code == 404


def test_tokens_are_signed_by_the_issuer_key(fake):
    gitlab = ci.mint_gitlab_token(fake.state, "https://gitlab.com")
    bitbucket = ci.mint_bitbucket_token(fake.state)
    for token in (gitlab, bitbucket):
        assert signature_ok(token, fake.state.issuer_public_key)
    _, claims, _, _ = split(gitlab)
    assert claims["sub"] == "project_path:demo-group/demo-app:ref_type:branch:ref:main"
    assert claims["iss"] == "https://gitlab.com" and claims["aud"] == "https://gitlab.com"
    _, claims, _, _ = split(bitbucket)
    assert claims["aud"] == f"ari:cloud:bitbucket::workspace/{ci.BITBUCKET_WORKSPACE_UUID}"
    assert claims["sub"].startswith(ci.BITBUCKET_REPOSITORY_UUID + ":{")
    assert claims["sub"].endswith("}") and claims["stepUuid"] == claims["sub"].split(":", 1)[1]


def test_a_gitlab_id_token_is_exchanged_and_pulls(fake, tmp_path, gauth_request):
    provider = gitlab_provider(fake)
    token = ci.mint_gitlab_token(fake.state, f"https://iam.googleapis.com/{provider}")
    creds = credentials(tmp_path, provider, token)
    creds.refresh(gauth_request)
    assert dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token)) == expected_digest(fake)


def test_a_token_file_written_with_echo_is_accepted(fake, tmp_path, gauth_request):
    provider = gitlab_provider(fake)
    token = ci.mint_gitlab_token(fake.state, f"https://iam.googleapis.com/{provider}")
    creds = credentials(tmp_path, provider, token + "\n")  # echo "$GCP_ID_TOKEN" > FILE
    creds.refresh(gauth_request)
    assert creds.token.startswith("ya29.")


def test_a_gitlab_token_for_another_audience_is_refused(fake, tmp_path, gauth_request):
    provider = gitlab_provider(fake)
    token = ci.mint_gitlab_token(fake.state, "https://gitlab.com")  # id_tokens: aud left at GitLab's URL
    with pytest.raises(REFUSED) as info:
        credentials(tmp_path, provider, token).refresh(gauth_request)
    assert "audience" in str(info.value)


def test_a_project_of_another_group_is_refused_by_the_condition(fake, tmp_path, gauth_request):
    provider = gitlab_provider(fake)
    token = ci.mint_gitlab_token(fake.state, f"https://iam.googleapis.com/{provider}", "other-group/app")
    with pytest.raises(REFUSED) as info:
        credentials(tmp_path, provider, token).refresh(gauth_request)
    assert "condition" in str(info.value)


def test_another_project_of_the_group_may_not_impersonate_the_reader(fake, tmp_path, gauth_request):
    provider = gitlab_provider(fake)
    token = ci.mint_gitlab_token(fake.state, f"https://iam.googleapis.com/{provider}", "demo-group/other-app")
    with pytest.raises(REFUSED) as info:
        credentials(tmp_path, provider, token).refresh(gauth_request)
    assert "iam.serviceAccounts.getAccessToken" in str(info.value)


def test_a_bitbucket_step_token_is_exchanged_and_pulls(fake, tmp_path, gauth_request):
    provider = bitbucket_provider(fake)
    creds = credentials(tmp_path, provider, ci.mint_bitbucket_token(fake.state))
    creds.refresh(gauth_request)
    assert dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token)) == expected_digest(fake)


def test_a_bitbucket_token_of_another_workspace_is_refused(fake, tmp_path, gauth_request):
    provider = bitbucket_provider(fake)
    token = ci.mint_bitbucket_token(fake.state, "other-ws", workspace_uuid="{0-other}")
    with pytest.raises(REFUSED):
        credentials(tmp_path, provider, token).refresh(gauth_request)


def test_a_token_signed_by_another_key_is_refused(fake, tmp_path, gauth_request):
    from garauth import keyfile
    from garauth.fake.jwts import sign

    provider = gitlab_provider(fake)
    other = keyfile.new_key_file("p", "a@p.iam.gserviceaccount.com", "1").key_file["private_key"]
    _, claims, _, _ = split(ci.mint_gitlab_token(fake.state, f"https://iam.googleapis.com/{provider}"))
    with pytest.raises(REFUSED):
        credentials(tmp_path, provider, sign(claims, other, "k")).refresh(gauth_request)

"""The fake's stand-in for GitHub Actions' OIDC issuer: its discovery document and keys, and
google-auth's identity_pool credentials exchanging a GitHub-shaped token through the fake's STS
and IAM credentials, as google-github-actions/auth does; and Google's refusal of a GitHub provider
without an attribute condition."""

from __future__ import annotations

import json

import google.auth.transport.requests
import pytest
from google.auth import exceptions, identity_pool

from garauth import data
from garauth.fake import demo, github_oidc
from garauth.fake.jwts import signature_ok, split
from garauth.fake.state import Invalid

from .test_clients import dxf_client, dxf_pull, expected_digest

REFUSED = (exceptions.RefreshError, exceptions.OAuthError)
ISSUER = "https://token.actions.githubusercontent.com"


@pytest.fixture
def gauth_request(fake):
    session = fake.requests_session()
    yield google.auth.transport.requests.Request(session)
    session.close()


@pytest.fixture
def provider(fake):
    return github_oidc.add_demo_provider(fake.state, demo.PROJECT, demo.PROJECT_NUMBER, demo.email("reader"))


def credentials(tmp_path, provider: str, token: str, account: str = "reader"):
    """The credential configuration google-github-actions/auth's exchange amounts to."""
    token_file = tmp_path / "github-oidc-token"
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


def test_the_issuer_is_github_s_host():
    assert github_oidc.issuer_url() == ISSUER
    assert data.endpoints()["github_oidc"] in data.all_hosts()


def test_discovery_document_and_keys_verify_a_minted_token(fake, client, provider):
    doc = client.get(f"{ISSUER}/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    keys = client.get(doc["jwks_uri"]).json()["keys"]
    token = github_oidc.mint_github_token(fake.state, github_oidc.provider_audience(provider))
    header, claims, _, _ = split(token)
    assert [k["kid"] for k in keys] == [header["kid"]]
    assert signature_ok(token, fake.state.issuer_public_key)
    assert claims["iss"] == ISSUER and claims["sub"] == "repo:demo-org/demo-app:ref:refs/heads/main"
    assert claims["aud"] == f"https://iam.googleapis.com/{provider}"
    assert claims["exp"] - claims["iat"] == 300
    assert client.get(f"{ISSUER}/nothing").status_code == 404


def test_github_token_exchanges_for_an_access_token_that_pulls(fake, tmp_path, gauth_request, provider):
    token = github_oidc.mint_github_token(fake.state, github_oidc.provider_audience(provider))
    creds = credentials(tmp_path, provider, token)
    creds.refresh(gauth_request)
    assert dxf_pull(dxf_client(fake, "oauth2accesstoken", creds.token)) == expected_digest(fake)


def test_another_owner_is_rejected_by_the_condition(fake, tmp_path, gauth_request, provider):
    token = github_oidc.mint_github_token(
        fake.state, github_oidc.provider_audience(provider), repository="someone-else/demo-app"
    )
    with pytest.raises(REFUSED, match="attribute condition"):
        credentials(tmp_path, provider, token).refresh(gauth_request)


def test_another_repository_of_the_owner_may_not_act_as_the_account(fake, tmp_path, gauth_request, provider):
    token = github_oidc.mint_github_token(
        fake.state, github_oidc.provider_audience(provider), repository="demo-org/other-app"
    )
    with pytest.raises(REFUSED) as info:
        credentials(tmp_path, provider, token).refresh(gauth_request)
    body = json.loads(info.value.args[1])
    assert body["error"]["message"] == (
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)."
    )


def test_the_token_expires_after_five_minutes(fake, tmp_path, gauth_request, provider):
    token = github_oidc.mint_github_token(fake.state, github_oidc.provider_audience(provider))
    fake.state.advance(301)
    with pytest.raises(REFUSED, match="expired"):
        credentials(tmp_path, provider, token).refresh(gauth_request)


def test_a_provider_for_github_needs_an_attribute_condition():
    from garauth.fake.state import State

    state = State()
    demo.seed(state)
    pool = state.add_pool(demo.PROJECT_NUMBER, "github")
    with pytest.raises(Invalid) as info:
        state.create_oidc_provider(pool, "github", ISSUER, [], dict(github_oidc.MAPPING))
    assert str(info.value) == github_oidc.CONDITION_REQUIRED
    assert state.create_oidc_provider(
        pool, "github", ISSUER, [], dict(github_oidc.MAPPING), github_oidc.CONDITION
    )
    # CircleCI's issuer is one per organisation: no condition is required there
    circleci = f"https://oidc.circleci.com/org/{demo.ORG_ID}"
    assert state.create_oidc_provider(pool, "other", circleci, [], {"google.subject": "assertion.sub"})

"""An OIDC issuer standing in for GitHub Actions' (https://token.actions.githubusercontent.com), and a
way for tests to mint GitHub-style OIDC tokens; and the check Google applies to providers that
trust an issuer shared by many organisations.

Claims follow GitHub's OIDC reference (https://docs.github.com/en/actions/reference/security/oidc):
iss is the issuer URL; aud defaults to the URL of the repository owner, and
google-github-actions/auth asks for `https://iam.googleapis.com/` + the provider's full name
(its src/main.ts); sub is `repo:OWNER/REPO:ref:REF` (the format of repositories created before
2026-07-15; newer ones add the owner and repository IDs); repository, repository_owner, their IDs,
ref, ref_type, sha, workflow, event_name, actor, run_id, runner_environment; iat, nbf, exp, jti.
The lifetime is 5 minutes, as google-github-actions/auth's README states ("As of the time of
this writing"; GitHub does not document it: UNCONFIRMED). The discovery document is at
/.well-known/openid-configuration, as GitHub's reference names it; its jwks_uri path
(/.well-known/jwks) is GitHub's as far as the fake knows (UNCONFIRMED): clients find it through
the discovery document. Tokens are signed with the state's issuer key, the one key the fake's
issuers share (made per workdir; test material, never committed).

Provider creation (garauth.fake.state.create_oidc_provider calls `condition_problem`): Google
requires an attribute condition on a provider whose issuer serves many organisations (GitHub,
GitLab.com, Terraform Cloud), and refuses one without it with the text below
(https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions;
the text as Google's API returns it is quoted in chainguard-dev/terraform-infra-common#672 and
terraform-google-modules/terraform-google-github-actions-runners#261). A condition that names no
claim is accepted here (UNCONFIRMED what Google does with one).
"""

from __future__ import annotations

import json
import re
import uuid

from starlette.requests import Request
from starlette.responses import Response

from garauth import data
from garauth.fake.jwts import sign
from garauth.fake.oidc import jwks
from garauth.fake.state import WORKLOAD_IDENTITY_USER, State

DEMO_OWNER = "demo-org"  # a made-up GitHub organisation
DEMO_REPOSITORY = f"{DEMO_OWNER}/demo-app"  # and its repository (OWNER/REPO)
DEMO_REPOSITORY_ID = "812345678"
DEMO_OWNER_ID = "91234567"
LIFETIME = 300
JWKS_PATH = "/.well-known/jwks"
SHARED_ISSUERS = ("https://gitlab.com", "https://app.terraform.io")  # besides GitHub's
CONDITION_REQUIRED = (
    "The attribute condition must reference one of the provider's claims. For more information, see "
    "https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions"
)
# The pool and provider of the guide's GitHub setup (examples/github/wif-setup.sh): the mapping and
# condition google-github-actions/auth's README shows, the condition limited to one owner.
POOL_ID = "github"
PROVIDER_ID = "github"
MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repository",
    "attribute.repository_owner": "assertion.repository_owner",
}
CONDITION = f"assertion.repository_owner == '{DEMO_OWNER}'"
_PATH = re.compile(r"^/\.well-known/(?P<doc>openid-configuration|jwks)$")


def issuer_url() -> str:
    return f"https://{data.endpoints()['github_oidc']}"


def provider_audience(provider_name: str) -> str:
    """The audience google-github-actions/auth asks GitHub for: https://iam.googleapis.com/PROVIDER."""
    return f"https://{data.endpoints()['iam']}/{provider_name}"


def pool_name(project_number: str) -> str:
    return f"projects/{project_number}/locations/global/workloadIdentityPools/{POOL_ID}"


def provider_name(project_number: str) -> str:
    return f"{pool_name(project_number)}/providers/{PROVIDER_ID}"


def repository_member(project_number: str, repository: str = DEMO_REPOSITORY) -> str:
    """Every workflow run of one repository, as a principalSet."""
    return f"principalSet://iam.googleapis.com/{pool_name(project_number)}/attribute.repository/{repository}"


def add_demo_provider(state: State, project: str, project_number: str, account_email: str) -> str:
    """What examples/github/wif-setup.sh makes: the pool, the provider for GitHub's issuer, and
    the binding that lets the demo repository's runs act as the account. Returns the provider."""
    pool = state.add_pool(project_number, POOL_ID)
    state.add_oidc_provider(pool, PROVIDER_ID, issuer_url(), [], dict(MAPPING), CONDITION)
    account = f"projects/{project}/serviceAccounts/{account_email}"
    state.grant(account, WORKLOAD_IDENTITY_USER, repository_member(project_number))
    return provider_name(project_number)


def mint_github_token(
    state: State,
    audience: str,
    repository: str = DEMO_REPOSITORY,
    *,
    ref: str = "refs/heads/main",
    event_name: str = "push",
    lifetime: int = LIFETIME,
    extra: dict | None = None,
) -> str:
    """A token shaped like the one a GitHub Actions job gets with id-token: write."""
    owner = repository.split("/", 1)[0]
    now = int(state.now())
    payload = {
        "iss": issuer_url(),
        "aud": audience,
        "sub": f"repo:{repository}:ref:{ref}",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now - 5,
        "exp": now + lifetime,
        "repository": repository,
        "repository_id": DEMO_REPOSITORY_ID,
        "repository_owner": owner,
        "repository_owner_id": DEMO_OWNER_ID,
        "repository_visibility": "private",
        "ref": ref,
        "ref_type": "branch",
        "sha": "3f1c0ffee9b1d5e7a2c4b6d8e0f1a3c5b7d9e2f4",
        "workflow": "ci",
        "event_name": event_name,
        "actor": "demo-user",
        "run_id": "1",
        "run_number": "1",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
    }
    payload.update(extra or {})
    state.ensure_issuer_key()
    return sign(payload, state.issuer_private_pem, state.issuer_key_id)


def signs(issuer: str) -> bool:
    """Whether tokens of this issuer are the fake's own (signed with the state's issuer key)."""
    return issuer == issuer_url()


def condition_problem(issuer: str, attribute_condition: str | None) -> str | None:
    """Google's refusal of a provider for a shared issuer without an attribute condition."""
    shared = issuer.rstrip("/") in (issuer_url(), *SHARED_ISSUERS)
    if shared and not (attribute_condition or "").strip():
        return CONDITION_REQUIRED
    return None


class GithubIssuer:
    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        m = _PATH.match(request.url.path)
        if not m or request.method not in ("GET", "HEAD"):
            # GitHub's answer to other paths is not known; the fake's choice: 404 with a JSON body.
            response = Response(b'{"error":"not found"}', status_code=404, media_type="application/json")
        elif m["doc"] == "openid-configuration":
            iss = issuer_url()
            doc = {
                "issuer": iss,
                "jwks_uri": iss + JWKS_PATH,
                "subject_types_supported": ["public", "pairwise"],
                "response_types_supported": ["id_token"],
                "claims_supported": [
                    "sub",
                    "aud",
                    "exp",
                    "iat",
                    "iss",
                    "jti",
                    "nbf",
                    "ref",
                    "sha",
                    "repository",
                    "repository_id",
                    "repository_owner",
                    "repository_owner_id",
                    "run_id",
                    "run_number",
                    "run_attempt",
                    "actor",
                    "workflow",
                    "event_name",
                    "ref_type",
                    "runner_environment",
                ],  # fmt: skip
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid"],
            }
            response = Response(json.dumps(doc).encode(), media_type="application/json")
        else:
            response = Response(json.dumps(jwks(self.state)).encode(), media_type="application/json")
        request.scope.setdefault("garauth", {})["outcome"] = str(response.status_code)
        await response(scope, receive, send)

"""OIDC issuers standing in for GitLab.com's (https://gitlab.com) and Bitbucket Pipelines'
(https://api.bitbucket.org/2.0/workspaces/WORKSPACE/pipelines-config/identity/oidc), and a way
for tests to mint their tokens: what a GitLab job gets from `id_tokens:` and a Bitbucket step
with `oidc: true` gets in $BITBUCKET_STEP_OIDC_TOKEN.

GitLab's ID tokens (https://docs.gitlab.com/ci/secrets/id_token_authentication/): `iss` the
instance's URL, `sub` `project_path:GROUP/PROJECT:ref_type:TYPE:ref:REF`, `aud` as the job's
`id_tokens:` sets it, `iat`, `nbf`, `exp`, `jti`, and GitLab's own claims (namespace_path,
project_path, ref, ref_type, ref_protected, user_login, pipeline_source, job_id, ...). The
lifetime the fake gives them, one hour (GitLab's default job timeout), is its own choice
(UNCONFIRMED). Discovery is at /.well-known/openid-configuration; the JWKS path
/oauth/discovery/keys is GitLab's as far as the fake knows (UNCONFIRMED).

Bitbucket's tokens (https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/):
`iss` the workspace's identity provider URL, `aud` `ari:cloud:bitbucket::workspace/WORKSPACE_UUID`
(the Audience the repository's OpenID Connect settings show), `sub` `{REPOSITORY_UUID}:{STEP_UUID}`,
and `workspaceUuid`, `repositoryUuid`, `pipelineUuid`, `stepUuid`, `branchName`
(`deploymentEnvironmentUuid` in a deployment step). The claim names beyond `sub` and the
lifetime (one hour here) are taken from third-party code and are UNCONFIRMED. Discovery and
keys are at ISSUER/.well-known/openid-configuration and ISSUER/keys.json, as Bitbucket's REST API
reference lists them (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pipelines/).

Tokens are signed with the state's issuer key, the one key the fake's issuers share (made per
workdir; test material, never committed). STS trusts them through `signs(issuer)`.
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

LIFETIME = 3600
# The made-up GitLab project and Bitbucket repository of the guide's examples.
GITLAB_NAMESPACE = "demo-group"
GITLAB_PROJECT = f"{GITLAB_NAMESPACE}/demo-app"
GITLAB_JWKS_PATH = "/oauth/discovery/keys"
BITBUCKET_WORKSPACE = "demo-workspace"
BITBUCKET_WORKSPACE_UUID = "{2f1c4d6e-8a0b-4c3d-9e5f-7a1b3c5d7e9f}"
BITBUCKET_REPOSITORY_UUID = "{6b8d0f2a-4c6e-4a1b-8d3f-5e7a9c1b3d5f}"
_BITBUCKET_PATH = re.compile(
    r"^/2\.0/workspaces/(?P<ws>[A-Za-z0-9_.-]+)/pipelines-config/identity/oidc"
    r"/(?P<doc>\.well-known/openid-configuration|keys\.json)$"
)


# The pools and providers of the guide's setups (examples/gitlab/wif-setup.sh and
# examples/bitbucket/wif-setup.sh): the subject as google.subject, the claims that name the
# project or repository as attributes, a condition that admits one GitLab group or Bitbucket
# workspace, and a binding for one project or repository.
GITLAB_POOL = "gitlab"
GITLAB_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.project_path": "assertion.project_path",
    "attribute.namespace_path": "assertion.namespace_path",
}
GITLAB_CONDITION = f"assertion.namespace_path == '{GITLAB_NAMESPACE}'"
BITBUCKET_POOL = "bitbucket"
BITBUCKET_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.repository": "assertion.repositoryUuid",
    "attribute.workspace": "assertion.workspaceUuid",
}
BITBUCKET_CONDITION = f"assertion.workspaceUuid == '{BITBUCKET_WORKSPACE_UUID}'"


def gitlab_issuer() -> str:
    return f"https://{data.endpoints()['gitlab_oidc']}"


def bitbucket_issuer(workspace: str = BITBUCKET_WORKSPACE) -> str:
    return f"https://{data.endpoints()['bitbucket_oidc']}/2.0/workspaces/{workspace}/pipelines-config/identity/oidc"


def bitbucket_audience(workspace_uuid: str = BITBUCKET_WORKSPACE_UUID) -> str:
    return f"ari:cloud:bitbucket::workspace/{workspace_uuid}"


def pool_name(project_number: str, pool_id: str) -> str:
    return f"projects/{project_number}/locations/global/workloadIdentityPools/{pool_id}"


def gitlab_member(project_number: str, project_path: str = GITLAB_PROJECT) -> str:
    """Every job of one GitLab project, as a principalSet."""
    return f"principalSet://iam.googleapis.com/{pool_name(project_number, GITLAB_POOL)}/attribute.project_path/{project_path}"


def bitbucket_member(project_number: str, repository_uuid: str = BITBUCKET_REPOSITORY_UUID) -> str:
    """Every step of one Bitbucket repository, as a principalSet."""
    return f"principalSet://iam.googleapis.com/{pool_name(project_number, BITBUCKET_POOL)}/attribute.repository/{repository_uuid}"


def add_gitlab_provider(state: State, project: str, project_number: str, account_email: str) -> str:
    """What examples/gitlab/wif-setup.sh makes; returns the provider's name."""
    pool = state.add_pool(project_number, GITLAB_POOL)
    provider = state.add_oidc_provider(
        pool, GITLAB_POOL, gitlab_issuer(), [], dict(GITLAB_MAPPING), GITLAB_CONDITION
    )
    state.grant(
        f"projects/{project}/serviceAccounts/{account_email}",
        WORKLOAD_IDENTITY_USER,
        gitlab_member(project_number),
    )
    return provider


def add_bitbucket_provider(state: State, project: str, project_number: str, account_email: str) -> str:
    """What examples/bitbucket/wif-setup.sh makes; returns the provider's name."""
    pool = state.add_pool(project_number, BITBUCKET_POOL)
    provider = state.add_oidc_provider(
        pool,
        BITBUCKET_POOL,
        bitbucket_issuer(),
        [bitbucket_audience()],
        dict(BITBUCKET_MAPPING),
        BITBUCKET_CONDITION,
    )
    member = bitbucket_member(project_number)
    state.grant(f"projects/{project}/serviceAccounts/{account_email}", WORKLOAD_IDENTITY_USER, member)
    return provider


def signs(issuer: str) -> bool:
    """Whether tokens of this issuer are the fake's own (signed with the state's issuer key)."""
    return issuer.rstrip("/") == gitlab_issuer() or (
        issuer.startswith(f"https://{data.endpoints()['bitbucket_oidc']}/2.0/workspaces/")
        and issuer.endswith("/pipelines-config/identity/oidc")
    )


def _signed(state: State, payload: dict) -> str:
    state.ensure_issuer_key()
    return sign(payload, state.issuer_private_pem, state.issuer_key_id)


def mint_gitlab_token(
    state: State,
    audience: str | list[str],
    project_path: str = GITLAB_PROJECT,
    *,
    ref: str = "main",
    ref_type: str = "branch",
    lifetime: int = LIFETIME,
    extra: dict | None = None,
) -> str:
    """A token shaped like one a GitLab.com job gets from `id_tokens:` with this `aud`."""
    now = int(state.now())
    namespace = project_path.rsplit("/", 1)[0]
    payload = {
        "iss": gitlab_issuer(),
        "sub": f"project_path:{project_path}:ref_type:{ref_type}:ref:{ref}",
        "aud": audience,
        "iat": now,
        "nbf": now - 5,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
        "namespace_id": "71234567",
        "namespace_path": namespace,
        "project_id": "51234567",
        "project_path": project_path,
        "user_id": "1234567",
        "user_login": "demo-user",
        "user_email": "demo-user@example.com",
        "user_access_level": "developer",
        "pipeline_id": "1",
        "pipeline_source": "push",
        "job_id": "1",
        "ref": ref,
        "ref_type": ref_type,
        "ref_path": f"refs/heads/{ref}" if ref_type == "branch" else f"refs/tags/{ref}",
        "ref_protected": "true",
        "runner_id": 1,
        "runner_environment": "gitlab-hosted",
        "sha": "3f1c0ffee9b1d5e7a2c4b6d8e0f1a3c5b7d9e2f4",
    }
    payload.update(extra or {})
    return _signed(state, payload)


def mint_bitbucket_token(
    state: State,
    workspace: str = BITBUCKET_WORKSPACE,
    *,
    workspace_uuid: str = BITBUCKET_WORKSPACE_UUID,
    repository_uuid: str = BITBUCKET_REPOSITORY_UUID,
    branch: str = "main",
    audience: str | list[str] | None = None,
    lifetime: int = LIFETIME,
    extra: dict | None = None,
) -> str:
    """A token shaped like $BITBUCKET_STEP_OIDC_TOKEN in a step with `oidc: true`."""
    now = int(state.now())
    step = "{" + str(uuid.uuid4()) + "}"
    payload = {
        "iss": bitbucket_issuer(workspace),
        "aud": audience if audience is not None else bitbucket_audience(workspace_uuid),
        "sub": f"{repository_uuid}:{step}",
        "iat": now,
        "exp": now + lifetime,
        "workspaceUuid": workspace_uuid,
        "repositoryUuid": repository_uuid,
        "pipelineUuid": "{" + str(uuid.uuid4()) + "}",
        "stepUuid": step,
        "branchName": branch,
    }
    payload.update(extra or {})
    return _signed(state, payload)


def _json(doc: dict, status: int = 200) -> Response:
    return Response(json.dumps(doc).encode(), status_code=status, media_type="application/json")


def _discovery(issuer: str, jwks_uri: str) -> dict:
    return {
        "issuer": issuer,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


class GitlabIssuer:
    """GitLab.com's discovery document and keys (the rest of gitlab.com is not served: 404)."""

    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        path, iss = request.url.path, gitlab_issuer()
        if request.method not in ("GET", "HEAD"):
            response = _json({"error": "not found"}, 404)
        elif path == "/.well-known/openid-configuration":
            response = _json(_discovery(iss, iss + GITLAB_JWKS_PATH))
        elif path == GITLAB_JWKS_PATH:
            response = _json(jwks(self.state))
        else:
            response = _json({"error": "not found"}, 404)  # GitLab's answer elsewhere: not the fake's concern
        request.scope.setdefault("garauth", {})["outcome"] = str(response.status_code)
        await response(scope, receive, send)


class BitbucketIssuer:
    """Bitbucket Pipelines' per-workspace discovery document and keys (the rest: 404)."""

    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        m = _BITBUCKET_PATH.match(request.url.path)
        if not m or request.method not in ("GET", "HEAD"):
            response = _json({"error": "not found"}, 404)
        elif m["doc"] == "keys.json":
            response = _json(jwks(self.state))
        else:
            iss = bitbucket_issuer(m["ws"])
            response = _json(_discovery(iss, iss + "/keys.json"))
        request.scope.setdefault("garauth", {})["outcome"] = str(response.status_code)
        await response(scope, receive, send)

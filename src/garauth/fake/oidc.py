"""An OIDC issuer standing in for CircleCI's (https://oidc.circleci.com/org/ORG_ID), and a way
for tests to mint CircleCI-style OIDC tokens.

Claims follow CircleCI's documentation of its OIDC tokens (reference §7.4,
https://circleci.com/docs/openid-connect-tokens/): iss, sub (V1
`org/ORG/project/PROJECT/user/USER`; V2 adds `/vcs-origin/ORIGIN/vcs-ref/REF`), aud = the org ID,
exp one hour after issue, and `oidc.circleci.com/...` claims. The signing key is the state's
issuer key (made per workdir; test material, never committed). The JWKS path
`/.well-known/jwks-pub.json` is CircleCI's as far as the fake knows (UNCONFIRMED); clients find it
through `jwks_uri` in the discovery document anyway.
"""

from __future__ import annotations

import base64
import json
import re
import uuid

from cryptography.hazmat.primitives import serialization
from starlette.requests import Request
from starlette.responses import Response

from garauth import data
from garauth.fake import errors
from garauth.fake.jwts import sign
from garauth.fake.state import State

_PATH = re.compile(r"^/org/(?P<org>[A-Za-z0-9-]+)/\.well-known/(?P<doc>openid-configuration|jwks-pub\.json)$")


def issuer_url(org_id: str) -> str:
    return f"https://{data.endpoints()['circleci_oidc']}/org/{org_id}"


def mint_circleci_token(
    state: State,
    org_id: str,
    project_id: str,
    user_id: str | None = None,
    *,
    v2: bool = False,
    audience: str | list[str] | None = None,
    lifetime: int = 3600,
    vcs_origin: str = "github.com/demo-org/demo-app",
    vcs_ref: str = "refs/heads/main",
    context_ids: list[str] | None = None,
    extra: dict | None = None,
) -> str:
    """A token shaped like $CIRCLE_OIDC_TOKEN (or _V2), signed by the fake issuer."""
    user_id = user_id or str(uuid.UUID(int=0x1234))
    now = int(state.now())
    sub = f"org/{org_id}/project/{project_id}/user/{user_id}"
    if v2:
        sub += f"/vcs-origin/{vcs_origin}/vcs-ref/{vcs_ref}"
    payload = {
        "iss": issuer_url(org_id),
        "sub": sub,
        "aud": audience if audience is not None else org_id,
        "iat": now,
        "exp": now + lifetime,
        "oidc.circleci.com/project-id": project_id,
        "oidc.circleci.com/context-ids": context_ids or [],
        "oidc.circleci.com/vcs-origin": vcs_origin,
        "oidc.circleci.com/vcs-ref": vcs_ref,
    }
    payload.update(extra or {})
    return sign(payload, state.issuer_private_pem, state.issuer_key_id)


def jwks(state: State) -> dict:
    state.ensure_issuer_key()
    public = serialization.load_pem_public_key(state.issuer_public_key.encode())
    numbers = public.public_numbers()

    def b64(n: int) -> str:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {
        "keys": [
            {
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": state.issuer_key_id,
                "n": b64(numbers.n),
                "e": b64(numbers.e),
            }
        ]
    }


class OidcIssuer:
    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        m = _PATH.match(request.url.path)
        if not m or request.method not in ("GET", "HEAD"):
            response = Response(
                errors.oauth_body(errors.OAUTH_NOT_FOUND), status_code=404, media_type="application/json"
            )
        elif m["doc"] == "openid-configuration":
            iss = issuer_url(m["org"])
            doc = {
                "issuer": iss,
                "jwks_uri": f"{iss}/.well-known/jwks-pub.json",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
            response = Response(json.dumps(doc).encode(), media_type="application/json")
        else:
            response = Response(json.dumps(jwks(self.state)).encode(), media_type="application/json")
        request.scope.setdefault("garauth", {})["outcome"] = str(response.status_code)
        await response(scope, receive, send)

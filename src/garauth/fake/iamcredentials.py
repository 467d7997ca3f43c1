"""IAM Service Account Credentials API: generateAccessToken, the impersonation step of Workload
Identity Federation. https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken

The caller's bearer token (a federated token from STS, or an access token) must belong to a
principal with `iam.serviceAccounts.getAccessToken` on the account (roles/iam.workloadIdentityUser
or roles/iam.serviceAccountTokenCreator, on the account or its project).
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from garauth.fake import bodies, errors
from garauth.fake.oauth import note
from garauth.fake.state import ACCESS_TOKEN_LIFETIME, Principal, State

_PATH = re.compile(r"^/v1/projects/-/serviceAccounts/(?P<sa>[^/:]+):generateAccessToken$")
LIFETIME = re.compile(r"(\d{1,12})(?:\.\d{1,9})?s")


def api_error(error: errors.FakeError) -> Response:
    """Google's API error shape for one of errors.py's records."""
    return Response(error.body(), status_code=error.status, media_type="application/json")


class IamCredentials:
    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        m = _PATH.match(request.url.path)
        if not m or request.method != "POST":
            response = api_error(errors.IAM_NOT_FOUND)
        else:
            response = await self.generate(request, unquote(m["sa"]))
        await response(scope, receive, send)

    async def generate(self, request: Request, email: str) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        caller = (
            self.state.token_principal(token.strip(), ("access", "federated"))
            if scheme.lower() == "bearer"
            else None
        )
        if caller is None:
            note(request, outcome="UNAUTHENTICATED")
            return api_error(errors.IAM_UNAUTHENTICATED)
        note(request, principal=str(caller))
        resource = self.state.service_account_resource(email)
        if (
            resource is None
            or not self.state.account_enabled(email)
            or not self.state.has_permission(caller, errors.GET_ACCESS_TOKEN, resource)
        ):
            note(request, outcome="PERMISSION_DENIED")
            return api_error(errors.GET_ACCESS_TOKEN_DENIED)
        try:  # the caller may act as the account: only now is the body read
            body = await bodies.read(request, bodies.JSON_LIMIT)
        except bodies.BodyTooLarge:
            note(request, outcome="INVALID_ARGUMENT", reason="body too large")
            return api_error(errors.IAM_TOO_LARGE)
        except (bodies.BadLength, bodies.ClientGone):
            return api_error(errors.IAM_BAD_JSON)
        try:
            wanted = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            wanted = None
        if not isinstance(wanted, dict):
            note(request, outcome="INVALID_ARGUMENT", reason="body is not a JSON object")
            return api_error(errors.IAM_BAD_JSON)
        lifetime = ACCESS_TOKEN_LIFETIME
        m = LIFETIME.fullmatch(str(wanted.get("lifetime", "3600s")))
        if m:
            lifetime = int(m[1])
        if lifetime > 3600:
            return api_error(errors.IAM_LIFETIME)
        access, expiry = self.state.issue_token(Principal("serviceAccount", email), "access", lifetime)
        note(request, outcome="token")
        out = {"accessToken": access, "expireTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))}
        return Response(json.dumps(out).encode(), media_type="application/json")

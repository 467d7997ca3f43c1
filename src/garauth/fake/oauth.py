"""The OAuth 2.0 token endpoint (oauth2.googleapis.com/token), JWT-bearer grant only.

A service-account key signs an assertion (iss = the account, aud = the token URI, kid = the key
ID); the fake checks its signature with google-auth's own verifier against the key's registered
public key and answers as Google does: https://developers.google.com/identity/protocols/oauth2/service-account
The assertion's iat/exp are checked against the real clock (the client's), since the client
makes it fresh; the access token's lifetime follows the fake's clock.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from google.auth import jwt as gjwt
from starlette.requests import Request
from starlette.responses import Response

from garauth import keyfile
from garauth.fake import bodies, errors
from garauth.fake.jwts import BadJwt, signature_ok, split
from garauth.fake.state import ACCESS_TOKEN_LIFETIME, Principal, State

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
OLD_TOKEN_URIS = ("https://accounts.google.com/o/oauth2/token", "https://www.googleapis.com/oauth2/v4/token")


def oauth_error(error: errors.FakeError, **fields) -> Response:
    """The OAuth-shaped answer for one of errors.py's records."""
    return Response(error.body(**fields), status_code=error.status, media_type="application/json")


class BadForm(Exception):
    """A token request whose form cannot be read: the refusal to send."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def form(request: Request) -> dict[str, str]:
    """The request's form fields (first value of each), read within bodies.FORM_LIMIT."""
    try:
        body = (await bodies.read(request, bodies.FORM_LIMIT)).decode("utf-8", "replace")
    except bodies.BodyTooLarge:
        note(request, outcome="invalid_request", reason="form too large")
        raise BadForm(oauth_error(errors.FORM_TOO_LARGE)) from None
    except (bodies.BadLength, bodies.ClientGone):
        note(request, outcome="invalid_request", reason="no readable body")
        raise BadForm(oauth_error(errors.INVALID_REQUEST)) from None
    try:
        fields = parse_qs(body, keep_blank_values=True, max_num_fields=64)
    except ValueError:
        note(request, outcome="invalid_request", reason="too many form fields")
        raise BadForm(oauth_error(errors.INVALID_REQUEST)) from None
    return {k: v[0] for k, v in fields.items()}


def note(request: Request, **fields) -> None:
    request.scope.setdefault("garauth", {}).update(fields)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class OAuth:
    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        if request.url.path != "/token" or request.method != "POST":
            response = oauth_error(errors.OAUTH_NOT_FOUND)
        else:
            try:
                response = self.token(await form(request), request)
            except BadForm as bad:
                response = bad.response
        await response(scope, receive, send)

    def token(self, fields: dict[str, str], request: Request) -> Response:
        if fields.get("grant_type") != JWT_BEARER:
            note(request, outcome="unsupported_grant_type")
            return oauth_error(errors.UNSUPPORTED_GRANT, grant_type=fields.get("grant_type", ""))
        assertion = fields.get("assertion", "")
        try:
            header, payload, _, _ = split(assertion)
        except BadJwt:
            note(request, outcome="invalid_request")
            return oauth_error(errors.INVALID_REQUEST)
        email = str(payload.get("iss", ""))
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            kid = "(not a key ID)"  # matches no key
        candidates = self.state.public_keys(email, kid or None)
        if not any(signature_ok(assertion, k) for k in candidates):
            note(request, outcome="invalid_grant", reason="signature")
            return oauth_error(errors.INVALID_JWT_SIGNATURE)
        if not self.state.account_enabled(email):
            note(request, outcome="invalid_grant", reason="account disabled")
            return oauth_error(errors.ACCOUNT_NOT_FOUND)
        try:
            # google-auth's own checks of iat/exp (real clock, 60 s skew)
            gjwt.decode(assertion, verify=True, certs=candidates, clock_skew_in_seconds=60)
        except (ValueError, TypeError):  # TypeError: iat or exp that is not a number
            note(request, outcome="invalid_grant", reason="time")
            return oauth_error(errors.JWT_TIME)
        iat, exp = payload.get("iat"), payload.get("exp")
        if not _is_number(iat) or not _is_number(exp) or exp - iat > 3600:
            note(request, outcome="invalid_grant", reason="lifetime")
            return oauth_error(errors.JWT_TIME)
        if payload.get("aud") not in (keyfile.token_uri(),) + OLD_TOKEN_URIS:
            note(request, outcome="invalid_grant", reason="audience")
            return oauth_error(errors.JWT_AUDIENCE)
        scope = payload.get("scope")
        if not isinstance(scope, str) or not scope.strip():
            note(request, outcome="invalid_scope", reason="no scope")
            return oauth_error(errors.INVALID_SCOPE)
        principal = Principal("serviceAccount", email)
        token, expiry = self.state.issue_token(principal, "access", ACCESS_TOKEN_LIFETIME)
        note(request, principal=str(principal), outcome="token")
        body = {
            "access_token": token,
            "expires_in": max(0, round(expiry - self.state.now()) - 1),
            "token_type": "Bearer",
        }
        return Response(
            json.dumps(body).encode(), media_type="application/json", headers={"Cache-Control": "no-store"}
        )

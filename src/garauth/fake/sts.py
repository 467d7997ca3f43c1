"""Security Token Service (sts.googleapis.com/v1/token): RFC 8693 token exchange for Workload
Identity Federation. https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token

The subject token must be signed by the provider's issuer (the fake's OIDC issuer), unexpired,
with an `aud` among the provider's allowed audiences (default: the provider's resource name with
`https:` or `//` in front); the attribute mapping must give a `google.subject` of at most 127
bytes, and the attribute condition must hold. The answer is a federated access token whose
principal is `principal://iam.googleapis.com/POOL/subject/SUBJECT`, with the mapped attributes for
`principalSet://` bindings.
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request
from starlette.responses import Response

from garauth import data
from garauth.fake import cel, errors, github_oidc, gitlab_bitbucket_oidc
from garauth.fake.jwts import BadJwt, signature_ok, split
from garauth.fake.oauth import BadForm, form, note, oauth_error
from garauth.fake.state import ACCESS_TOKEN_LIFETIME, IAM_PREFIX, Principal, State

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token")
_AUDIENCE = re.compile(
    r"^//iam\.googleapis\.com/(?P<pool>projects/(?P<project>[^/]+)/locations/global/workloadIdentityPools/"
    r"[^/]+)/providers/[^/]+$"
)
SUBJECT_LIMIT = 127


class Sts:
    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        if request.url.path != "/v1/token" or request.method != "POST":
            response = oauth_error(errors.OAUTH_NOT_FOUND)
        else:
            try:
                response = self.exchange(await form(request), request)
            except BadForm as bad:
                response = bad.response
        await response(scope, receive, send)

    def exchange(self, fields: dict[str, str], request: Request) -> Response:
        def refuse(error: errors.FakeError, reason: str, **fields) -> Response:
            note(request, outcome=error.code, reason=reason)
            return oauth_error(error, **fields)

        if fields.get("grant_type") != TOKEN_EXCHANGE:
            return refuse(errors.UNSUPPORTED_GRANT, "grant type", grant_type=fields.get("grant_type", ""))
        if fields.get("subject_token_type") not in SUBJECT_TYPES:
            return refuse(errors.INVALID_REQUEST, "subject token type")
        audience = fields.get("audience", "")
        m = _AUDIENCE.match(audience)
        if not m or not m["project"].isdigit():
            # a pool named with the project ID lands here (UNCONFIRMED which text STS sends)
            return refuse(errors.INVALID_AUDIENCE, "audience is not a provider resource name")
        provider_name = audience[len(IAM_PREFIX) :]
        provider = self.state.active_provider(provider_name)
        if provider is None:
            return refuse(errors.STS_NO_PROVIDER, "pool or provider missing or disabled")
        # A token file written with `echo` ends in a newline, which google-auth sends as it is;
        # vendors document such files for STS (GitLab, CircleCI), so it is accepted: UNCONFIRMED.
        subject_token = fields.get("subject_token", "").strip()
        try:
            _, claims, _, _ = split(subject_token)
        except BadJwt:
            return refuse(errors.STS_BAD_TOKEN, "subject token is not a JWT")
        if claims.get("iss") != provider["issuer"]:
            return refuse(errors.STS_WRONG_ISSUER, "issuer", issuer=str(claims.get("iss")))
        if not self._issuer_signed(subject_token, provider["issuer"]):
            return refuse(errors.STS_BAD_TOKEN, "signature")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= self.state.now():
            return refuse(errors.STS_EXPIRED, "expired")
        allowed = provider["allowed_audiences"] or [f"https:{audience}", audience]
        token_aud = claims.get("aud")
        token_auds = token_aud if isinstance(token_aud, list) else [token_aud]
        if not set(map(str, token_auds)).intersection(allowed):
            return refuse(errors.STS_WRONG_AUDIENCE, "audience", audience=",".join(map(str, token_auds)))
        try:
            attributes = cel.map_attributes(provider["attribute_mapping"], claims)
        except cel.CelError as err:
            return refuse(errors.INVALID_REQUEST, f"attribute mapping: {err}")
        subject = attributes.get("google.subject")
        if not isinstance(subject, str) or not subject:
            return refuse(errors.INVALID_REQUEST, "no google.subject")
        if len(subject.encode("utf-8")) > SUBJECT_LIMIT:
            return refuse(errors.SUBJECT_TOO_LONG, "google.subject too long")
        try:
            holds = cel.condition_holds(provider.get("attribute_condition"), claims, attributes)
        except cel.CelError as err:
            return refuse(errors.STS_CONDITION, f"attribute condition: {err}")
        if not holds:
            return refuse(errors.STS_CONDITION, "attribute condition false")
        principal = Principal(
            "federated",
            f"principal://iam.googleapis.com/{m['pool']}/subject/{subject}",
            {k: v for k, v in attributes.items() if k != "google.subject"},
            m["pool"],
        )
        token, expiry = self.state.issue_token(principal, "federated", ACCESS_TOKEN_LIFETIME)
        note(request, principal=str(principal), outcome="token")
        body = {
            "access_token": token,
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": max(0, round(expiry - self.state.now()) - 1),
        }
        return Response(json.dumps(body).encode(), media_type="application/json")

    def _issuer_signed(self, token: str, issuer: str) -> bool:
        circleci = issuer.startswith(f"https://{data.endpoints()['circleci_oidc']}/")
        if not circleci and not github_oidc.signs(issuer) and not gitlab_bitbucket_oidc.signs(issuer):
            return False  # the fake knows only its own issuers' keys
        self.state.ensure_issuer_key()
        return signature_ok(token, self.state.issuer_public_key)

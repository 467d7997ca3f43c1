"""What Google's REST APIs share, for the fake's admin APIs (Resource Manager, IAM, Artifact
Registry): routes over `v1/...` paths with custom verbs (`...:setIamPolicy`), the caller's bearer
token, permission checks, the error body, IAM policy bodies and long-running operations.

- Errors: `{"error": {"code", "message", "status"}}` with the HTTP status of the canonical code
  (https://cloud.google.com/apis/design/errors).
- Policies: `{"version", "etag", "bindings": [{"role", "members"}]}`. A policy without conditions
  is answered as version 1 whatever version was asked for; a setIamPolicy whose etag is stale
  fails with 409 ABORTED (https://cloud.google.com/iam/docs/reference/rest/v1/Policy).
- Operations: `{"name", "metadata", "done"}`, and `response` once done
  (https://google.aip.dev/151).

Each error the admin APIs can send is one `ErrorText` below: status, code, message, where the
message comes from, and whether a primary source confirms it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from garauth.fake import bodies
from garauth.fake.oauth import note
from garauth.fake.state import Conflict, Principal, State

TOKEN_KINDS = ("access", "federated")


class ApiError(Exception):
    """A refusal in Google's API error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"error": {"code": self.status, "message": self.message, "status": self.code}}
        return Response(
            json.dumps(body, indent=2).encode(),
            status_code=self.status,
            media_type="application/json; charset=UTF-8",
            headers=self.headers,
        )


@dataclass(frozen=True)
class ErrorText:
    """One error the admin APIs send: HTTP status, canonical code, message (a format string over
    the values given when raised), its source, and whether that source confirms the text."""

    status: int
    code: str
    message: str
    source: str
    confirmed: bool

    def __call__(self, **values: str) -> ApiError:
        return ApiError(self.status, self.code, self.message.format(**values))


_ERRORS_PAGE = "https://cloud.google.com/apis/design/errors"

# The two 401 texts Google's front end sends for a missing and for a refused credential. The
# second is quoted in google-github-actions/auth#526's neighbourhood and countless logs; neither is
# on a reference page, so both are marked unconfirmed.
CREDENTIAL_MISSING = ErrorText(
    401,
    "UNAUTHENTICATED",
    "Request is missing required authentication credential. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    _ERRORS_PAGE,
    False,
)
CREDENTIAL_INVALID = ErrorText(
    401,
    "UNAUTHENTICATED",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    _ERRORS_PAGE,
    False,
)
# Google's generic texts for the canonical codes (https://cloud.google.com/apis/design/errors
# lists the codes; the wordings are the fake's choice where no page quotes them).
NOT_FOUND = ErrorText(404, "NOT_FOUND", "Requested entity was not found.", _ERRORS_PAGE, False)
UNKNOWN_PATH = ErrorText(404, "NOT_FOUND", "The fake does not serve {method} {path}.", "", False)
BAD_JSON = ErrorText(400, "INVALID_ARGUMENT", "Invalid JSON payload received. {detail}", _ERRORS_PAGE, False)
# The admin APIs' bodies are small JSON objects; a larger one is refused before it is read whole.
BODY_TOO_LARGE = ErrorText(
    413, "INVALID_ARGUMENT", "The request body is larger than {limit} bytes.", "", False
)
INVALID = ErrorText(400, "INVALID_ARGUMENT", "{detail}", _ERRORS_PAGE, False)
ALREADY_EXISTS = ErrorText(409, "ALREADY_EXISTS", "{detail}", _ERRORS_PAGE, False)
# The etag rule is on https://cloud.google.com/iam/docs/reference/rest/v1/Policy (409, ABORTED);
# the message text is the fake's.
POLICY_CONFLICT = ErrorText(
    409,
    "ABORTED",
    "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
    "https://cloud.google.com/iam/docs/reference/rest/v1/Policy",
    False,
)
ROLE_NOT_SUPPORTED = ErrorText(
    400, "INVALID_ARGUMENT", "Role {role} is not supported for this resource.", _ERRORS_PAGE, False
)
MEMBER_UNKNOWN = ErrorText(
    400, "INVALID_ARGUMENT", "Service account {email} does not exist.", _ERRORS_PAGE, False
)
MEMBER_MALFORMED = ErrorText(
    400, "INVALID_ARGUMENT", "Invalid member: {member}. Members are written TYPE:VALUE.", _ERRORS_PAGE, False
)
CONDITIONS = ErrorText(400, "INVALID_ARGUMENT", "The fake does not model IAM conditions.", "", False)

# IAM's form of a refusal: google-github-actions/auth#526 (getAccessToken) and
# hashicorp/terraform-provider-google#11789 (iam.workloadIdentityPools.create).
IAM_DENIED = ErrorText(
    403,
    "PERMISSION_DENIED",
    "Permission '{permission}' denied on resource (or it may not exist).",
    "https://github.com/hashicorp/terraform-provider-google/issues/11789",
    True,
)

MEMBER = re.compile(r"(allUsers|allAuthenticatedUsers|[a-zA-Z]+:.+|principal(Set)?://.+)")


@dataclass
class Call:
    """One request to a route: who sent it, its JSON body, its query and the route's values."""

    request: Request
    caller: Principal
    body: dict
    query: dict[str, str]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: str  # method name on the service


def route(method: str, template: str) -> Callable[[Callable], Callable]:
    """Mark a service method as the handler of METHOD on a path template such as
    `/v1/projects/{project}/serviceAccounts/{account}:getIamPolicy` (a `{name}` is one segment)."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/:]+)", re.escape(template))

    def mark(fn: Callable) -> Callable:
        fn.__dict__.setdefault("_routes", []).append((method, re.compile(regex + r"\Z")))
        return fn

    return mark


class Service:
    """One Google REST API over the fake's State. Subclasses mark handlers with `@route`; each
    handler takes a Call and the route's values and returns the JSON body (status 200), and runs
    holding the state's lock."""

    routes: tuple[Route, ...] = ()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        found = []
        for klass in reversed(cls.__mro__):
            for name, fn in vars(klass).items():
                for method, pattern in getattr(fn, "_routes", ()):
                    found.append(Route(method, pattern, name))
        cls.routes = tuple(found)

    def __init__(self, state: State) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except ApiError as err:
            note(request, outcome=err.code)
            response = err.response()
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        path = request.url.path
        for r in self.routes:
            m = r.pattern.match(path)
            if m and r.method == request.method:
                break
        else:
            raise UNKNOWN_PATH(method=request.method, path=path)
        caller = self.caller(request)
        try:
            raw = await bodies.read(request, bodies.JSON_LIMIT)
        except (bodies.BodyTooLarge, bodies.BadLength):
            raise BODY_TOO_LARGE(limit=bodies.JSON_LIMIT) from None
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise BAD_JSON(detail=str(err)) from None
        if not isinstance(body, dict):
            raise BAD_JSON(detail="The body is not a JSON object.")
        query = {k: v[-1] for k, v in parse_qs(request.url.query, keep_blank_values=True).items()}
        call = Call(request, caller, body, query)
        with self.state.lock:
            result = getattr(self, r.handler)(call, **m.groupdict())
        note(request, outcome="ok")
        return Response(json.dumps(result, indent=2).encode(), media_type="application/json; charset=UTF-8")

    def caller(self, request: Request) -> Principal:
        """The principal of the request's bearer token, or raise 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated(CREDENTIAL_MISSING)
        principal = self.state.token_principal(token.strip(), TOKEN_KINDS)
        if principal is None:
            raise _unauthenticated(CREDENTIAL_INVALID)
        note(request, principal=str(principal))
        return principal

    def require(self, call: Call, permission: str, resource: str, denied: ApiError) -> None:
        """Raise `denied` unless the caller holds `permission` on `resource` or a parent of it."""
        if not self.state.has_permission(call.caller, permission, resource):
            raise denied


def _unauthenticated(text: ErrorText) -> ApiError:
    err = text()
    # https://www.rfc-editor.org/rfc/rfc6750#section-3: a bearer-token resource says so on 401.
    err.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return err


# --- times ------------------------------------------------------------------------------------


def timestamp(seconds: float, fraction: bool = True) -> str:
    """RFC 3339 UTC, as Google's JSON timestamps are written (with microseconds unless not)."""
    whole = int(seconds)
    if not fraction:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(whole))
    micros = int(round((seconds - whole) * 1_000_000))
    if micros == 1_000_000:
        whole, micros = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


# --- IAM policies -----------------------------------------------------------------------------


def policy_body(state: State, resource: str) -> dict:
    """The policy of a resource as getIamPolicy answers it (version 1: the fake has no conditions)."""
    bindings = [
        {"role": role, "members": sorted(members)} for role, members in sorted(state.policy(resource).items())
    ]
    body: dict = {"version": 1, "etag": state.policy_etag(resource)}
    if bindings:
        body["bindings"] = bindings
    return body


def set_policy(state: State, resource: str, body: dict, role_ok: Callable[[str], bool]) -> dict:
    """Apply a setIamPolicy body to a resource; return the new policy."""
    policy = body.get("policy")
    if not isinstance(policy, dict):
        raise INVALID(detail="policy is required.")
    merged: dict[str, list[str]] = {}
    for binding in policy.get("bindings") or []:
        if binding.get("condition"):
            raise CONDITIONS()
        role = str(binding.get("role", ""))
        if not role_ok(role):
            raise ROLE_NOT_SUPPORTED(role=role)
        for member in binding.get("members") or []:
            check_member(state, str(member))
            merged.setdefault(role, []).append(str(member))
    try:
        state.set_policy(resource, merged, etag=policy.get("etag"))
    except Conflict:
        raise POLICY_CONFLICT() from None
    return policy_body(state, resource)


def check_member(state: State, member: str) -> None:
    if not MEMBER.fullmatch(member):
        raise MEMBER_MALFORMED(member=member)
    kind, _, value = member.partition(":")
    if kind == "serviceAccount" and value.endswith(".iam.gserviceaccount.com"):
        project = value.partition("@")[2].removesuffix(".iam.gserviceaccount.com")
        if project in state.projects and value not in state.service_accounts:
            raise MEMBER_UNKNOWN(email=value)


# --- long-running operations ------------------------------------------------------------------


def operation(name: str, record: dict, metadata_type: str) -> dict:
    """An Operation body: done with its response, or not yet done."""
    body: dict = {"name": name, "metadata": {"@type": metadata_type}}
    if record.get("done"):
        body["done"] = True
        body["response"] = record["response"]
    return body

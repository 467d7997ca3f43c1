"""The Docker registry API of Artifact Registry, for every AR host (routes only; state in state.py).

Paths: https://github.com/opencontainers/distribution-spec/blob/main/spec.md . What is AR's own
(challenge, usernames, denials, where the location comes from) follows the reference file and is
listed with sources in docs/reference/fake-registry.md.

Decisions (UNCONFIRMED where marked in errors.py and the fidelity table):
- Denials come from the token endpoint, for every scope the client asks for (pull is checked
  before push, so a push with no rights names downloadArtifacts). The data plane checks IAM again on
  every request, so Basic credentials sent straight to it and bearer tokens minted before a role
  was removed get the same DENIED text there.
- A registry token stands for its principal, not for a scope (AR's token wraps an OAuth token,
  per the simulator quoted in §1.3; UNCONFIRMED).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from garauth import data
from garauth.fake import errors
from garauth.fake.credentials import AuthFailure, parse_basic, principal_for_basic
from garauth.fake.images import DOCKER_LIST, INDEX_TYPES, MANIFEST_TYPES, OCI_INDEX
from garauth.fake.state import (
    ANONYMOUS,
    REGISTRY_TOKEN_LIFETIME,
    Principal,
    State,
    digest_of,
    repository_name,
)

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
ACTION_PERMISSIONS = {
    "pull": (errors.DOWNLOAD,),
    "push": (errors.UPLOAD,),
    "*": (errors.DOWNLOAD, errors.UPLOAD),
}
_PATH = re.compile(
    r"^/v2/(?P<name>.+?)/(?:(?P<kind>manifests|blobs)/(?P<ref>[^/]+)|(?P<tags>tags/list)|"
    r"blobs/uploads/(?P<upload>[^/]*))$"
)
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Target:
    project: str
    location: str
    repository: str
    image: str
    name: str  # the path as the client wrote it: PROJECT/REPOSITORY/IMAGE (gcr.io: PROJECT/IMAGE)

    @property
    def resource(self) -> str:
        return repository_name(self.project, self.location, self.repository)


class NameInvalid(Exception):
    pass


def target_for(host: str, name: str) -> Target:
    """Which repository a path names on a host; the location always comes from the host."""
    location = data.registry_hosts()[host]
    parts = name.split("/")
    gcr = {g.host: g.repository for g in data.gcr_hosts()}
    if host in gcr:
        if len(parts) < 2 or not all(parts):
            raise NameInvalid(name)
        return Target(parts[0], location, gcr[host], "/".join(parts[1:]), name)
    if len(parts) < 3 or not all(parts):
        raise NameInvalid(name)
    return Target(parts[0], location, parts[1], "/".join(parts[2:]), name)


def error_response(status: int, error: tuple[str, str], headers: dict | None = None) -> Response:
    return Response(
        errors.registry_body(*error),
        status_code=status,
        media_type="application/json",
        headers={**API_VERSION, **(headers or {})},
    )


def _host(request: Request) -> str:
    return request.headers.get("host", "").split(":")[0].lower().rstrip(".")


def _note(request: Request, **fields) -> None:
    request.scope.setdefault("garauth", {}).update(fields)


class Registry:
    """ASGI app serving the registry API; `state` is shared with the other services."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.uploads: dict[str, dict] = {}

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        path = request.url.path
        if path in ("/v2", "/v2/"):
            return self.ping(request)
        if path == "/v2/token":
            return self.token(request)
        m = _PATH.match(path)
        if not m:
            return error_response(404, errors.PATH_UNKNOWN)
        try:
            target = target_for(_host(request), m["name"])
        except NameInvalid:
            _note(request, outcome="NAME_INVALID")
            return error_response(400, errors.NAME_INVALID)
        method = request.method
        if m["tags"]:
            return (
                self.with_auth(request, target, "pull", self.tags_list) if method == "GET" else _unsupported()
            )
        if m["kind"] == "manifests":
            if method in ("GET", "HEAD"):
                return self.with_auth(
                    request, target, "pull", lambda r, t, p: self.get_manifest(r, t, m["ref"])
                )
            if method == "PUT":
                body = await request.body()
                return self.with_auth(
                    request, target, "push", lambda r, t, p: self.put_manifest(r, t, m["ref"], body)
                )
            return _unsupported()
        if m["kind"] == "blobs":
            if method in ("GET", "HEAD"):
                return self.with_auth(request, target, "pull", lambda r, t, p: self.get_blob(r, t, m["ref"]))
            return _unsupported()
        # blob uploads
        body = await request.body() if method in ("POST", "PATCH", "PUT") else b""
        if method == "POST" and not m["upload"]:
            return self.with_auth(request, target, "push", lambda r, t, p: self.start_upload(r, t, p, body))
        if m["upload"] and method in ("PATCH", "PUT", "GET", "DELETE"):
            return self.with_auth(
                request, target, "push", lambda r, t, p: self.continue_upload(r, t, m["upload"], body)
            )
        return _unsupported()

    # --- authentication ------------------------------------------------------------------

    def principal(self, request: Request) -> Principal:
        """Who the request's Authorization header names; ANONYMOUS without one; AuthFailure if bad."""
        header = request.headers.get("authorization", "")
        if not header:
            return ANONYMOUS
        scheme = header.split(" ", 1)[0].lower()
        _note(request, auth=scheme)
        if scheme == "bearer":
            token = header.split(" ", 1)[1].strip() if " " in header else ""
            principal = self.state.token_principal(token, ("registry", "access", "federated"))
            if principal is None:
                raise AuthFailure(401, errors.NOT_AUTHENTICATED_SCOPED, "bearer token unknown or expired")
            return principal
        basic = parse_basic(header)
        if basic is None:
            raise AuthFailure(401, errors.NO_VALID_CREDENTIAL, "unsupported authorization scheme")
        _note(request, username=basic[0] if _safe_username(basic[0]) else "(other)")
        return principal_for_basic(self.state, *basic)

    def challenge(self, request: Request, target: Target | None = None, actions: str = "pull") -> dict:
        host = _host(request)
        value = f'Bearer realm="https://{host}/v2/token"'
        if target is not None:
            value += f',service="{host}",scope="repository:{target.name}:{actions}"'
        return {"WWW-Authenticate": value}

    def with_auth(self, request: Request, target: Target, action: str, handler) -> Response:
        actions = "pull" if action == "pull" else "pull,push"
        try:
            principal = self.principal(request)
        except AuthFailure as fail:
            _note(request, outcome=fail.error[0], reason=fail.reason)
            return error_response(fail.status, fail.error, self.challenge(request, target, actions))
        _note(request, principal=str(principal))
        for permission in ACTION_PERMISSIONS[action]:
            if not self._allowed(principal, permission, target):
                if principal.anonymous:
                    _note(request, outcome="UNAUTHORIZED")
                    return error_response(
                        401, errors.NOT_AUTHENTICATED_SCOPED, self.challenge(request, target, actions)
                    )
                _note(request, outcome="DENIED")
                return error_response(403, errors.denied(permission, target.resource))
        return handler(request, target, principal)

    def _allowed(self, principal: Principal, permission: str, target: Target) -> bool:
        return target.resource in self.state.repositories and self.state.has_permission(
            principal, permission, target.resource
        )

    # --- /v2/ and /v2/token ----------------------------------------------------------------

    def ping(self, request: Request) -> Response:
        try:
            principal = self.principal(request)
        except AuthFailure as fail:
            _note(request, outcome=fail.error[0], reason=fail.reason)
            return error_response(fail.status, fail.error, self.challenge(request))
        if principal.anonymous:
            _note(request, outcome="UNAUTHORIZED")
            return error_response(401, errors.NOT_AUTHENTICATED, self.challenge(request))
        _note(request, principal=str(principal))
        return Response(b"{}", media_type="application/json", headers=API_VERSION)

    def token(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return error_response(405, errors.UNSUPPORTED)  # UNCONFIRMED (§1.3 simulator)
        _note(
            request,
            service=request.query_params.get("service", ""),
            scope=" ".join(request.query_params.getlist("scope")),
        )
        header = request.headers.get("authorization", "")
        try:
            if header.lower().startswith("bearer"):
                raise AuthFailure(401, errors.NO_VALID_CREDENTIAL, "bearer sent to the token endpoint")
            principal = self.principal(request)
        except AuthFailure as fail:
            _note(request, outcome=fail.error[0], reason=fail.reason)
            return error_response(fail.status, fail.error)
        _note(request, principal=str(principal))
        host = _host(request)
        scopes = [s for raw in request.query_params.getlist("scope") for s in raw.split(" ") if s]
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository" or not name:
                continue
            try:
                target = target_for(host, name)
            except NameInvalid:
                _note(request, outcome="NAME_INVALID")
                return error_response(400, errors.NAME_INVALID)
            wanted = [a for a in ("pull", "push") if a in actions.split(",") or "*" in actions.split(",")]
            for action in wanted:
                permission = ACTION_PERMISSIONS[action][0]
                if not self._allowed(principal, permission, target):
                    _note(request, outcome="DENIED")
                    if principal.anonymous:
                        return error_response(403, errors.denied_unauthenticated(permission, target.resource))
                    return error_response(403, errors.denied(permission, target.resource))
        if principal.anonymous and not scopes:
            _note(request, outcome="UNAUTHORIZED")
            return error_response(401, errors.NO_VALID_CREDENTIAL)
        token, expiry = self.state.issue_token(principal, "registry", REGISTRY_TOKEN_LIFETIME)
        lifetime = max(0, round(expiry - self.state.now()))
        issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.state.now()))
        body = {"token": token, "access_token": token, "expires_in": lifetime, "issued_at": issued}
        _note(request, outcome="token")
        return Response(json.dumps(body).encode(), media_type="application/json", headers=API_VERSION)

    # --- manifests ---------------------------------------------------------------------------

    def get_manifest(self, request: Request, target: Target, reference: str) -> Response:
        found = self.state.get_manifest(target.resource, target.image, reference)
        if found is None:
            _note(request, outcome="MANIFEST_UNKNOWN")
            return error_response(404, errors.MANIFEST_UNKNOWN)
        digest, media_type, content = found
        accepted = _accepted(request)
        if media_type in INDEX_TYPES and accepted and not accepted.intersection(INDEX_TYPES + ("*/*",)):
            # A client that cannot read an index gets the linux/amd64 image (Distribution's
            # behaviour for manifest lists; UNCONFIRMED for AR).
            child = _platform_child(content)
            found = child and self.state.get_manifest(target.resource, target.image, child)
            if found:
                digest, media_type, content = found
        headers = {
            **API_VERSION,
            "Docker-Content-Digest": digest,
            "Content-Length": str(len(content)),
            "ETag": f'"{digest}"',
        }
        _note(request, outcome="ok", digest=digest)
        if request.method == "HEAD":
            return Response(b"", media_type=media_type, headers=headers)
        return Response(content, media_type=media_type, headers=headers)

    def put_manifest(self, request: Request, target: Target, reference: str, body: bytes) -> Response:
        try:
            doc = json.loads(body)
        except json.JSONDecodeError:
            return error_response(400, errors.MANIFEST_INVALID)
        media_type = request.headers.get("content-type", "").split(";")[0].strip() or doc.get("mediaType", "")
        if media_type not in MANIFEST_TYPES or not isinstance(doc, dict):
            return error_response(400, errors.MANIFEST_INVALID)
        if media_type in INDEX_TYPES:
            refs = [m.get("digest", "") for m in doc.get("manifests", [])]
            missing = [r for r in refs if self.state.get_manifest(target.resource, target.image, r) is None]
        else:
            refs = [doc.get("config", {}).get("digest", "")] + [
                x.get("digest", "") for x in doc.get("layers", [])
            ]
            missing = [r for r in refs if not self.state.has_blob(target.resource, r)]
        if missing:
            _note(request, outcome="MANIFEST_BLOB_UNKNOWN")
            return error_response(400, errors.MANIFEST_BLOB_UNKNOWN)
        if reference.startswith("sha256:") and reference != digest_of(body):
            return error_response(400, errors.DIGEST_INVALID)
        digest = self.state.put_manifest(target.resource, target.image, reference, body, media_type)
        _note(request, outcome="pushed", digest=digest)
        return Response(
            b"",
            status_code=201,
            headers={
                **API_VERSION,
                "Docker-Content-Digest": digest,
                "Location": f"/v2/{target.name}/manifests/{digest}",
            },
        )

    # --- blobs -----------------------------------------------------------------------------

    def get_blob(self, request: Request, target: Target, digest: str) -> Response:
        content = self.state.get_blob(target.resource, digest)
        if content is None:
            _note(request, outcome="BLOB_UNKNOWN")
            return error_response(404, errors.BLOB_UNKNOWN)
        size = len(content)
        headers = {
            **API_VERSION,
            "Docker-Content-Digest": digest,
            "Accept-Ranges": "bytes",
            "ETag": f'"{digest}"',
        }
        start, end, status = 0, size - 1, 200
        rng = request.headers.get("range")
        if rng:
            parsed = _parse_range(rng, size)
            if parsed is None:
                return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        _note(request, outcome="ok", digest=digest)
        if request.method == "HEAD":
            return Response(b"", status_code=status, media_type="application/octet-stream", headers=headers)

        async def chunks():
            for offset in range(start, end + 1, CHUNK):
                yield content[offset : min(offset + CHUNK, end + 1)]

        return StreamingResponse(
            chunks(), status_code=status, media_type="application/octet-stream", headers=headers
        )

    def start_upload(self, request: Request, target: Target, principal: Principal, body: bytes) -> Response:
        mount, source = request.query_params.get("mount"), request.query_params.get("from")
        if mount and source:
            try:
                src = target_for(_host(request), source)
            except NameInvalid:
                src = None
            if (
                src
                and self.state.has_blob(src.resource, mount)
                and self.state.has_permission(principal, errors.DOWNLOAD, src.resource)
            ):
                self.state.put_blob(target.resource, self.state.blobs[mount])
                _note(request, outcome="mounted")
                return _blob_created(target, mount)
        digest = request.query_params.get("digest")
        if digest:
            if digest_of(body) != digest:
                return error_response(400, errors.DIGEST_INVALID)
            self.state.put_blob(target.resource, body)
            _note(request, outcome="pushed", digest=digest)
            return _blob_created(target, digest)
        upload_id = secrets.token_hex(16)
        self.uploads[upload_id] = {"resource": target.resource, "data": bytearray(body)}
        _note(request, outcome="upload-started")
        return _upload_accepted(request, target, upload_id, len(body))

    def continue_upload(self, request: Request, target: Target, upload_id: str, body: bytes) -> Response:
        upload = self.uploads.get(upload_id)
        if upload is None or upload["resource"] != target.resource:
            return error_response(404, errors.BLOB_UPLOAD_UNKNOWN)
        if request.method == "DELETE":
            del self.uploads[upload_id]
            return Response(b"", status_code=204, headers=API_VERSION)
        if request.method == "GET":
            return _upload_accepted(request, target, upload_id, len(upload["data"]), status=204)
        content_range = request.headers.get("content-range")
        if body and content_range:
            m = re.fullmatch(r"(?:bytes[ =])?(\d+)-(\d+)", content_range.strip())
            if not m or int(m[1]) != len(upload["data"]):
                return error_response(416, errors.RANGE_INVALID)
        upload["data"].extend(body)
        if request.method == "PATCH":
            return _upload_accepted(request, target, upload_id, len(upload["data"]))
        digest = request.query_params.get("digest", "")
        content = bytes(upload["data"])
        if not _DIGEST.fullmatch(digest) or digest_of(content) != digest:
            return error_response(400, errors.DIGEST_INVALID)
        del self.uploads[upload_id]
        self.state.put_blob(target.resource, content)
        _note(request, outcome="pushed", digest=digest)
        return _blob_created(target, digest)

    # --- tags --------------------------------------------------------------------------------

    def tags_list(self, request: Request, target: Target, principal: Principal) -> Response:
        tags = self.state.tags(target.resource, target.image)
        if tags is None:
            _note(request, outcome="NAME_UNKNOWN")
            return error_response(404, errors.NAME_UNKNOWN)
        last = request.query_params.get("last")
        if last:
            tags = [t for t in tags if t > last]
        headers = dict(API_VERSION)
        n = request.query_params.get("n")
        if n and n.isdigit() and int(n) < len(tags):
            tags = tags[: int(n)]
            headers["Link"] = f'</v2/{target.name}/tags/list?n={n}&last={tags[-1]}>; rel="next"'
        _note(request, outcome="ok")
        body = json.dumps({"name": target.name, "tags": tags}).encode()
        return Response(body, media_type="application/json", headers=headers)


def _unsupported() -> Response:
    return error_response(405, errors.UNSUPPORTED)


def _blob_created(target: Target, digest: str) -> Response:
    return Response(
        b"",
        status_code=201,
        headers={
            **API_VERSION,
            "Docker-Content-Digest": digest,
            "Location": f"/v2/{target.name}/blobs/{digest}",
        },
    )


def _upload_accepted(
    request: Request, target: Target, upload_id: str, size: int, status: int = 202
) -> Response:
    return Response(
        b"",
        status_code=status,
        headers={
            **API_VERSION,
            "Location": f"https://{request.headers.get('host', '')}/v2/{target.name}/blobs/uploads/"
            + upload_id,
            "Range": f"0-{max(size - 1, 0)}",
            "Docker-Upload-UUID": upload_id,
        },
    )


def _accepted(request: Request) -> set[str]:
    out = set()
    for value in request.headers.getlist("accept"):
        for item in value.split(","):
            item = item.split(";")[0].strip()
            if item:
                out.add(item)
    return out


def _platform_child(index: bytes, architecture: str = "amd64") -> str | None:
    try:
        doc = json.loads(index)
    except json.JSONDecodeError:
        return None
    for m in doc.get("manifests", []):
        platform = m.get("platform", {})
        if platform.get("os") == "linux" and platform.get("architecture") == architecture:
            return m.get("digest")
    return None


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", value.strip())
    if not m or (not m[1] and not m[2]):
        return None
    if not m[1]:
        length = int(m[2])
        return (max(0, size - length), size - 1) if length else None
    start = int(m[1])
    end = int(m[2]) if m[2] else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


def _safe_username(username: str) -> bool:
    """Log a username only if it is one of the fixed ones (a password typed as a username stays out)."""
    from garauth.fake.credentials import ACCESS_TOKEN_USERNAME

    return username in ("_json_key", "_json_key_base64") or bool(ACCESS_TOKEN_USERNAME.fullmatch(username))


__all__ = ["Registry", "target_for", "OCI_INDEX", "DOCKER_LIST"]

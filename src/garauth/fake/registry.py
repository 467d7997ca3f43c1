"""The Docker registry API of Artifact Registry, for every AR host (routes only; state in state.py).

Paths: https://github.com/opencontainers/distribution-spec/blob/main/spec.md . What is AR's own
(challenge, usernames, denials, where the location comes from) follows the reference file and is
listed with sources in docs/contributing/fake-registry.md.

Decisions (UNCONFIRMED where marked in errors.py and the fidelity table):
- Denials come from the token endpoint, for every scope the client asks for (pull is checked
  before push, so a push with no rights names downloadArtifacts). The data plane checks IAM again on
  every request, so Basic credentials sent straight to it and bearer tokens minted before a role
  was removed get the same DENIED text there.
- A registry token stands for its principal, not for a scope (AR's token wraps an OAuth token,
  per the simulator quoted in §1.3; UNCONFIRMED).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from garauth import data
from garauth.fake import bodies, errors, manifests
from garauth.fake.blobstore import Upload
from garauth.fake.credentials import AuthFailure, parse_basic, principal_for_basic, safe_username
from garauth.fake.images import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST
from garauth.fake.state import (
    ANONYMOUS,
    REGISTRY_TOKEN_LIFETIME,
    Principal,
    State,
    digest_of,
    repository_name,
)

logger = logging.getLogger("garauth.fake")

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
ACTION_PERMISSIONS = {
    "pull": (errors.DOWNLOAD,),
    "push": (errors.UPLOAD,),
    "*": (errors.DOWNLOAD, errors.UPLOAD),
}
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")  # the distribution spec's tag grammar
_PATH = re.compile(
    r"^/v2/(?P<name>.+?)/(?:(?P<kind>manifests|blobs)/(?P<ref>[^/]+)|(?P<tags>tags/list)|"
    r"blobs/uploads/(?P<upload>[^/]*))$"
)
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
# AR answers a blob GET with 302 to a path on the same host holding a signed token, which
# serves the blob without credentials (ahmetb/serverless-registry-proxy#8 and #45).
DOWNLOAD_PREFIX = "/artifacts-downloads/"
DOWNLOAD_LIFETIME = 900.0  # seconds a download URL stays valid (UNCONFIRMED)
CHUNK = 256 * 1024  # blob bytes per write
MAX_UPLOADS = 256  # open upload sessions; past this the oldest is dropped
UPLOAD_IDLE = 3600.0  # seconds an unfinished upload session is kept


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


def _repository_level(host: str, name: str) -> Target | None:
    """A name that stops at the repository (PROJECT/REPO; on gcr.io hosts PROJECT), else None."""
    location = data.registry_hosts()[host]
    parts = name.split("/")
    if not all(parts):
        return None
    gcr = {g.host: g.repository for g in data.gcr_hosts()}
    if host in gcr:
        return Target(parts[0], location, gcr[host], "", name) if len(parts) == 1 else None
    return Target(parts[0], location, parts[1], "", name) if len(parts) == 2 else None


def error_response(error: errors.FakeError, headers: dict | None = None, **fields) -> Response:
    """The registry's answer for one of errors.py's records (`fields` fill in its message)."""
    return Response(
        error.body(**fields),
        status_code=error.status,
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
        self.uploads: dict[str, UploadSession] = {}
        self._download_key = secrets.token_bytes(32)

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
        if path.startswith(DOWNLOAD_PREFIX):
            return self.download(request)
        m = _PATH.match(path)
        if not m:
            return error_response(errors.PATH_UNKNOWN)
        try:
            target = target_for(_host(request), m["name"])
        except NameInvalid:
            level = (
                _repository_level(_host(request), m["name"])
                if m["tags"] and request.method == "GET"
                else None
            )
            if level is not None:
                return self.with_auth(request, level, "pull", self.tags_list)
            _note(request, outcome="NAME_INVALID")
            return error_response(errors.NAME_INVALID)
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
                # The credential first; the body is read only for a caller who may push.
                refused, _ = self.authorize(request, target, "push")
                return refused or await self.put_manifest(request, target, m["ref"])
            return _unsupported()
        if m["kind"] == "blobs":
            if method in ("GET", "HEAD"):
                return self.with_auth(request, target, "pull", lambda r, t, p: self.get_blob(r, t, m["ref"]))
            return _unsupported()
        # blob uploads
        if (method == "POST" and not m["upload"]) or (
            m["upload"] and method in ("PATCH", "PUT", "GET", "DELETE")
        ):
            refused, principal = self.authorize(request, target, "push")
            if refused:
                return refused
            if method == "POST":
                return await self.start_upload(request, target, principal)
            return await self.continue_upload(request, target, m["upload"])
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
                raise AuthFailure(errors.NOT_AUTHENTICATED_SCOPED, "bearer token unknown or expired")
            return principal
        basic = parse_basic(header)
        if basic is None:
            raise AuthFailure(errors.NO_VALID_CREDENTIAL, "unsupported authorization scheme")
        _note(request, username=basic[0] if safe_username(basic[0]) else "(other)")
        return principal_for_basic(self.state, *basic)

    def challenge(self, request: Request, target: Target | None = None, actions: str = "pull") -> dict:
        host = _host(request)
        value = f'Bearer realm="https://{host}/v2/token"'
        if target is not None:
            value += f',service="{host}",scope="repository:{target.name}:{actions}"'
        return {"WWW-Authenticate": value}

    def authorize(
        self, request: Request, target: Target, action: str
    ) -> tuple[Response | None, Principal | None]:
        """(None, principal) if the request's credential may do `action` on the target; else
        (the refusal, None). Reads no body."""
        actions = "pull" if action == "pull" else "pull,push"
        try:
            principal = self.principal(request)
        except AuthFailure as fail:
            _note(request, outcome=fail.error.code, reason=fail.reason)
            return error_response(fail.error, self.challenge(request, target, actions)), None
        _note(request, principal=str(principal))
        for permission in ACTION_PERMISSIONS[action]:
            if not self._allowed(principal, permission, target):
                if principal.anonymous:
                    _note(request, outcome="UNAUTHORIZED")
                    challenge = self.challenge(request, target, actions)
                    return error_response(errors.NOT_AUTHENTICATED_SCOPED, challenge), None
                _note(request, outcome="DENIED")
                return error_response(errors.DENIED, permission=permission, resource=target.resource), None
        return None, principal

    def with_auth(self, request: Request, target: Target, action: str, handler) -> Response:
        refused, principal = self.authorize(request, target, action)
        return refused or handler(request, target, principal)

    def _allowed(self, principal: Principal, permission: str, target: Target) -> bool:
        return self.state.has_repository(target.resource) and self.state.has_permission(
            principal, permission, target.resource
        )

    # --- /v2/ and /v2/token ----------------------------------------------------------------

    def ping(self, request: Request) -> Response:
        try:
            principal = self.principal(request)
        except AuthFailure as fail:
            _note(request, outcome=fail.error.code, reason=fail.reason)
            return error_response(fail.error, self.challenge(request))
        if principal.anonymous:
            _note(request, outcome="UNAUTHORIZED")
            return error_response(errors.NOT_AUTHENTICATED, self.challenge(request))
        _note(request, principal=str(principal))
        return Response(b"{}", media_type="application/json", headers=API_VERSION)

    def token(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return error_response(errors.UNSUPPORTED)  # UNCONFIRMED (§1.3 simulator)
        _note(
            request,
            service=request.query_params.get("service", ""),
            scope=" ".join(request.query_params.getlist("scope")),
        )
        header = request.headers.get("authorization", "")
        try:
            if header.lower().startswith("bearer"):
                raise AuthFailure(errors.NO_VALID_CREDENTIAL, "bearer sent to the token endpoint")
            principal = self.principal(request)
        except AuthFailure as fail:
            _note(request, outcome=fail.error.code, reason=fail.reason)
            return error_response(fail.error)
        _note(request, principal=str(principal))
        host = _host(request)
        scopes = [s for raw in request.query_params.getlist("scope") for s in raw.split(" ") if s]
        first = True
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository" or not name:
                continue
            wanted = [a for a in ("pull", "push") if a in actions.split(",") or "*" in actions.split(",")]
            try:
                target = target_for(host, name)
            except NameInvalid:
                # PROJECT/REPO (gcr.io: PROJECT) names a repository, not an image: readable for a
                # listing (go-containerregistry#1643); anything else is NAME_INVALID.
                target = _repository_level(host, name)
                if (
                    target is None
                    or wanted != ["pull"]
                    or not self._allowed(principal, errors.DOWNLOAD, target)
                ):
                    _note(request, outcome="NAME_INVALID")
                    return error_response(errors.NAME_INVALID)
            for action in wanted:
                permission = ACTION_PERMISSIONS[action][0]
                if self._allowed(principal, permission, target):
                    continue
                if not first:
                    # A further scope (a mount's source): the token server grants a subset of what
                    # is asked (Distribution's token spec); AR's behaviour: UNCONFIRMED.
                    break
                _note(request, outcome="DENIED")
                if principal.anonymous:
                    return error_response(
                        errors.DENIED_UNAUTHENTICATED, permission=permission, resource=target.resource
                    )
                return error_response(errors.DENIED, permission=permission, resource=target.resource)
            first = False
        if principal.anonymous and not scopes:
            _note(request, outcome="UNAUTHORIZED")
            return error_response(errors.NO_VALID_CREDENTIAL)
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
            return error_response(errors.MANIFEST_UNKNOWN, reference=reference)
        digest, media_type, content = found
        refused, found = self._negotiate(request, target, reference, found)
        if refused:
            return refused
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

    def _negotiate(self, request: Request, target: Target, reference: str, found):
        """What Distribution serves for the request's Accept header (registry/handlers/manifests.go):
        an OCI manifest or index the client does not accept is MANIFEST_UNKNOWN; a Docker manifest
        list fetched by tag by a client that cannot read lists becomes its linux/amd64 image; a
        fetch by digest is never rewritten. No Accept header, or */*, accepts everything (the
        fake's choice, after HTTP: Distribution accepts only Docker types then). AR: UNCONFIRMED."""
        digest, media_type, content = found
        accepted = _accepted(request)
        if not accepted or "*/*" in accepted or media_type in accepted:
            return None, found
        if media_type == OCI_MANIFEST:
            _note(request, outcome="MANIFEST_UNKNOWN", reason="OCI manifest not accepted")
            return error_response(errors.OCI_MANIFEST_NOT_ACCEPTED), None
        if media_type == OCI_INDEX:
            _note(request, outcome="MANIFEST_UNKNOWN", reason="OCI index not accepted")
            return error_response(errors.OCI_INDEX_NOT_ACCEPTED), None
        if media_type == DOCKER_LIST and not reference.startswith("sha256:"):
            child = _platform_child(content)
            rewritten = child and self.state.get_manifest(target.resource, target.image, child)
            if not rewritten:
                _note(request, outcome="MANIFEST_UNKNOWN", reason="no linux/amd64 image")
                return error_response(errors.NO_PLATFORM_IMAGE, digest=digest), None
            return None, rewritten
        return None, found  # Docker schema 2 manifests are served whatever the Accept header

    async def put_manifest(self, request: Request, target: Target, reference: str) -> Response:
        try:
            body = await bodies.read(request, bodies.MANIFEST_LIMIT)
        except bodies.BodyTooLarge:
            # Distribution answers 400 MANIFEST_INVALID past its 4 MiB cap; AR's limit: UNCONFIRMED.
            _note(request, outcome="MANIFEST_INVALID", reason="manifest too large")
            return error_response(errors.MANIFEST_INVALID)
        except (bodies.BadLength, bodies.ClientGone) as err:
            return _body_failed(request, err)
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        try:
            manifest = manifests.parse(body, content_type)
        except manifests.ManifestInvalid as err:
            _note(request, outcome="MANIFEST_INVALID", reason=str(err))
            return error_response(errors.MANIFEST_INVALID)
        if reference.startswith("sha256:") and reference != digest_of(body):
            _note(request, outcome="DIGEST_INVALID")
            return error_response(errors.DIGEST_INVALID)
        if not reference.startswith("sha256:") and not _TAG.fullmatch(reference):
            _note(request, outcome="TAG_INVALID")
            return error_response(errors.TAG_INVALID)
        missing = [
            d for d in manifest.children if self.state.get_manifest(target.resource, target.image, d) is None
        ] + [d for d in manifest.blobs if not self.state.has_blob(target.resource, d)]
        if missing:
            _note(request, outcome="MANIFEST_BLOB_UNKNOWN")
            return error_response(errors.MANIFEST_BLOB_UNKNOWN)
        digest = self.state.put_manifest(target.resource, target.image, reference, body, manifest.media_type)
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
        size = self.state.blob_size(target.resource, digest)
        if size is None:
            _note(request, outcome="BLOB_UNKNOWN")
            return error_response(errors.BLOB_UNKNOWN)
        if request.method == "GET":
            _note(request, outcome="redirect", digest=digest)
            location = self.download_path(target, digest)
            return Response(b"", status_code=302, headers={**API_VERSION, "Location": location})
        headers = {
            **API_VERSION,
            "Docker-Content-Digest": digest,
            "Accept-Ranges": "bytes",
            "ETag": f'"{digest}"',
            "Content-Length": str(size),
        }
        _note(request, outcome="ok", digest=digest)
        return Response(b"", media_type="application/octet-stream", headers=headers)

    def download_path(self, target: Target, digest: str) -> str:
        """/artifacts-downloads/namespaces/PROJECT/repositories/REPO/downloads/TOKEN, where TOKEN
        names the repository, the digest and an expiry, signed with a key of this process."""
        claims = json.dumps(
            [target.resource, digest, round(time.time() + DOWNLOAD_LIFETIME)], separators=(",", ":")
        ).encode()
        mac = hmac.new(self._download_key, claims, hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(claims + mac).decode().rstrip("=")
        return (
            f"{DOWNLOAD_PREFIX}namespaces/{target.project}/repositories/{target.repository}/downloads/{token}"
        )

    def download(self, request: Request) -> Response:
        """Serve a blob at a download URL the fake issued: no credential needed, Range honoured."""
        if request.method not in ("GET", "HEAD"):
            return _unsupported()
        token = request.url.path.rsplit("/", 1)[-1]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            claims, mac = raw[:-32], raw[-32:]
            good = hmac.compare_digest(mac, hmac.new(self._download_key, claims, hashlib.sha256).digest())
            resource, digest, expires = json.loads(claims) if good else ("", "", 0)
            good = good and isinstance(expires, int) and expires > time.time()
        except (ValueError, TypeError):
            good = False
        size = self.state.blob_size(resource, digest) if good else None
        if size is None:
            _note(request, outcome="DENIED", reason="download URL not valid")
            return error_response(errors.DOWNLOAD_URL_INVALID)
        headers = {"Accept-Ranges": "bytes", "ETag": f'"{digest}"'}
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
        if request.method == "HEAD" or size == 0:
            return Response(b"", status_code=status, media_type="application/octet-stream", headers=headers)
        return BlobResponse(self.state, resource, digest, start, end, status, headers)

    async def start_upload(self, request: Request, target: Target, principal: Principal) -> Response:
        mount, source = request.query_params.get("mount"), request.query_params.get("from")
        if mount and source:
            try:
                src = target_for(_host(request), source)
            except NameInvalid:
                src = None
            if (
                src
                and self.state.has_permission(principal, errors.DOWNLOAD, src.resource)
                and self.state.mount_blob(src.resource, target.resource, mount)
            ):
                _note(request, outcome="mounted")
                return _blob_created(target, mount)
        digest = request.query_params.get("digest")
        if digest and not _DIGEST.fullmatch(digest):
            _note(request, outcome="DIGEST_INVALID")
            return error_response(errors.DIGEST_INVALID)
        session = self._new_session(target)
        failed = await self._receive(request, session)
        if failed:
            self._drop_session(session.upload_id)
            return failed
        if digest:  # monolithic: the whole blob in the POST
            return self._finish(request, target, session, digest)
        _note(request, outcome="upload-started")
        return _upload_accepted(request, target, session.upload_id, session.upload.size)

    async def continue_upload(self, request: Request, target: Target, upload_id: str) -> Response:
        session = self.uploads.get(upload_id)
        if session is None or session.resource != target.resource:
            _note(request, outcome="BLOB_UPLOAD_UNKNOWN")
            return error_response(errors.BLOB_UPLOAD_UNKNOWN)
        session.touched = time.monotonic()
        if request.method == "DELETE":
            self._drop_session(upload_id)
            return Response(b"", status_code=204, headers=API_VERSION)
        if request.method == "GET":
            return _upload_accepted(request, target, upload_id, session.upload.size, status=204)
        content_range = request.headers.get("content-range")
        if content_range and bodies.has_body(request):
            m = re.fullmatch(r"(?:bytes[ =])?(\d{1,19})-(\d{1,19})", content_range.strip())
            if not m or int(m[1]) != session.upload.size or int(m[2]) < int(m[1]):
                _note(request, outcome="BLOB_UPLOAD_INVALID", reason="content range")
                return error_response(errors.RANGE_INVALID)
        failed = await self._receive(request, session)
        if failed:
            self._drop_session(upload_id)
            return failed
        if request.method == "PATCH":
            return _upload_accepted(request, target, upload_id, session.upload.size)
        return self._finish(request, target, session, request.query_params.get("digest", ""))

    async def _receive(self, request: Request, session: UploadSession) -> Response | None:
        """Append the request body to the session, within the blob cap; a refusal or None."""
        try:
            await bodies.stream(request, bodies.BLOB_LIMIT - session.upload.size, session.upload.write)
        except bodies.BodyTooLarge:
            _note(request, outcome="SIZE_INVALID", reason="blob too large")
            return error_response(errors.BLOB_TOO_LARGE)
        except (bodies.BadLength, bodies.ClientGone) as err:
            return _body_failed(request, err)
        return None

    def _finish(self, request: Request, target: Target, session: UploadSession, digest: str) -> Response:
        self.uploads.pop(session.upload_id, None)
        if not _DIGEST.fullmatch(digest) or session.upload.digest != digest:
            session.upload.close()
            _note(request, outcome="DIGEST_INVALID")
            return error_response(errors.DIGEST_INVALID)
        self.state.put_upload(target.resource, session.upload)
        _note(request, outcome="pushed", digest=digest)
        return _blob_created(target, digest)

    def _new_session(self, target: Target) -> UploadSession:
        now = time.monotonic()
        for upload_id, old in list(self.uploads.items()):
            if now - old.touched > UPLOAD_IDLE:
                self._drop_session(upload_id)
        while len(self.uploads) >= MAX_UPLOADS:
            self._drop_session(min(self.uploads, key=lambda k: self.uploads[k].touched))
        session = UploadSession(secrets.token_hex(16), target.resource, self.state.new_upload(), now)
        self.uploads[session.upload_id] = session
        return session

    def _drop_session(self, upload_id: str) -> None:
        session = self.uploads.pop(upload_id, None)
        if session:
            session.upload.close()

    # --- tags --------------------------------------------------------------------------------

    def tags_list(self, request: Request, target: Target, principal: Principal) -> Response:
        """Distribution's name and tags, plus what AR adds (go-containerregistry's google.Tags, used
        by gcrane ls; go-containerregistry#1297, #1643): `child`, the next path segment of each
        image below this name, and `manifest`, each manifest's digest with its tags, media type,
        size and times. A repository-level name (PROJECT/REPO) lists its images as children."""
        listing = self.state.listing(target.resource, target.image)
        if listing is None:
            _note(request, outcome="NAME_UNKNOWN")
            return error_response(errors.NAME_UNKNOWN)
        tags = listing["tags"]
        n = request.query_params.get("n")
        limit = None
        if n is not None and n != "":
            # Distribution: n must be a non-negative integer (PAGINATION_NUMBER_INVALID), n=0 is
            # an empty list without a Link; AR's answers: UNCONFIRMED.
            if not n.isascii() or not n.isdigit() or len(n) > 18:
                _note(request, outcome="PAGINATION_NUMBER_INVALID")
                return error_response(errors.PAGINATION_NUMBER_INVALID)
            limit = int(n)
        last = request.query_params.get("last")
        if last:
            tags = [t for t in tags if t > last]
        headers = dict(API_VERSION)
        if limit is not None:
            more = limit < len(tags)
            tags = tags[:limit]
            if more and tags:
                query = urlencode({"n": limit, "last": tags[-1]})
                headers["Link"] = f'</v2/{target.name}/tags/list?{query}>; rel="next"'
        _note(request, outcome="ok")
        body = {"child": listing["child"], "manifest": listing["manifest"], "name": target.name, "tags": tags}
        return Response(json.dumps(body).encode(), media_type="application/json", headers=headers)


@dataclass
class UploadSession:
    upload_id: str
    resource: str
    upload: Upload
    touched: float = field(default=0.0)


class BlobResponse:
    """Streams a blob from the store, and stops at once when the client goes away.

    Each chunk is read from the blob's file and sent; between chunks the task yields to the event
    loop, so a connection lost mid-blob is noticed before the next chunk (the ASGI server then
    reports `http.disconnect`, and `send` stops writing). The abort is noted once, for the
    request log line, with how many bytes had been sent."""

    def __init__(self, state: State, resource: str, digest: str, start: int, end: int, status: int, headers):
        self.state, self.resource, self.digest = state, resource, digest
        self.start, self.end, self.status = start, end, status
        self.headers = {**headers, "Content-Type": "application/octet-stream"}

    async def __call__(self, scope, receive, send) -> None:
        import anyio

        gone = anyio.Event()

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    gone.set()
                    return

        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(k.lower().encode(), str(v).encode()) for k, v in self.headers.items()],
            }
        )
        sent = 0
        total = self.end - self.start + 1
        fh = self.state.open_blob(self.resource, self.digest)
        if fh is None:  # deleted meanwhile: end the response short; the client sees a short read
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        async with anyio.create_task_group() as group:
            group.start_soon(watch)
            try:
                fh.seek(self.start)
                while sent < total and not gone.is_set():
                    chunk = fh.read(min(CHUNK, total - sent))
                    if not chunk:
                        break
                    sent += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": sent < total})
                    await anyio.lowlevel.checkpoint()
                if sent < total and not gone.is_set():
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                fh.close()
                group.cancel_scope.cancel()
        if gone.is_set() and sent < total:
            info = scope.setdefault("garauth", {})
            info.update(outcome="client went away", reason=f"after {sent} of {total} bytes")


def _unsupported() -> Response:
    return error_response(errors.UNSUPPORTED)


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
        entries = json.loads(index).get("manifests", [])
        for m in entries:
            platform = m.get("platform", {})
            if platform.get("os") == "linux" and platform.get("architecture") == architecture:
                return m.get("digest") if isinstance(m.get("digest"), str) else None
    except (ValueError, RecursionError, AttributeError, TypeError):
        return None
    return None


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    m = re.fullmatch(r"bytes=(\d{0,19})-(\d{0,19})", value.strip())
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


def _body_failed(request: Request, err: Exception) -> Response:
    if isinstance(err, bodies.ClientGone):
        _note(request, outcome="client went away", reason="while sending the body")
        return Response(b"", status_code=400)  # nobody is there to read it
    _note(request, outcome="BAD_REQUEST", reason="Content-Length is not a number")
    return error_response(errors.BAD_CONTENT_LENGTH)


__all__ = ["Registry", "target_for", "OCI_INDEX", "DOCKER_LIST"]

"""Reading request bodies with a cap, after the credential has been checked.

Every service of the fake reads a body only through these functions, and only once it knows the
caller may send one: a refusal (401, 403) is answered without reading anything. A body declared
larger than the cap (Content-Length) is refused without reading a byte; a body sent without a
length (chunked) is refused as soon as it passes the cap. Either way the response carries
`Connection: close` (added by the app), so the rest of the body is never read.

The caps are the fake's own, far above what any real client sends (a JWT assertion or an STS
subject token is a few kilobytes; Distribution caps manifests at 4 MiB).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30

FORM_LIMIT = 64 * KIB  # OAuth 2.0 token endpoint and STS: form fields holding one JWT
JSON_LIMIT = 64 * KIB  # IAM credentials generateAccessToken: a small JSON object
MANIFEST_LIMIT = 4 * MIB  # Distribution's maxManifestBodySize
BLOB_LIMIT = 2 * GIB  # one blob upload, all chunks together


class BodyTooLarge(Exception):
    """The body is (or is declared) larger than the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit


class BadLength(Exception):
    """Content-Length is not a number."""


class ClientGone(Exception):
    """The client closed the connection before it finished sending the body."""


def declared_length(request: Request) -> int | None:
    """Content-Length as a number, None without one; BadLength if it is not digits (h11 already
    refuses most of those with its own 400)."""
    value = request.headers.get("content-length")
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise BadLength(value[:20])
    return int(value)


def has_body(request: Request) -> bool:
    """Does the request say it carries a body?"""
    try:
        length = declared_length(request)
    except BadLength:
        return True
    return bool(length) or "transfer-encoding" in request.headers


async def stream(request: Request, limit: int, sink: Callable[[bytes], None]) -> int:
    """Pass the body to sink chunk by chunk; return its size. BodyTooLarge before reading when
    the declared length is over `limit`, or as soon as the bytes read pass it."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            if chunk:
                sink(chunk)
    except ClientDisconnect:
        raise ClientGone() from None
    return size


async def read(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes (see `stream`)."""
    parts: list[bytes] = []
    await stream(request, limit, parts.append)
    return b"".join(parts)

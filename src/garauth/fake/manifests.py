"""Reading a pushed manifest: is it an image manifest or an index the fake can store, and what
does it refer to?

The shapes follow the OCI image spec (https://github.com/opencontainers/image-spec/blob/main/manifest.md,
https://github.com/opencontainers/image-spec/blob/main/image-index.md) and Docker's schema 2
(https://distribution.github.io/distribution/spec/manifest-v2-2/): `schemaVersion` 2; an image
manifest has a `config` descriptor and a `layers` list of descriptors; an index has a `manifests`
list of descriptors (required: an "index" without one is refused). A descriptor has a string
`mediaType`, a `digest` of the form ALGORITHM:HEX, and a non-negative integer `size`. Anything
else is MANIFEST_INVALID; no input raises anything but `ManifestInvalid`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from garauth.fake.images import INDEX_TYPES, MANIFEST_TYPES

# The digest grammar of the OCI image spec (descriptor.md); the fake itself stores sha256 only.
DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


class ManifestInvalid(ValueError):
    """Why a manifest was refused (for the request log; the client gets MANIFEST_INVALID)."""


@dataclass(frozen=True)
class Manifest:
    media_type: str
    blobs: tuple[str, ...]  # config and layers (image manifests)
    children: tuple[str, ...]  # manifests (indexes)


def parse(body: bytes, content_type: str) -> Manifest:
    """Check a pushed manifest; `content_type` is the request's Content-Type (may be empty)."""
    doc = _json_object(body)
    if doc.get("schemaVersion") != 2 or isinstance(doc.get("schemaVersion"), bool):
        raise ManifestInvalid("schemaVersion is not 2")
    declared = doc.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise ManifestInvalid("mediaType is not a string")
    media_type = content_type or declared or ""
    if media_type not in MANIFEST_TYPES:
        raise ManifestInvalid("unsupported media type")
    if declared and declared != media_type:
        raise ManifestInvalid("Content-Type and mediaType differ")
    if media_type in INDEX_TYPES:
        if "manifests" not in doc:
            raise ManifestInvalid("an index without manifests")
        children = _descriptors(doc["manifests"], "manifests")
        return Manifest(media_type, (), tuple(children))
    if "config" not in doc:
        raise ManifestInvalid("an image manifest without config")
    config = _descriptors([doc["config"]], "config")
    layers = _descriptors(doc.get("layers"), "layers")
    return Manifest(media_type, tuple(config + layers), ())


def _json_object(body: bytes) -> dict:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, deep nesting, a 4,300-digit number
        raise ManifestInvalid("not JSON") from None
    if not isinstance(doc, dict):
        raise ManifestInvalid("not a JSON object")
    return doc


def _descriptors(value, field: str) -> list[str]:
    if not isinstance(value, list):
        raise ManifestInvalid(f"{field} is not a list")
    digests = []
    for item in value:
        if not isinstance(item, dict):
            raise ManifestInvalid(f"{field} holds something that is not a descriptor")
        digest, size, media_type = item.get("digest"), item.get("size"), item.get("mediaType")
        if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
            raise ManifestInvalid(f"{field}: a digest that is not ALGORITHM:ENCODED")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestInvalid(f"{field}: a size that is not a non-negative integer")
        if media_type is not None and not isinstance(media_type, str):
            raise ManifestInvalid(f"{field}: a mediaType that is not a string")
        digests.append(digest)
    return digests

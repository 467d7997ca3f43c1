"""Image references: parsing, and what Artifact Registry expects of them.

`parse("us-central1-docker.pkg.dev/my-project/my-repo/app:1.0")` returns an `ImageRef` whose
`ar` part names the location, project, repository and image. A reference that a registry would
refuse, or that names no Artifact Registry host although it looks like one, raises `RefError`
with a message that says what is wrong and what to write instead.

Rules and their sources:
- AR paths are HOST/PROJECT-ID/REPOSITORY/IMAGE[:TAG|@DIGEST], the repository is mandatory, and
  a domain-scoped project `example.com:my-project` is written `example.com/my-project`:
  https://cloud.google.com/artifact-registry/docs/docker/names
- Path components, tags and digests follow the distribution reference grammar:
  https://github.com/distribution/reference/blob/main/regexp.go
- Project IDs are 6 to 30 lowercase letters, digits and hyphens, start with a letter and do not
  end with a hyphen: https://cloud.google.com/resource-manager/docs/creating-managing-projects
"""

from __future__ import annotations

import difflib
import re

from garauth import data
from garauth.model import ArPath, ImageRef

DOCKER_HUB = "docker.io"

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([A-Za-z0-9=_-]+)")
_DIGEST_HEX = {"sha256": 64, "sha512": 128}
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d+)?")
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_AR_HOST = re.compile(r"(?P<loc>[a-z0-9-]+)-docker\.pkg\.dev")
_REP_HOST = re.compile(r"docker\.(?P<loc>[a-z0-9-]+)\.rep\.pkg\.dev")

PATH_FORM = "LOCATION-docker.pkg.dev/PROJECT-ID/REPOSITORY/IMAGE[:TAG]"


class RefError(ValueError):
    """An image reference that no registry would accept, or no Artifact Registry host."""

    def __init__(self, reference: str, message: str, hint: str = "") -> None:
        self.reference = reference
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}".strip())


def parse(reference: str) -> ImageRef:
    """Parse an image reference; raise RefError saying precisely what is wrong with a bad one."""
    raw = reference
    if not reference:
        raise RefError(raw, "The image reference is empty.")
    if reference != reference.strip() or any(c.isspace() for c in reference):
        raise RefError(raw, "The image reference contains white space.", "Remove it.")
    scheme = re.match(r"([a-z][a-z0-9+.-]*)://", reference, re.IGNORECASE)
    if scheme:
        raise RefError(
            raw,
            f"The image reference starts with a scheme ({scheme.group(0)}).",
            f"Image references have none: write {reference[scheme.end() :]}",
        )

    rest, digest = _split_digest(raw, reference)
    name, tag = _split_tag(rest)
    host, path = _split_host(name)

    if name != name.lower():
        raise RefError(
            raw,
            "Image names must be lower case (only the tag may have capitals).",
            f"Write {_rejoin(name.lower(), tag, digest)}",
        )
    if not _HOST.fullmatch(host):
        raise RefError(raw, f"'{host}' is not a valid registry host name.")
    if tag is not None and not _TAG.fullmatch(tag):
        raise RefError(
            raw,
            f"The tag '{tag}' is not valid.",
            "A tag is 1 to 128 letters, digits, '_', '.' or '-', and does not start with '.' or '-'.",
        )
    if not path:
        raise RefError(raw, "The reference names a host but no image.", f"Write {PATH_FORM}")
    for component in path.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise RefError(
                raw,
                f"The path component '{component}' is not valid.",
                "Path components are lower-case letters and digits, separated by '.', '_', '__' or '-'.",
            )

    ar = _ar_path(raw, host, path)
    return ImageRef(raw=raw, host=host, path=path, tag=tag, digest=digest, ar=ar)


def location_of_host(host: str) -> str | None:
    """The Artifact Registry location behind a registry host, or None if it is not an AR host."""
    return data.registry_hosts().get(host)


def is_ar_host(host: str) -> bool:
    return location_of_host(host) is not None


def suggest_host(host: str) -> str | None:
    """For a host that looks like an AR host but is not one, the nearest real AR host."""
    known = list(data.registry_hosts())
    match = difflib.get_close_matches(host, known, n=1, cutoff=0.8)
    return match[0] if match else None


def _split_digest(raw: str, reference: str) -> tuple[str, str | None]:
    if "@" not in reference:
        return reference, None
    rest, digest = reference.split("@", 1)
    m = _DIGEST.fullmatch(digest)
    if not m:
        raise RefError(
            raw, f"The digest '{digest}' is not valid.", "Write @sha256: followed by 64 hex digits."
        )
    algorithm, value = m.groups()
    want = _DIGEST_HEX.get(algorithm)
    if want is None:
        raise RefError(raw, f"The digest algorithm '{algorithm}' is not supported.", "Use sha256.")
    if len(value) != want or not re.fullmatch(r"[a-f0-9]+", value):
        raise RefError(
            raw,
            f"The {algorithm} digest must be {want} lower-case hex digits; it has {len(value)} characters.",
        )
    return rest, digest


def _split_tag(name: str) -> tuple[str, str | None]:
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, None


def _split_host(name: str) -> tuple[str, str]:
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first, rest
    # No registry host: Docker Hub, where one-part names live under library/.
    return DOCKER_HUB, name if "/" in name else f"library/{name}"


def _rejoin(name: str, tag: str | None, digest: str | None) -> str:
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _ar_path(raw: str, host: str, path: str) -> ArPath | None:
    location = location_of_host(host)
    if location is None:
        _refuse_lookalike_host(raw, host)
        return None
    parts = path.split("/")
    if "." in parts[0]:  # a domain-scoped project: example.com:my-project is written example.com/my-project
        if len(parts) < 2:
            raise RefError(
                raw, f"'{parts[0]}' looks like the domain of a domain-scoped project, but no project follows."
            )
        domain, project_id, rest = parts[0], parts[1], parts[2:]
        project = f"{domain}:{project_id}"
    else:
        project_id, rest = parts[0], parts[1:]
        project = project_id
    if not _PROJECT_ID.fullmatch(project_id):
        raise RefError(
            raw,
            f"'{project_id}' is not a valid project ID.",
            "A project ID is 6 to 30 lower-case letters, digits or hyphens, starts with a letter and does not end with a hyphen.",
        )
    gcr = {g.host: g for g in data.gcr_hosts()}.get(host)
    if gcr is not None:
        if not rest:
            raise RefError(
                raw, "The reference names a project but no image.", f"Write {host}/{parts[0]}/IMAGE[:TAG]"
            )
        return ArPath(location=location, project=project, repository=gcr.repository, image="/".join(rest))
    if not rest:
        raise RefError(raw, "The reference names a project but no repository or image.", f"Write {PATH_FORM}")
    if len(rest) == 1:
        prefix = "/".join(parts[: len(parts) - 1])
        raise RefError(
            raw,
            f"The path has no repository segment: '{rest[0]}' follows the project directly.",
            f"Artifact Registry paths are {PATH_FORM}; write {host}/{prefix}/REPOSITORY/{rest[0]}",
        )
    return ArPath(location=location, project=project, repository=rest[0], image="/".join(rest[1:]))


def _refuse_lookalike_host(raw: str, host: str) -> None:
    """Hosts that look like AR hosts but are not (a typo in the location, a non-Docker format)."""
    bare = host.split(":")[0]
    m = _AR_HOST.fullmatch(bare) or _REP_HOST.fullmatch(bare)
    if m:
        near = suggest_host(bare)
        hint = f"Did you mean {near}? " if near else ""
        raise RefError(
            raw,
            f"'{bare}' is not an Artifact Registry host: there is no location '{m.group('loc')}'.",
            f"{hint}`gcloud artifacts locations list` lists the locations.",
        )
    if bare.endswith(".pkg.dev"):
        raise RefError(
            raw,
            f"'{bare}' is not an Artifact Registry Docker host.",
            "Docker repositories are served from LOCATION-docker.pkg.dev.",
        )

"""Image references: parsing, and what Artifact Registry expects of them.

`parse("us-central1-docker.pkg.dev/my-project/my-repo/app:1.0")` returns an `ImageRef` whose
`ar` part names the location, project, repository and image. A reference that no registry would
accept raises `RefError` (its `problem` says what is wrong and what to write instead).

`ar_problems(ref)` says what Artifact Registry would refuse in a reference that does parse: a
host that looks like an AR host but names no location, a project ID that cannot be one, a path
with no repository. The rules in `garauth.rules.image` turn both into findings. Messages are
`garauth.boundary.Safe`: they name parts of the reference only when those are plain.

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
from garauth.boundary import fmt, own
from garauth.boundary import reference as shown
from garauth.model import ArPath, ImageRef, RefProblem

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
    """An image reference that no registry would accept; `problem` says why and what to do."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        self.problem = RefProblem(code, message, hint)
        self.code = code
        self.message = message
        self.hint = hint
        super().__init__(code)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


def parse(reference: str) -> ImageRef:
    """Parse an image reference; raise RefError saying precisely what is wrong with a bad one."""
    raw = reference
    if not reference:
        raise RefError("empty", own("The image reference is empty."))
    if reference != reference.strip() or any(c.isspace() for c in reference):
        raise RefError("white-space", own("The image reference contains white space."), own("Remove it."))
    scheme = re.match(r"([a-z][a-z0-9+.-]*)://", reference, re.IGNORECASE)
    if scheme:
        raise RefError(
            "scheme",
            fmt("The image reference starts with a scheme ({}).", shown(scheme.group(0))),
            fmt("Image references have none: write {}", shown(reference[scheme.end() :])),
        )
    rest, digest = _split_digest(reference)
    name, tag = _split_tag(rest)
    host, path = _split_host(name)
    if name != name.lower():
        raise RefError(
            "upper-case",
            own("Image names must be lower case (only the tag may have capitals)."),
            fmt("Write {}", shown(_rejoin(name.lower(), tag, digest))),
        )
    if not _HOST.fullmatch(host):
        raise RefError("bad-host", fmt("{} is not a valid registry host name.", shown(host)))
    if tag is not None and not _TAG.fullmatch(tag):
        raise RefError(
            "bad-tag",
            fmt("The tag ({}) is not valid.", shown(tag)),
            own("A tag is 1 to 128 letters, digits, '_', '.' or '-', and does not start with '.' or '-'."),
        )
    if not path:
        raise RefError(
            "no-image", own("The reference names a host but no image."), fmt("Write {}", own(PATH_FORM))
        )
    for component in path.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise RefError(
                "bad-component",
                fmt("The path component {} is not valid.", shown(component) if component else own("(empty)")),
                own("Path components are lower-case letters and digits, separated by '.', '_', '__' or '-'."),
            )
    return ImageRef(raw=raw, host=host, path=path, tag=tag, digest=digest, ar=_ar_path(host, path))


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


def _split_digest(reference: str) -> tuple[str, str | None]:
    if "@" not in reference:
        return reference, None
    rest, digest = reference.split("@", 1)
    m = _DIGEST.fullmatch(digest)
    if not m:
        raise RefError(
            "bad-digest",
            fmt("The digest ({}) is not valid.", shown(digest)),
            own("Write @sha256: followed by 64 hex digits."),
        )
    algorithm, value = m.groups()
    want = _DIGEST_HEX.get(algorithm)
    if want is None:
        raise RefError(
            "bad-digest",
            fmt("The digest algorithm {} is not supported.", shown(algorithm)),
            own("Use sha256."),
        )
    if len(value) != want or not re.fullmatch(r"[a-f0-9]+", value):
        raise RefError(
            "bad-digest",
            fmt(
                "The {} digest must be {} lower-case hex digits; it has {} characters.",
                shown(algorithm),
                own(str(want)),
                own(str(len(value))),
            ),
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


def _project(parts: list[str]) -> tuple[str, str, list[str]] | None:
    """(project as AR names it, project ID, the rest of the path); a domain-scoped project
    example.com:my-project is written example.com/my-project."""
    if "." in parts[0]:
        if len(parts) < 2:
            return None
        return f"{parts[0]}:{parts[1]}", parts[1], parts[2:]
    return parts[0], parts[0], parts[1:]


def _ar_path(host: str, path: str) -> ArPath | None:
    location = location_of_host(host)
    if location is None:
        return None
    found = _project(path.split("/"))
    if found is None:
        return None
    project, project_id, rest = found
    if not _PROJECT_ID.fullmatch(project_id):
        return None
    gcr = {g.host: g for g in data.gcr_hosts()}.get(host)
    if gcr is not None:
        return ArPath(location, project, gcr.repository, "/".join(rest)) if rest else None
    if len(rest) < 2:
        return None
    return ArPath(location=location, project=project, repository=rest[0], image="/".join(rest[1:]))


def host_problems(host: str) -> list[RefProblem]:
    """What is wrong with a registry host that looks like Artifact Registry's but is not one
    (empty for a real AR host, or for any other registry)."""
    bare = host.split(":")[0]
    if location_of_host(host) is None:
        m = _AR_HOST.fullmatch(bare) or _REP_HOST.fullmatch(bare)
        if m:
            near = suggest_host(bare)
            return [
                RefProblem(
                    "no-such-location",
                    fmt(
                        "{} is not an Artifact Registry host: there is no location {}.",
                        shown(bare),
                        shown(m.group("loc")),
                    ),
                    (fmt("Did you mean {}? ", own(near)) if near else own(""))
                    + own("`gcloud artifacts locations list` lists the locations."),
                )
            ]
        if bare.endswith(".pkg.dev"):
            return [
                RefProblem(
                    "not-docker-host",
                    fmt("{} is not an Artifact Registry Docker host.", shown(bare)),
                    own("Docker repositories are served from LOCATION-docker.pkg.dev."),
                )
            ]
        return []
    return []


def ar_problems(ref: ImageRef) -> list[RefProblem]:
    """What Artifact Registry would refuse in a parsed reference (empty when nothing is wrong, or
    when the host is not one that looks like AR's)."""
    if location_of_host(ref.host) is None:
        return host_problems(ref.host)
    parts = ref.path.split("/")
    found = _project(parts)
    if found is None:
        return [
            RefProblem(
                "no-project",
                fmt(
                    "{} looks like the domain of a domain-scoped project, but no project follows.",
                    shown(parts[0]),
                ),
            )
        ]
    _, project_id, rest = found
    if not _PROJECT_ID.fullmatch(project_id):
        return [
            RefProblem(
                "bad-project-id",
                fmt("{} is not a valid project ID.", shown(project_id)),
                own(
                    "A project ID is 6 to 30 lower-case letters, digits or hyphens, starts with a letter "
                    "and does not end with a hyphen."
                ),
            )
        ]
    gcr = {g.host: g for g in data.gcr_hosts()}.get(ref.host)
    if gcr is not None:
        if not rest:
            return [
                RefProblem(
                    "no-image",
                    own("The reference names a project but no image."),
                    fmt("Write {}/{}/IMAGE[:TAG]", own(ref.host), shown(parts[0])),
                )
            ]
        return []
    if not rest:
        return [
            RefProblem(
                "no-repository",
                own("The reference names a project but no repository or image."),
                fmt("Write {}", own(PATH_FORM)),
            )
        ]
    if len(rest) == 1:
        prefix = "/".join(parts[: len(parts) - 1])
        return [
            RefProblem(
                "no-repository",
                fmt("The path has no repository segment: {} follows the project directly.", shown(rest[0])),
                fmt(
                    "Artifact Registry paths are {}; write {}/{}/REPOSITORY/{}",
                    own(PATH_FORM),
                    own(ref.host),
                    shown(prefix),
                    shown(rest[0]),
                ),
            )
        ]
    return []

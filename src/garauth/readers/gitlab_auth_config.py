"""How GitLab Runner reads DOCKER_AUTH_CONFIG and picks the entry for an image.

    parse(text) -> AuthConfig            the value as the runner reads it (a Docker config JSON)
    registry_path(key) -> str            an `auths` / `credHelpers` key as the runner normalises it
    image_path(image) -> str             an image reference as the runner normalises it
    match(keys, image) -> str | None     the key the runner uses for the image, or None

Sources (gitlab-runner, helpers/docker/auth/auth.go,
https://gitlab.com/gitlab-org/gitlab-runner/-/blob/main/helpers/docker/auth/auth.go):
- the value is read with the Docker CLI's own config parser (`configfile.LoadFromReader`): a JSON
  object with `auths`, `credHelpers` and `credsStore`, as in `~/.docker/config.json`; a value it
  cannot read is skipped with the warning "Failed to resolve credentials from $DOCKER_AUTH_CONFIG";
- a key with a scheme (`https://HOST/v1/`) stands for its host alone; any other key keeps its
  path (a trailing `/` and a `:tag` after the last `/` dropped); the host is lower-cased;
- the image is normalised the same way (its tag cut off; `docker.io/` added to Docker Hub names),
  and the runner takes the key equal to the image's path or to the nearest of its parent paths.
  So `HOST:PORT` must be written as in `image:` (GitLab's docs: "The full hostname:port
  combination is required everywhere for the runner to match the DOCKER_AUTH_CONFIG",
  https://docs.gitlab.com/ci/docker/using_docker_images/#access-an-image-from-a-private-container-registry).
  Parent paths (a key such as `HOST/PROJECT`) are matched since GitLab Runner 17.5 (commit
  c10ef215, "Add namespace support for DOCKER_AUTH_CONFIG"); before, only the host.
- The runner resolves the credential itself (credential helpers included, run from the runner's
  own PATH) and hands it to the Docker Engine with the pull (executors/docker/internal/pull),
  as the docker CLI does from its config.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

DOCKER_HUB = "docker.io"
_SCHEME = re.compile(r"(?i)^https?://")


@dataclass(frozen=True)
class AuthConfig:
    """A DOCKER_AUTH_CONFIG value as the runner reads it."""

    doc: dict | None  # the parsed JSON object; None when the runner cannot read the value
    problem: str = ""  # "not-json" or "not-object" when doc is None
    keys: tuple[str, ...] = ()  # every registry key in `auths` and `credHelpers`, as written
    creds_store: str | None = None
    helpers: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> AuthConfig:
    try:
        doc = json.loads(text)
    except ValueError:
        return AuthConfig(None, "not-json")
    if not isinstance(doc, dict):
        return AuthConfig(None, "not-object")
    keys: list[str] = []
    for section in ("auths", "credHelpers"):
        entries = doc.get(section)
        if isinstance(entries, dict):
            keys += [str(k) for k in entries if str(k) not in keys]
    helpers = doc.get("credHelpers")
    store = doc.get("credsStore")
    return AuthConfig(
        doc,
        keys=tuple(keys),
        creds_store=store if isinstance(store, str) and store else None,
        helpers={str(k): str(v) for k, v in helpers.items()} if isinstance(helpers, dict) else {},
    )


def _lower_host(path: str) -> str:
    host, slash, rest = path.partition("/")
    return host.lower() + slash + rest


def registry_path(key: str) -> str:
    """The path the runner files a credential under (convertToRegistryPath)."""
    if _SCHEME.match(key):
        host = _SCHEME.sub("", key).split("/", 1)[0].lower()
        return DOCKER_HUB if host == "index." + DOCKER_HUB else host
    path = key[:-1] if key.endswith("/") else key
    tag, slash = path.rfind(":"), path.rfind("/")
    if slash != -1 and tag > slash:
        path = path[:tag]
    return _lower_host(path)


def image_path(image: str) -> str:
    """The image's path as the runner compares it with registry paths (normalizeImageRef)."""
    directory, _, last = image.rpartition("/")
    last = last.split(":", 1)[0]
    normalized = f"{directory}/{last}" if directory else last
    first, _, _ = normalized.partition("/")
    docker_io = "/" not in normalized or (
        "." not in first and ":" not in first and first.lower() != "localhost"
    )
    if docker_io:
        normalized = f"{DOCKER_HUB}/{normalized}"
    elif first.lower() == "index." + DOCKER_HUB:
        normalized = normalized.split(".", 1)[1]
    return _lower_host(normalized)


def match(keys: tuple[str, ...] | list[str], image: str) -> str | None:
    """The key (as written) whose credential the runner uses for `image`, or None."""
    by_path: dict[str, str] = {}
    for key in sorted(keys):  # the runner goes through the keys sorted; the first one wins
        by_path.setdefault(registry_path(key), key)
    path = image_path(image)
    while path:
        if path in by_path:
            return by_path[path]
        path = path.rpartition("/")[0]
    return None


def variables_in(value: Any) -> tuple[str, ...]:
    """The `$NAME` / `${NAME}` references in a string (what the runner expands in it)."""
    if not isinstance(value, str):
        return ()
    found = re.findall(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))", value)
    return tuple(dict.fromkeys(a or b for a, b in found))

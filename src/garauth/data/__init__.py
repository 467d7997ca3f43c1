"""Facts the whole project reads: Artifact Registry locations, hosts, usernames and Google endpoints.

The facts live in the TOML files beside this module, with their sources; this module only
loads them into small immutable objects. Nothing else in the project spells a hostname.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Location:
    """One Artifact Registry location and the Docker hosts that serve it."""

    name: str
    group: str
    rep_host: str | None  # docker.LOCATION.rep.pkg.dev, where one is known
    listed_by: tuple[str, ...]  # which Google tools list it: "docker-credential-gcr", "gcloud"

    @property
    def host(self) -> str:
        return f"{self.name}-docker.pkg.dev"

    @property
    def multi_region(self) -> bool:
        return self.group == "Multi-region"


@dataclass(frozen=True)
class Username:
    """A username Artifact Registry accepts, and what it expects as the password."""

    name: str  # as written; for a pattern, a readable form such as _dcgcr_X_Y_Z_token
    password: str  # "key" (raw JSON key), "key_base64", or "token" (OAuth 2.0 access token)
    documented: bool  # named on Google's Docker authentication page
    source: str  # URL of the primary source
    pattern: str | None = None  # whole-match regular expression, for a family of names
    sent_by: str | None = None  # for a family: the tool that writes the name

    def matches(self, username: str) -> bool:
        if self.pattern is not None:
            return re.fullmatch(self.pattern, username) is not None
        return username == self.name


@dataclass(frozen=True)
class GcrHost:
    """A gcr.io hostname served by Artifact Registry: repository `host` in `location`."""

    host: str
    location: str

    @property
    def repository(self) -> str:
        return self.host


def _load(name: str) -> dict:
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text("utf-8"))


@cache
def sources() -> dict[str, str]:
    """Where the location facts come from: name -> URL."""
    return dict(_load("locations.toml")["sources"])


@cache
def locations() -> tuple[Location, ...]:
    raw = _load("locations.toml")
    no_rep = set(raw["rep_hosts"]["missing"])
    gcloud_only = set(raw["listed_by"]["gcloud_only"])
    rep_only_dcg = set(raw["listed_by"]["docker_credential_gcr_only_rep"])
    out = []
    for group, names in raw["groups"].items():
        for name in names:
            listed = ("gcloud",) if name in gcloud_only else ("docker-credential-gcr", "gcloud")
            rep = None if name in no_rep else f"docker.{name}.rep.pkg.dev"
            if name in rep_only_dcg:
                listed = ("docker-credential-gcr", "gcloud")
            out.append(Location(name=name, group=group, rep_host=rep, listed_by=listed))
    return tuple(out)


@cache
def gcr_hosts() -> tuple[GcrHost, ...]:
    return tuple(GcrHost(**entry) for entry in _load("locations.toml")["gcr"])


@cache
def endpoints() -> dict[str, str]:
    """Google and CircleCI endpoint hostnames by role (oauth2, sts, iamcredentials, circleci_oidc)."""
    return dict(_load("endpoints.toml"))


@cache
def location_names() -> frozenset[str]:
    return frozenset(loc.name for loc in locations())


@cache
def registry_hosts() -> dict[str, str]:
    """Every Docker registry hostname Artifact Registry answers on, mapped to its location."""
    hosts: dict[str, str] = {}
    for loc in locations():
        hosts[loc.host] = loc.name
        if loc.rep_host:
            hosts[loc.rep_host] = loc.name
    for gcr in gcr_hosts():
        hosts[gcr.host] = gcr.location
    return hosts


def all_hosts() -> tuple[str, ...]:
    """Every hostname the fake serves and the sandbox routes: registries, then endpoints."""
    return tuple(registry_hosts()) + tuple(endpoints().values())


@cache
def usernames() -> tuple[Username, ...]:
    """Every username AR accepts on its Docker hosts (usernames.toml), documented ones first."""
    raw = _load("usernames.toml")
    links = raw["sources"]
    return tuple(
        Username(
            name=u["name"],
            password=u["password"],
            documented=u["documented"],
            source=links[u["source"]],
            pattern=u.get("pattern"),
            sent_by=u.get("sent_by"),
        )
        for u in raw["username"]
    )


def username(name: str) -> Username | None:
    """The accepted username `name` is, or None when AR does not accept it."""
    return next((u for u in usernames() if u.matches(name)), None)


@cache
def limits() -> dict[str, dict]:
    """How much garauth reads (limits.toml): section -> name -> number; "sources" -> URLs."""
    return _load("limits.toml")


@cache
def site_url() -> str:
    """Where the guide is published (project.toml), ending in '/'."""
    return _load("project.toml")["site_url"]


@dataclass(frozen=True)
class PlatformFact:
    """One fact of the platform comparison: Markdown text and the URL of its primary source
    (both empty while the fact is not established)."""

    text: str
    source: str
    answer: str = ""  # job_image only: "yes", "no" or "" (not established)
    names: tuple[str, ...] = ()  # usernames only

    @property
    def known(self) -> bool:
        return bool(self.text and self.source)


@dataclass(frozen=True)
class Platform:
    """A row of the platform comparison (platforms.toml)."""

    id: str
    name: str
    guide: str  # relative to docs/, "" until the guide has a page for it
    docs: str
    filled_by: str  # "" when complete; else who completes it
    job_image: PlatformFact
    credential: PlatformFact
    usernames: PlatformFact


@cache
def platforms() -> tuple[Platform, ...]:
    """The platform comparison's rows (platforms.toml), in table order."""

    def fact(raw: dict) -> PlatformFact:
        return PlatformFact(
            text=raw.get("text", ""),
            source=raw.get("source", ""),
            answer=raw.get("answer", ""),
            names=tuple(raw.get("names", ())),
        )

    return tuple(
        Platform(
            id=p["id"],
            name=p["name"],
            guide=p["guide"],
            docs=p["docs"],
            filled_by=p["filled_by"],
            job_image=fact(p["job_image"]),
            credential=fact(p["credential"]),
            usernames=fact(p["usernames"]),
        )
        for p in _load("platforms.toml")["platform"]
    )

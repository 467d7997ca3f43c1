"""The objects every part of garauth passes around.

A reader turns a file into PullSpecs; rules turn PullSpecs into Findings; tests hand PullSpecs
to real clients. None of these objects ever holds a secret value: a credential says where its
password comes from (a variable name, a file path), not what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Position:
    """Where something was found: file, 1-based line and column."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class ArPath:
    """The Artifact Registry parts of an image reference on an AR host."""

    location: str  # e.g. "us-central1", "europe", "us" (gcr.io)
    project: str  # project ID; a domain-scoped one as "example.com:my-project"
    repository: str  # repository ID; for gcr.io hosts, the hostname
    image: str  # image path inside the repository, may contain "/"


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference.

    `host` and `path` are what a registry client sends (`https://HOST/v2/PATH/...`); `ar` is set
    when the host is an Artifact Registry host.
    """

    raw: str
    host: str
    path: str
    tag: str | None = None
    digest: str | None = None
    ar: ArPath | None = None

    @property
    def reference(self) -> str:
        """The tag or digest a client asks for; `latest` when neither is given."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        out = f"{self.host}/{self.path}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


class CredentialKind(StrEnum):
    """How a pull authenticates."""

    BASIC = "basic"  # a username and password (auth:, docker login, a pull secret)
    GCP_AUTH = "gcp_auth"  # OIDC exchanged through Workload Identity Federation (no password)
    AWS_AUTH = "aws_auth"  # Amazon ECR credentials: not for Artifact Registry
    HELPER = "helper"  # a credential helper program, docker-credential-NAME (fields["helper"])
    NONE = "none"  # an anonymous pull
    UNKNOWN = "unknown"  # the pull cannot be determined from the file (e.g. an orb's executor)


class SecretSource(StrEnum):
    """Where a credential's password (or another field) comes from."""

    LITERAL = "literal"  # written in the file itself
    ENV = "env"  # a variable: project/context variable, CI secret, shell variable
    MIXED = "mixed"  # text with variables inside it, e.g. "pw$SUFFIX"
    FILE = "file"  # a file path (e.g. key.json piped to docker login)
    STEP_OUTPUT = "step-output"  # an earlier step's output (GitHub Actions)
    OIDC = "oidc"  # no password: an OIDC token exchanged through Workload Identity Federation
    UNRESOLVED = "unresolved"  # a parameter whose value the file does not give
    NONE = "none"


@dataclass(frozen=True)
class Credential:
    """How a pull authenticates, as written.

    A password is never kept: only where it comes from (a variable name, a file path) or, when it
    is written in the file, what it looks like (`password_kind`, e.g. "a service-account JSON
    key"). Other fields are kept as written; garauth prints them only through `garauth.boundary`.
    """

    kind: CredentialKind
    username: str | None = None  # literal username or None when it comes from a variable
    username_var: str | None = None
    password_source: SecretSource = SecretSource.NONE
    password_ref: str | None = None  # variable name or file path; None for a literal
    password_kind: str | None = None  # a literal password: what it looks like; None if empty
    fields: dict[str, str] = field(default_factory=dict)  # e.g. gcp_auth pool/provider/account
    variables: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> variables it uses
    positions: dict[str, Position] = field(default_factory=dict)  # field -> where its value is written
    position: Position | None = None
    implicit: bool = False  # not written in the file: the platform applies it by default (if set up)
    blocks: tuple[str, ...] = ()  # the credential blocks written for this pull, e.g. ("auth", "gcp_auth")
    sees_file_variables: bool = True  # whether variables the file itself defines reach these fields


@dataclass(frozen=True)
class RefProblem:
    """Why an image reference is refused or is not what Artifact Registry expects (refs.py)."""

    code: str  # e.g. "no-such-location", "no-repository", "bad-tag"
    message: str  # garauth.boundary.Safe text
    hint: str = ""  # what to write instead (Safe)


@dataclass(frozen=True)
class PullSpec:
    """One image some system pulls, with the credential it uses and where that was written."""

    image: ImageRef | None  # None when the reference could not be parsed or determined
    image_text: str
    credential: Credential
    position: Position
    context: dict[str, str] = field(default_factory=dict)  # e.g. {"job": "build", "container": "0"}
    platform: str = ""  # the reader's name, e.g. "circleci"
    image_problem: RefProblem | None = None  # the reference does not parse
    unresolved: tuple[str, ...] = ()  # why the image or credential cannot be told from the file (Safe)
    assumptions: tuple[str, ...] = ()  # values taken as given, e.g. a pipeline parameter's default (Safe)
    defined_in_file: dict[str, tuple[Position, ...]] = field(
        default_factory=dict
    )  # variable -> where the file defines it


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on a PullSpec or a file. `message` and `fix` are garauth.boundary.Safe."""

    rule: str  # rule ID, e.g. "GA101"
    severity: Severity
    message: str
    position: Position
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.position}: {self.rule} {self.severity}: {self.message}"

"""Readers: one module per file format, each saying what a file says (rules judge it).

A config reader provides `NAME`, `detect(path, doc) -> bool` (on the loaded YAML) and
`read_doc(path, doc) -> ReadResult`; it raises `UserError` when the file cannot be used at all
(empty, over a limit) and returns the format's own errors (a schema failure) in
`ReadResult.errors`, each with file, line and column. When there are errors there are no
PullSpecs: a config the platform rejects pulls nothing.

`config_readers()` lists them in the order `garauth check` tries them, `text_readers()` the
readers of plain text; `keyfile` reads service-account key files. A new format is a new module
here and a line in one of those lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from garauth.model import Position, PullSpec


@dataclass(frozen=True)
class ConfigError:
    """A reason the platform itself would reject the file (e.g. its schema), and what to do.
    `message` and `hint` are garauth.boundary.Safe."""

    position: Position
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.position}: {self.message}" + (f" {self.hint}" if self.hint else "")


def schema_errors(path: str, doc: object, schema: str, hint: str) -> list[ConfigError]:
    """The platform's own schema (garauth.schemas) applied to a document, as ConfigErrors at the
    position of each problem, with the reader's hint on where to read about the fix."""
    from garauth import schemas
    from garauth.boundary import fmt

    return [
        ConfigError(Position(path, e.line, e.column), fmt("{}: {}.", e.path, e.message), hint)
        for e in schemas.validate(doc, schema)
    ]


@dataclass(frozen=True)
class ReadResult:
    pullspecs: list[PullSpec] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)
    platform: str = ""


def config_readers() -> list:
    """Readers of YAML or JSON documents, in the order `garauth check` asks them `detect`. A
    reader of several documents per file (Kubernetes manifests) provides `read_docs(path, docs)`
    instead of `read_doc(path, doc)`."""
    from garauth.readers import (
        bitbucket_pipelines,
        circleci,
        docker_config,
        github_actions,
        gitlab_ci,
        kubernetes,
    )

    return [circleci, github_actions, kubernetes, gitlab_ci, bitbucket_pipelines, docker_config]


def text_readers() -> list:
    """Readers of plain text (shell scripts): `detect_text(path, text)`, `read_text(path, text)`."""
    from garauth.readers import shell

    return [shell]

"""Readers: one module per file format, each turning a file into PullSpecs.

Every reader provides `read(path, text=None) -> ReadResult`. It raises `UserError` when the
file cannot be used at all (missing, not text, not YAML, empty), and returns the format's own
errors (a schema failure) in `ReadResult.errors`, each with file, line and column; when there
are errors there are no PullSpecs, because a config the platform rejects pulls nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from garauth.model import Position, PullSpec


@dataclass(frozen=True)
class ConfigError:
    """A reason the platform itself would reject the file (e.g. its schema), and what to do."""

    position: Position
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.position}: {self.message}" + (f" {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class ReadResult:
    pullspecs: list[PullSpec] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)

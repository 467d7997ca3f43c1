"""Check CI configs and key files for the mistakes this guide documents.

    garauth check [PATH ...] [--format text|json|sarif] [--fail-on error|warning|info]
                  [--ignore ID,...] [--config FILE]

PATH is a file, a folder (searched for *.yml, *.yaml, *.json and *.sh files, skipping hidden
folders but .circleci and .github, node_modules and .venv) or - for standard input; the default
is the current folder. Each file's format is recognised from its content: CI configs (CircleCI,
and the other platforms garauth has readers for), Kubernetes manifests, Docker's config.json,
shell scripts (registry logins) and service-account key files; the CLI reference page lists them.
A file garauth does not recognise is listed as skipped.

Each finding is printed as `file:line:col: ID severity message`, with the fix and the rule's
page. `--format json` prints one object; `--format sarif` prints a SARIF 2.1.0 log, the form
code-scanning tools take. Nothing from the files is printed unless it is plain (an image
reference, a variable name, a short name); a key, token or password is described, never shown.

Configuration, in pyproject.toml (the nearest one above the current folder, or --config):
    [tool.garauth]
    ignore = ["GA109"]                 # rules not to report
    exclude = ["tests", "*/broken"]    # folders or files not searched (globs, from that file's folder)
    severity = { GA106 = "error" }     # a rule's severity, changed
    fail-on = "warning"                # the lowest severity that makes the exit status 1
A file named on the command line is checked even when excluded. A finding is also silenced by a
comment `# garauth: ignore[GA101]` (several IDs: [GA101,GA102]) on its line or on the line above.

Limits, so that any file gets an answer in bounded time and memory (over one, the file gets one
line naming the limit): see the CLI reference page, or `garauth.data.limits()`.

Exit status:
    0  no finding at or above --fail-on (default: warning)
    1  at least one finding at or above --fail-on
    2  a usage error, or a file that cannot be read (missing, not UTF-8, not YAML, over a limit)
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from garauth import boundary, data, report, yamlfile
from garauth.boundary import Safe, fmt, own
from garauth.errors import UserError
from garauth.model import Finding, Position, Severity
from garauth.readers import config_readers, text_readers
from garauth.readers import keyfile as keyfile_reader
from garauth.rules import file_findings, findings, rules

CANDIDATES = (".yml", ".yaml", ".json", ".sh")
SKIP_DIRS = {"node_modules", ".venv", "venv", "__pycache__", "site"}
SHOWN_DOT_DIRS = {".circleci", ".github", ".gitlab"}  # hidden folders where CI configs live
_IGNORE = re.compile(r"#\s*garauth:\s*ignore\[([A-Z0-9_, ]+)\]")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files, folders, or - for standard input (default: .)"
    )
    parser.add_argument(
        "--format", choices=["text", "json", "sarif"], default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "info"],
        default=None,
        help="lowest severity that makes the exit status 1 (default: warning, or fail-on in pyproject.toml)",
    )
    parser.add_argument(
        "--ignore", default="", metavar="ID,...", help="rule IDs not to report, comma-separated"
    )
    parser.add_argument("--config", metavar="FILE", help="a pyproject.toml to read [tool.garauth] from")
    parser.add_argument(
        "--stdin-filename", metavar="NAME", default="-", help="the name to report for standard input"
    )


@dataclass
class Settings:
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.WARNING
    exclude: list[str] = field(default_factory=list)  # globs, relative to `root`
    root: Path | None = None  # the folder of the pyproject.toml the settings came from

    def excluded(self, path: str) -> bool:
        """Whether a path found in a folder is left out: it, or a folder above it, matches a glob."""
        if not self.exclude or self.root is None:
            return False
        try:
            parts = Path(path).resolve().relative_to(self.root).parts
        except ValueError:
            return False  # outside the project the settings belong to
        return any(
            fnmatch.fnmatchcase("/".join(parts[:n]), glob)
            for glob in self.exclude
            for n in range(1, len(parts) + 1)
        )


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    errors: list[tuple[Position, Safe]] = field(default_factory=list)  # files that could not be read
    skipped: list[tuple[str, Safe]] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)  # (file, format)


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    outcome = Outcome()
    paths = args.paths or ["."]
    files = list(_files(paths, outcome, settings))
    for number, path in enumerate(files, 1):
        if len(files) > 50 and sys.stderr.isatty():
            print(f"\rgarauth check: {number}/{len(files)} files", end="", file=sys.stderr, flush=True)
        _check_file(path, args, outcome)
    if len(files) > 50 and sys.stderr.isatty():
        print(file=sys.stderr)
    outcome.findings = _apply(outcome.findings, settings)
    _print(outcome, args)
    if outcome.errors:
        return 2
    return 1 if any(f.severity.rank >= settings.fail_on.rank for f in outcome.findings) else 0


# -- which files ---------------------------------------------------------------------------------------


def _files(paths: list[str], outcome: Outcome, settings: Settings):
    for given in paths:
        if given == "-":
            yield "-"
            continue
        p = Path(given)
        if p.is_dir():
            found = []
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if (not d.startswith(".") or d in SHOWN_DOT_DIRS)
                    and d not in SKIP_DIRS
                    and not settings.excluded(os.path.join(root, d))
                )
                found += [
                    os.path.join(root, n)
                    for n in sorted(names)
                    if n.endswith(CANDIDATES) and not settings.excluded(os.path.join(root, n))
                ]
            yield from found
        elif p.exists():
            yield given
        else:
            outcome.errors.append((Position(given, 0, 0), own("no such file or folder")))


def _check_file(path: str, args: argparse.Namespace, outcome: Outcome) -> None:
    name = args.stdin_filename if path == "-" else path
    try:
        text = _read(path)
        fmt_name, found = examine(name, text)
    except UserError as err:
        outcome.errors.append((Position(err.file or name, err.line or 0, err.column or 0), Safe(err.message)))
        return
    if fmt_name is None:
        outcome.skipped.append(
            (name, own("not a format garauth reads (see garauth check --help for the ones it does)"))
        )
        return
    outcome.checked.append((name, fmt_name))
    outcome.findings += _without_ignored(found, text)


def _read(path: str) -> str:
    limit = data.limits()["yaml"]["max_bytes"]
    if path == "-":
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            raise UserError(
                fmt("standard input is larger than {} bytes, garauth's limit.", boundary.number(limit))
            )
        try:
            return raw.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            raise UserError(own("standard input is not UTF-8 text.")) from None
    return yamlfile.read_text(path, limit)


def examine(name: str, text: str) -> tuple[str | None, list[Finding]]:
    """The file's format and its findings; (None, []) when garauth does not read the format."""
    if keyfile_reader.detect(name, text):
        facts = keyfile_reader.read(name, text)
        return keyfile_reader.NAME, file_findings("keyfile", facts)
    for reader in text_readers():
        if reader.detect_text(name, text):
            return reader.NAME, findings(reader.read_text(name, text).pullspecs)
    if name.endswith(".json") and not text.lstrip().startswith("{"):
        return None, []
    try:
        docs = yamlfile.load_all(name, text)
    except UserError:
        if name.endswith((".yml", ".yaml")) or name == "-":
            raise
        return None, []
    for reader in config_readers():
        if hasattr(reader, "read_docs"):
            if reader.detect(name, docs):
                return reader.NAME, _judged(reader.read_docs(name, docs))
        elif len(docs) == 1 and reader.detect(name, docs[0]):
            return reader.NAME, _judged(reader.read_doc(name, docs[0]))
    return None, []


def _judged(result) -> list[Finding]:
    if result.errors:
        return [f for e in result.errors for f in file_findings("config", e)]
    return findings(result.pullspecs)


def _without_ignored(found: list[Finding], text: str) -> list[Finding]:
    if "garauth:" not in text:
        return found
    lines = text.splitlines()
    out = []
    for f in found:
        ids: set[str] = set()
        for line_no in (f.position.line, f.position.line - 1):
            if 1 <= line_no <= len(lines):
                for m in _IGNORE.finditer(lines[line_no - 1]):
                    ids |= {i.strip() for i in m.group(1).split(",")}
        if f.rule not in ids:
            out.append(f)
    return out


# -- settings -------------------------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    table, settings.root = _config_table(args.config)
    known = rules()

    def rule_ids(values: Any, where: str) -> set[str]:
        if isinstance(values, str):
            values = [v for v in values.split(",") if v.strip()]
        if not isinstance(values, list):
            raise UserError(fmt("{} must be a list of rule IDs.", own(where)))
        out = set()
        for v in values:
            v = str(v).strip()
            if v not in known:
                raise UserError(
                    fmt(
                        "{} names {}, which is not a rule ID (garauth check --help lists where they are).",
                        own(where),
                        boundary.name(v),
                    )
                )
            out.add(v)
        return out

    settings.ignore |= rule_ids(table.get("ignore", []), "[tool.garauth] ignore")
    severities = table.get("severity", {})
    if not isinstance(severities, dict):
        raise UserError(own('[tool.garauth] severity must be a table, e.g. severity = { GA106 = "error" }.'))
    for rule_id, level in severities.items():
        rule_ids([rule_id], "[tool.garauth] severity")
        settings.severity[rule_id] = _severity(level, "[tool.garauth] severity")
    if "fail-on" in table:
        settings.fail_on = _severity(table["fail-on"], "[tool.garauth] fail-on")
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(g, str) for g in exclude):
        raise UserError(own('[tool.garauth] exclude must be a list of globs, e.g. exclude = ["tests"].'))
    settings.exclude = [g.strip("/") for g in exclude]
    if args.fail_on:
        settings.fail_on = Severity(args.fail_on)
    settings.ignore |= rule_ids(args.ignore, "--ignore")
    return settings


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise UserError(fmt("{} takes error, warning or info.", own(where))) from None


def _config_table(config: str | None) -> tuple[dict, Path | None]:
    """The [tool.garauth] table and the folder of the file that holds it."""
    if config:
        path: Path | None = Path(config)
    else:
        path = next(
            (
                d / "pyproject.toml"
                for d in [Path.cwd(), *Path.cwd().parents]
                if (d / "pyproject.toml").is_file()
            ),
            None,
        )
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as err:
        raise UserError(
            fmt("cannot read the file: {}.", own(err.strerror or "error")), file=str(path)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise UserError(own("this is not valid TOML."), file=str(path)) from None
    table = data.get("tool", {}).get("garauth", {})
    return (table if isinstance(table, dict) else {}), path.resolve().parent


def _apply(found: list[Finding], settings: Settings) -> list[Finding]:
    out = []
    for f in found:
        if f.rule in settings.ignore:
            continue
        if f.rule in settings.severity:
            f = replace(f, severity=settings.severity[f.rule])
        out.append(f)
    return out


# -- output ---------------------------------------------------------------------------------------------


def _print(outcome: Outcome, args: argparse.Namespace) -> None:
    if args.format == "sarif":
        boundary.emit_json(report.sarif(outcome.findings, outcome.errors))
        return
    if args.format == "json":
        boundary.emit_json(
            {
                "findings": [report.finding_json(f) for f in outcome.findings],
                "errors": [
                    {**(report.position_json(pos) or {}), "message": message}
                    for pos, message in outcome.errors
                ],
                "skipped": [{"file": boundary.path(name), "reason": why} for name, why in outcome.skipped],
                "checked": [
                    {"file": boundary.path(name), "format": own(kind)} for name, kind in outcome.checked
                ],
            }
        )
        return
    for f in outcome.findings:
        boundary.emit(report.text_line(f))
    for pos, message in outcome.errors:
        boundary.error(fmt("garauth check: {}: {}", boundary.position(pos), message))
    for name, why in outcome.skipped:
        boundary.emit(fmt("{}: skipped: {}", boundary.path(name), why))
    counts = {s: sum(1 for f in outcome.findings if f.severity is s) for s in Severity}
    summary = fmt(
        "garauth check: {} file(s) checked, {} skipped; {} error(s), {} warning(s), {} info",
        boundary.number(len(outcome.checked)),
        boundary.number(len(outcome.skipped)),
        boundary.number(counts[Severity.ERROR]),
        boundary.number(counts[Severity.WARNING]),
        boundary.number(counts[Severity.INFO]),
    )
    if outcome.errors:
        summary = summary + fmt("; {} file(s) could not be read", boundary.number(len(outcome.errors)))
    boundary.emit(summary)

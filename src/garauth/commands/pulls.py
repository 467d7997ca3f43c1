"""What a CI config will pull before its jobs start, and with which credential.

    garauth pulls FILE [--format text|json]

Reads a CircleCI config (`.circleci/config.yml`) and lists each image CircleCI pulls for a
`docker` executor: the job and container it belongs to, the image, the credential (its form
and where its password comes from: variable NAMES, never values; for gcp_auth the service
account, pool and provider), the file:line:col of the `image:` value, and any problems.

Exit status:
    0  the file was read and no pull has a problem
    1  the file was read and at least one pull has a problem (a variable CircleCI will not
       interpolate, a password written in the file, a bad image reference, an image that
       cannot be determined, such as one from an orb's executor)
    2  the file cannot be used: missing, not UTF-8, not YAML, empty, or rejected by CircleCI's
       schema; one message per error on stderr, naming file:line:col and what to do

--format json prints one object on stdout (also with exit status 2, then "errors" is non-empty):
    {
      "file": "config.yml",
      "platform": "circleci",
      "pulls": [
        {
          "image": "us-central1-docker.pkg.dev/p/r/app:1.0",  # after parameter substitution
          "written": "...:<< parameters.tag >>",               # as written (null if the same)
          "ref": {"host", "path", "tag", "digest", "reference",
                  "ar": {"location", "project", "repository", "image"} | null} | null,
          "job": "build", "container": 0, "role": "primary" | "secondary",
          "executor": "gar" | null, "name": "db" | null,
          "workflows": ["main"], "contexts": ["gcp"],
          "location": {"file", "line", "column"},
          "credential": {
            "kind": "basic" | "gcp_auth" | "aws_auth" | "none" | "unknown", "implicit": false,
            "username": "_json_key" | null, "username_var": "USER" | null,
            "password_source": "env" | "literal" | "oidc" | "none", "password_var": "KEY" | null,
            "fields": {...},  # gcp_auth: oidc_service_account, workload_identity_pool,
                              # workload_identity_provider; aws_auth: its keys
            "location": {"file", "line", "column"} | null,
            "summary": "one line, as in the text output"
          },
          "problems": ["..."], "notes": ["..."]
        }
      ],
      "errors": [{"file", "line", "column", "message", "hint"}],  # line/column null if unknown
      "problem_count": 0
    }
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from garauth.errors import UserError
from garauth.model import Credential, Position, PullSpec, SecretSource
from garauth.readers import ConfigError, ReadResult, circleci

WIDTH = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a CircleCI config, e.g. .circleci/config.yml")
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format (default: text)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        result = circleci.read(args.file)
    except UserError as err:
        where = Position(err.file or args.file, err.line or 0, err.column or 0)
        result = ReadResult([], [ConfigError(where, err.message)])
        _print_errors(args, result, [f"garauth pulls: {err}"])
        return 2
    if result.errors:
        _print_errors(args, result, [f"garauth pulls: {e}" for e in result.errors])
        return 2
    if args.format == "json":
        print(json.dumps(to_json(args.file, result), indent=2))
    else:
        print(to_text(args.file, result.pullspecs))
    return 1 if any(p.problems for p in result.pullspecs) else 0


def _print_errors(args: argparse.Namespace, result: ReadResult, lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)
    if args.format == "json":
        print(json.dumps(to_json(args.file, result), indent=2))


# -- descriptions ------------------------------------------------------------------------------


def describe(cred: Credential) -> str:
    """One line saying how a pull authenticates, naming variables, never values."""
    if cred.kind == "basic":
        user = f"${cred.username_var}" if cred.username_var else cred.username
        if cred.password_source is SecretSource.ENV:
            password = f"password from project/context variable ${cred.password_ref}"
        else:
            password = "password written in the file"
        return f"auth: username {user}, {password}"
    if cred.kind == "gcp_auth":
        f = cred.fields
        names = (
            f"service account {f.get('oidc_service_account')}, pool {f.get('workload_identity_pool')}, "
            f"provider {f.get('workload_identity_provider')}"
        )
        if cred.implicit:
            return f"gcp_auth (implicit, if these project/context variables are set): {names}"
        return f"gcp_auth (OIDC): {names}"
    if cred.kind == "aws_auth":
        fields = ", ".join(f"{k} {v}" for k, v in cred.fields.items())
        return f"aws_auth (Amazon ECR, not checked by garauth): {fields}"
    if cred.kind == "unknown":
        return "unknown (see the problem below)"
    return "none (anonymous pull)"


def _heading(spec: PullSpec) -> str:
    c = spec.context
    parts = [f"job {c.get('job', '?')}"]
    if "container" in c:
        parts.append(f"container {c['container']} ({c.get('role')})")
    if c.get("name"):
        parts.append(f"name {c['name']}")
    if c.get("executor"):
        parts.append(f"executor {c['executor']}")
    return ", ".join(parts)


def _ar_summary(spec: PullSpec) -> str | None:
    if spec.image is None or spec.image.ar is None:
        return None
    ar = spec.image.ar
    return (
        f"Artifact Registry: location {ar.location}, project {ar.project}, repository {ar.repository}, "
        f"image {ar.image}, {spec.image.digest and 'digest' or 'tag'} {spec.image.reference}"
    )


def to_text(file: str, specs: list[PullSpec]) -> str:
    problems = sum(1 for s in specs if s.problems)
    head = f"{file}: {len(specs)} image pull(s) before jobs start"
    head += f"; {problems} with problems" if problems else "; no problems"
    out = [head]
    for spec in specs:
        out += ["", f"{spec.position}: {_heading(spec)}"]
        rows: list[tuple[str, str]] = [("image", spec.image_text or "(unknown)")]
        if ar := _ar_summary(spec):
            rows.append(("", ar))
        if written := spec.context.get("written"):
            rows.append(("written", written))
        rows.append(("credential", describe(spec.credential)))
        if workflows := spec.context.get("workflows"):
            rows.append(("workflows", workflows.replace(",", ", ")))
        if contexts := spec.context.get("contexts"):
            rows.append(("contexts", contexts.replace(",", ", ")))
        rows += [("problem", p) for p in spec.problems]
        rows += [("note", n) for n in spec.notes]
        out += [_row(label, text) for label, text in rows]
    return "\n".join(out)


def _row(label: str, text: str) -> str:
    indent = "  " + " " * 12
    first = f"  {label:<12}"
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


# -- JSON ------------------------------------------------------------------------------------


def _location(loc: Position | None) -> dict[str, Any] | None:
    """A location as JSON; line and column are null when unknown (stored as 0)."""
    if loc is None:
        return None
    return {"file": loc.file, "line": loc.line or None, "column": loc.column or None}


def _split(value: str | None) -> list[str]:
    return value.split(",") if value else []


def pull_json(spec: PullSpec) -> dict[str, Any]:
    c, cred, image = spec.context, spec.credential, spec.image
    ref = None
    if image is not None:
        ar = image.ar
        ref = {
            "host": image.host,
            "path": image.path,
            "tag": image.tag,
            "digest": image.digest,
            "reference": image.reference,
            "ar": None
            if ar is None
            else {
                "location": ar.location,
                "project": ar.project,
                "repository": ar.repository,
                "image": ar.image,
            },
        }
    return {
        "image": spec.image_text or None,
        "written": c.get("written"),
        "ref": ref,
        "job": c.get("job"),
        "container": int(c["container"]) if "container" in c else None,
        "role": c.get("role"),
        "executor": c.get("executor"),
        "name": c.get("name"),
        "workflows": _split(c.get("workflows")),
        "contexts": _split(c.get("contexts")),
        "location": _location(spec.position),
        "credential": {
            "kind": cred.kind,
            "implicit": cred.implicit,
            "username": cred.username,
            "username_var": cred.username_var,
            "password_source": cred.password_source.value,
            "password_var": cred.password_ref,
            "fields": dict(cred.fields),
            "location": _location(cred.position),
            "summary": describe(cred),
        },
        "problems": list(spec.problems),
        "notes": list(spec.notes),
    }


def to_json(file: str, result: ReadResult) -> dict[str, Any]:
    return {
        "file": file,
        "platform": "circleci",
        "pulls": [pull_json(s) for s in result.pullspecs],
        "errors": [{**_location(e.position), "message": e.message, "hint": e.hint} for e in result.errors],
        "problem_count": sum(len(s.problems) for s in result.pullspecs),
    }

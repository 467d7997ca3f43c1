"""What a CI config will pull before its jobs start, and with which credential.

    garauth pulls FILE [--format text|json]

Reads a CircleCI config (`.circleci/config.yml`) and lists each image CircleCI pulls for a
`docker` executor: the job and container it belongs to, the image, the credential (its form
and where its password comes from: variable NAMES, never values; for gcp_auth the service
account, pool and provider), the file:line:col of the `image:` value, and what garauth's rules
find (the same findings as `garauth check`, each with its rule ID and fix).

Exit status:
    0  the file was read and no pull has an error or a warning (info findings do not count)
    1  the file was read and at least one pull has an error or a warning
    2  the file cannot be used: missing, not UTF-8, not YAML, empty, over one of garauth's
       limits, or rejected by CircleCI's schema; one message per error on stderr, naming
       file:line:col and what to do

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
            "password_source": "env" | "literal" | "mixed" | "oidc" | "unresolved" | "none",
            "password_var": "KEY" | null,
            "fields": {...},  # gcp_auth: oidc_service_account, workload_identity_pool,
                              # workload_identity_provider; aws_auth: its keys
            "location": {"file", "line", "column"} | null,
            "summary": "one line, as in the text output"
          },
          "findings": [{"rule", "name", "severity", "message", "fix", "url",
                        "file", "line", "column"}]
        }
      ],
      "errors": [{"file", "line", "column", "message", "hint"}],  # line/column null if unknown
      "finding_count": 0
    }
Values that come from the file are shown only when they are plain (a parsed image, a variable
name, a short name); anything that looks like a key or a token is described instead.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from typing import Any

from garauth import boundary, report, yamlfile
from garauth.boundary import Safe, fmt, own
from garauth.errors import UserError
from garauth.model import Credential, CredentialKind, Finding, Position, PullSpec, SecretSource
from garauth.readers import ConfigError, ReadResult, circleci
from garauth.rules import findings_of

WIDTH = 100
_WHOLE_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a CircleCI config, e.g. .circleci/config.yml")
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format (default: text)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        doc = yamlfile.load(args.file)
        other = _other_format(args.file, doc)
        if other is not None:
            raise UserError(
                fmt(
                    "this is a {} file; garauth pulls reads CircleCI configs only. Run `garauth check` on it "
                    "for the same findings.",
                    own(other),
                ),
                file=args.file,
            )
        result = circleci.read_doc(args.file, doc)
    except UserError as err:
        where = Position(err.file or args.file, err.line or 0, err.column or 0)
        return _errors(args, ReadResult([], [ConfigError(where, err.message)]), [err.render()])
    if result.errors:
        return _errors(args, result, [_error_line(e) for e in result.errors])
    # Logins in run: steps are the job's own business, not pulls before it starts: `check` has them.
    pulls = [s for s in result.pullspecs if "login" not in s.context]
    result = ReadResult(pulls, [], result.platform)
    found = {id(spec): findings_of(spec) for spec in result.pullspecs}
    if args.format == "json":
        boundary.emit_json(to_json(args.file, result, found))
    else:
        boundary.emit(to_text(args.file, result.pullspecs, found))
    failing = [f for fs in found.values() for f in fs if f.severity.rank >= 2]
    return 1 if failing else 0


def _other_format(path: str, doc: object) -> str | None:
    """The format another reader recognises the file as, when CircleCI's does not."""
    from garauth.readers import config_readers

    if circleci.detect(path, doc):
        return None
    for reader in config_readers():
        if reader is circleci:
            continue
        if reader.detect(path, [doc]) if hasattr(reader, "read_docs") else reader.detect(path, doc):
            return reader.NAME
    return None


def _error_line(e: ConfigError) -> Safe:
    text = fmt("{}: {}", boundary.position(e.position), Safe(e.message))
    return text + own(" ") + Safe(e.hint) if e.hint else text


def _errors(args: argparse.Namespace, result: ReadResult, lines: list[Safe]) -> int:
    for line in lines:
        boundary.error(fmt("garauth pulls: {}", line))
    if args.format == "json":
        boundary.emit_json(to_json(args.file, result, {}))
    return 2


# -- descriptions ------------------------------------------------------------------------------


def describe(cred: Credential) -> Safe:
    """One line saying how a pull authenticates, naming variables, never values."""
    if cred.kind is CredentialKind.BASIC:
        user = (
            fmt("${}", boundary.var(cred.username_var)) if cred.username_var else boundary.name(cred.username)
        )
        source = cred.password_source
        if source is SecretSource.ENV:
            password = fmt("password from project/context variable ${}", boundary.var(cred.password_ref))
        elif source is SecretSource.MIXED:
            password = own("password mixes text with variables")
        elif source is SecretSource.UNRESOLVED:
            password = own("password from a parameter with no value")
        elif cred.password_kind is None:
            password = own("empty password")
        else:
            password = own("password written in the file")
        return fmt("auth: username {}, {}", user, password)
    if cred.kind is CredentialKind.GCP_AUTH:
        f = cred.fields
        names = fmt(
            "service account {}, pool {}, provider {}",
            _field(f.get("oidc_service_account")),
            _field(f.get("workload_identity_pool")),
            _field(f.get("workload_identity_provider")),
        )
        if cred.implicit:
            return fmt("gcp_auth (implicit, if these project/context variables are set): {}", names)
        return fmt("gcp_auth (OIDC): {}", names)
    if cred.kind is CredentialKind.AWS_AUTH:
        fields = boundary.join(fmt("{} {}", boundary.name(k), _field(v)) for k, v in cred.fields.items())
        return fmt("aws_auth (Amazon ECR, not checked by garauth): {}", fields)
    if cred.kind is CredentialKind.UNKNOWN:
        return own("unknown (see the findings below)")
    return own("none (anonymous pull)")


def _field(value: str | None) -> Safe:
    """A gcp_auth or aws_auth field as written: a $VARIABLE, a resource path or an e-mail."""
    if value is None:
        return own("(none)")
    if _WHOLE_VARIABLE.fullmatch(value):
        return fmt("${}", boundary.var(value.strip("${}")))
    return boundary.reference(value)


def _heading(spec: PullSpec) -> Safe:
    c = spec.context
    parts = [fmt("job {}", boundary.name(c.get("job", "?")))]
    if "container" in c:
        parts.append(fmt("container {} ({})", own(str(int(c["container"]))), own(c.get("role", ""))))
    if c.get("name"):
        parts.append(fmt("name {}", boundary.name(c["name"])))
    if c.get("executor"):
        parts.append(fmt("executor {}", boundary.name(c["executor"])))
    return boundary.join(parts)


def _image(spec: PullSpec) -> Safe:
    if spec.image is not None:
        return boundary.image(spec.image)
    if not spec.image_text:
        return own("(unknown)")
    return boundary.written(spec.image_text)


def _ar_summary(spec: PullSpec) -> Safe | None:
    if spec.image is None or spec.image.ar is None:
        return None
    ar, image = spec.image.ar, spec.image
    which = (
        fmt("digest {}", own(image.digest)) if image.digest else fmt("tag {}", boundary.name(image.reference))
    )
    return fmt(
        "Artifact Registry: location {}, project {}, repository {}, image {}, {}",
        own(ar.location),
        boundary.reference(ar.project),
        boundary.reference(ar.repository),
        boundary.reference(ar.image),
        which,
    )


def to_text(file: str, specs: list[PullSpec], found: dict[int, list[Finding]]) -> Safe:
    total = sum(len(found.get(id(s), [])) for s in specs)
    head = fmt("{}: {} image pull(s) before jobs start", boundary.path(file), boundary.number(len(specs)))
    head = head + (fmt("; {} finding(s)", boundary.number(total)) if total else own("; no findings"))
    out: list[Safe] = [head]
    for spec in specs:
        out += [own(""), fmt("{}: {}", boundary.position(spec.position), _heading(spec))]
        rows: list[tuple[str, Safe]] = [("image", _image(spec))]
        if ar := _ar_summary(spec):
            rows.append(("", ar))
        if written := spec.context.get("written"):
            rows.append(("written", boundary.written(written)))
        rows.append(("credential", describe(spec.credential)))
        if workflows := spec.context.get("workflows"):
            rows.append(("workflows", boundary.join(boundary.name(w) for w in workflows.split(","))))
        if contexts := spec.context.get("contexts"):
            rows.append(("contexts", boundary.join(boundary.name(c) for c in contexts.split(","))))
        for f in found.get(id(spec), []):
            rows.append((f"{f.rule} {f.severity.value}", Safe(f.message)))
            rows.append(("", fmt("Fix: {}", Safe(f.fix))))
        out += [_row(label, text) for label, text in rows]
    return boundary.join(out, "\n")


def _row(label: str, text: Safe) -> Safe:
    first = f"  {label:<14}"
    return Safe(
        textwrap.fill(
            text,
            WIDTH,
            initial_indent=first,
            subsequent_indent=" " * len(first),
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


# -- JSON ------------------------------------------------------------------------------------


def _split(value: str | None) -> list[Safe]:
    return [boundary.name(v) for v in value.split(",")] if value else []


def pull_json(spec: PullSpec, found: list[Finding]) -> dict[str, Any]:
    c, cred, image = spec.context, spec.credential, spec.image
    ref = None
    if image is not None:
        ar = image.ar
        ref = {
            "host": own(image.host),
            "path": boundary.reference(image.path),
            "tag": boundary.name(image.tag) if image.tag else None,
            "digest": own(image.digest) if image.digest else None,
            "reference": boundary.name(image.reference),
            "ar": None
            if ar is None
            else {
                "location": own(ar.location),
                "project": boundary.reference(ar.project),
                "repository": boundary.reference(ar.repository),
                "image": boundary.reference(ar.image),
            },
        }
    return {
        "image": _image(spec) if spec.image_text else None,
        "written": boundary.written(c["written"]) if c.get("written") else None,
        "ref": ref,
        "job": boundary.name(c["job"]) if c.get("job") else None,
        "container": int(c["container"]) if "container" in c else None,
        "role": own(c["role"]) if c.get("role") else None,
        "executor": boundary.name(c["executor"]) if c.get("executor") else None,
        "name": boundary.name(c["name"]) if c.get("name") else None,
        "workflows": _split(c.get("workflows")),
        "contexts": _split(c.get("contexts")),
        "location": report.position_json(spec.position),
        "credential": {
            "kind": own(cred.kind.value),
            "implicit": cred.implicit,
            "username": boundary.name(cred.username) if cred.username is not None else None,
            "username_var": boundary.var(cred.username_var) if cred.username_var else None,
            "password_source": own(cred.password_source.value),
            "password_var": boundary.var(cred.password_ref) if cred.password_ref else None,
            "fields": {own(k): _field(v) for k, v in cred.fields.items()},
            "location": report.position_json(cred.position),
            "summary": describe(cred),
        },
        "findings": [report.finding_json(f) for f in found],
    }


def to_json(file: str, result: ReadResult, found: dict[int, list[Finding]]) -> dict[str, Any]:
    return {
        "file": boundary.path(file),
        "platform": own("circleci"),
        "pulls": [pull_json(s, found.get(id(s), [])) for s in result.pullspecs],
        "errors": [
            {**(report.position_json(e.position) or {}), "message": Safe(e.message), "hint": Safe(e.hint)}
            for e in result.errors
        ],
        "finding_count": sum(len(v) for v in found.values()),
    }

"""Read a CircleCI config into the images CircleCI pulls before each job starts.

Public API
    read(path, text=None) -> ReadResult          (ReadResult and ConfigError: garauth.readers)
        .pullspecs  one PullSpec per image a `docker` executor pulls: per job, per container
                    (index 0 is the primary container), per distinct image once parameters are
                    substituted. Sorted by file position.
        .errors     CircleCI schema errors (file:line:col, JSON path, message). When there are
                    any, .pullspecs is empty: CircleCI rejects such a config and pulls nothing.
    Raises UserError when the file cannot be read, is not YAML, is empty, or is over one of
    garauth's limits (garauth.data.limits()).

The reader says what the file says; garauth.rules judges it. Each PullSpec has:
    image / image_text  the parsed reference (None when it cannot be parsed or resolved: see
                        image_problem and unresolved) and the text after parameter substitution;
    location            file:line:col of the `image:` value (of `executor:` when the image
                        comes from an orb);
    context             "job", "container" (index), "role" (primary/secondary), and when they
                        apply "executor", "name", "workflows", "contexts" (comma-separated),
                        "written" (the image text before substitution);
    credential          kind "basic" (auth:), "gcp_auth" (explicit, or implicit=True),
                        "aws_auth", "none", or "unknown" (image not determinable); variable
                        NAMES, never a password (a literal one is described by password_kind);
    unresolved          why the image or credential cannot be told from the file;
    assumptions         pipeline parameters taken at their defaults;
    defined_in_file     for each variable the credential uses that the file defines under an
                        `environment:` key, where (auth: cannot see those: sees_file_variables).

CircleCI rules applied (sources: https://circleci.com/docs/configuration-reference/#docker,
https://circleci.com/docs/private-images/ and https://circleci.com/docs/env-vars/; §N names the
section of the project's research notes, artifact-registry.md, that quotes them):
- §7.1 `docker:` containers have `image`, `name`, `entrypoint`, `command`, `user`,
  `environment`, `auth` (username, password), `aws_auth` (access keys or oidc_role_arn) and
  `gcp_auth` (oidc_service_account, workload_identity_pool, workload_identity_provider);
- §7.1 with no gcp_auth, an image on Artifact Registry is pulled with OIDC when the project or
  context variables GCP_OIDC_SERVICE_ACCOUNT, GCP_WORKLOAD_IDENTITY_POOL and
  GCP_WORKLOAD_IDENTITY_PROVIDER are set (reported as an implicit gcp_auth credential);
- §7.2 `auth:` takes project and context variables (`$VAR`, `${VAR}`); a variable the config
  defines under an `environment:` key is set only when the job runs (sees_file_variables=False);
- §7.2 "NOTE: Public images hosted on GAR or GCR do not require authentication configuration";
- executors, orbs and parameters follow CircleCI's reusable-config rules (see
  circleci_params.py); orb sources are not fetched, so images from an orb's executor or job are
  reported as problems rather than guessed.
Schema validation uses check-jsonschema's vendored CircleCI schema (toolchain.md §5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from garauth import boundary, data, refs, yamlfile
from garauth.boundary import Safe, fmt, own
from garauth.errors import UserError
from garauth.model import Credential, CredentialKind, ImageRef, Position, PullSpec, RefProblem, SecretSource
from garauth.readers import ReadResult, schema_errors, shell
from garauth.readers.circleci_params import (
    Invocation,
    OverLimit,
    Scope,
    declared,
    invocations,
    substitute,
    whole_parameter,
)
from garauth.secretlike import kind_of_secret

NAME = "circleci"
IMPLICIT_GCP_VARIABLES = {
    "oidc_service_account": "GCP_OIDC_SERVICE_ACCOUNT",
    "workload_identity_pool": "GCP_WORKLOAD_IDENTITY_POOL",
    "workload_identity_provider": "GCP_WORKLOAD_IDENTITY_PROVIDER",
}
BLOCKS = ("auth", "gcp_auth", "aws_auth")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
SCHEMA_HINT = own(
    "Fix it as CircleCI's configuration reference describes: https://circleci.com/docs/configuration-reference"
)


def detect(path: str, doc: Any) -> bool:
    """Whether a loaded YAML document is a CircleCI config (by path, or by its top-level keys)."""
    if Path(path).parent.name == ".circleci":
        return True
    return (
        isinstance(doc, dict) and "version" in doc and ("jobs" in doc or "workflows" in doc or "orbs" in doc)
    )


def read(path: str | Path, text: str | None = None) -> ReadResult:
    """Read a CircleCI config; see the module docstring."""
    path = str(path)
    return read_doc(path, yamlfile.load(path, text))


def read_doc(path: str, doc: Any) -> ReadResult:
    """Read an already loaded CircleCI config."""
    if doc is None:
        raise UserError(own("the file is empty. A CircleCI config starts with `version: 2.1`."), file=path)
    errors = schema_errors(path, doc, "circleci", SCHEMA_HINT)
    if errors:
        return ReadResult([], errors, NAME)
    jobs = doc.get("jobs") or {}
    limit = data.limits()["circleci"]["max_jobs"]
    if len(jobs) > limit:
        line, col = yamlfile.position(doc, "jobs")
        raise UserError(
            fmt(
                "the config defines {} jobs; garauth reads configs of up to {}.",
                boundary.number(len(jobs)),
                boundary.number(limit),
            ),
            file=path,
            line=line,
            column=col,
        )
    try:
        return ReadResult(_Reader(path, doc).pullspecs(), [], NAME)
    except OverLimit as err:
        raise UserError(Safe(err.message), file=path, line=err.position[0], column=err.position[1]) from None


@dataclass
class _Draft:
    """A PullSpec being assembled; drafts of the same pull from several invocations merge."""

    spec: PullSpec
    workflows: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)

    def add(self, inv: Invocation) -> None:
        if inv.workflow and inv.workflow not in self.workflows:
            self.workflows.append(inv.workflow)
        self.contexts += [c for c in inv.contexts if c not in self.contexts]

    def build(self) -> PullSpec:
        context = dict(self.spec.context)
        if self.workflows:
            context["workflows"] = ",".join(self.workflows)
        if self.contexts:
            context["contexts"] = ",".join(self.contexts)
        return PullSpec(**{**self.spec.__dict__, "context": context})


class _Reader:
    def __init__(self, path: str, doc: Any) -> None:
        self.path = path
        self.doc = doc
        self.pipeline = declared(doc)
        self.orbs = doc.get("orbs") or {}
        self.executors = doc.get("executors") or {}
        self.env = _environment_definitions(doc, path)
        self.drafts: dict[tuple, _Draft] = {}

    def loc(self, node: Any, key: Any) -> Position:
        line, col = yamlfile.position(node, key)
        return Position(self.path, line, col)

    def pullspecs(self) -> list[PullSpec]:
        runs = invocations(self.doc)
        for name, job in (self.doc.get("jobs") or {}).items():
            if isinstance(job, dict) and job.get("type", "build") == "build":
                for inv in runs.get(str(name)) or [Invocation(None)]:
                    self._job(str(name), job, inv, f"jobs.{name}")
        for name, invs in runs.items():
            orb, slash, job_name = name.partition("/")
            inline = self.orbs.get(orb) if slash else None
            job = (inline.get("jobs") or {}).get(job_name) if isinstance(inline, dict) else None
            if isinstance(job, dict):  # a job of an inline orb, written in this file
                for inv in invs:
                    self._job(name, job, inv, f"orbs.{orb}.jobs.{job_name}", namespace=orb)
            elif slash:
                self._orb_job(name, invs)
        specs = [d.build() for d in self.drafts.values()]
        specs += self._logins()
        return sorted(specs, key=lambda s: (s.position.line, s.position.column, s.context.get("job", "")))

    def _logins(self) -> list[PullSpec]:
        """Registry logins written in `run:` steps (context "login"): not pulls of the job's image,
        but credentials the job's own commands use."""
        out = []
        for step in steps_of(self.path, self.doc):
            start = step.position.line + (1 if "\n" in step.command.rstrip("\n") else 0)
            for spec in shell.logins(self.path, step.command, start, step.position.column):
                out.append(
                    PullSpec(
                        **{**spec.__dict__, "platform": NAME, "context": {**spec.context, "job": step.job}}
                    )
                )
        return out

    # -- jobs and executors ------------------------------------------------------------------

    def _job(self, name: str, job: dict, inv: Invocation, owner: str, namespace: str | None = None) -> None:
        """The pulls of one job run; `namespace` is the inline orb the job belongs to, if any."""
        params = declared(job)
        workflow_scope = Scope("parameters", {}, self.pipeline)  # values passed in a workflow
        for key, value in inv.args:
            if key in params:
                params[key] = substitute(value, workflow_scope).text if isinstance(value, str) else value
        scope = Scope(owner, params, self.pipeline)
        base = {"job": name}
        if "executor" not in job:
            for index, container in enumerate(job.get("docker") or []):
                self._container(base, index, container, scope, owner, inv)
            return
        ref = job["executor"]
        value = whole_parameter(ref, scope)
        if isinstance(value, dict):
            ref = value
        ref_name = ref.get("name") if isinstance(ref, dict) else ref
        named = substitute(ref_name, scope)
        where = self.loc(job, "executor")
        if named.problems:
            self._unresolved(base, where, named.text, named.problems, inv)
            return
        body, owner, problem = self._executor(named.text, namespace)
        if body is None:
            self._unresolved({**base, "executor": named.text}, where, "", [problem], inv)
            return
        exec_params = declared(body)
        if isinstance(ref, dict):
            for key, arg in ref.items():
                if key != "name" and key in exec_params:
                    exec_params[key] = substitute(arg, scope).text if isinstance(arg, str) else arg
        exec_scope = Scope(owner, exec_params, self.pipeline)
        for index, container in enumerate(body.get("docker") or []):
            self._container({**base, "executor": named.text}, index, container, exec_scope, owner, inv)

    def _executor(self, name: str, namespace: str | None) -> tuple[dict | None, str, Safe]:
        """The executor's body and its config path, or None and why it cannot be read.

        Inside an inline orb, a bare name is one of the orb's own executors."""
        orb, slash, exec_name = name.partition("/")
        shown = boundary.name(name)
        if not slash and namespace:
            body = (self.orbs[namespace].get("executors") or {}).get(name)
            owner = f"orbs.{namespace}.executors.{name}"
            why = fmt(
                "The executor {} is not defined under orbs.{}.executors:.", shown, boundary.name(namespace)
            )
        elif not slash:
            body, owner = self.executors.get(name), f"executors.{name}"
            why = fmt("The executor {} is not defined under executors:. Define it or fix its name.", shown)
        elif isinstance(self.orbs.get(orb), dict):  # an inline orb, written in this file
            body = (self.orbs[orb].get("executors") or {}).get(exec_name)
            owner = f"orbs.{orb}.executors.{exec_name}"
            why = fmt(
                "The inline orb {} defines no executor {}.", boundary.name(orb), boundary.name(exec_name)
            )
        elif orb not in self.orbs:
            body, owner = None, ""
            why = fmt(
                "The executor {} names the orb {}, which is not declared under orbs:.",
                shown,
                boundary.name(orb),
            )
        else:
            body, owner = None, ""
            why = fmt(
                "The executor {} comes from the orb {}; garauth does not fetch orb sources, so it cannot tell "
                "which image it pulls or with which credential. Look the executor up on the orb's page in "
                "the CircleCI orb registry.",
                shown,
                boundary.name(self.orbs[orb]),
            )
        if isinstance(body, dict):
            return body, owner, own("")
        return None, "", why

    def _orb_job(self, name: str, invs: list[Invocation]) -> None:
        orb = name.partition("/")[0]
        source = self.orbs.get(orb)
        what = fmt("the orb {}", boundary.name(source if isinstance(source, str) else orb))
        problem = fmt(
            "The job {} comes from {}; garauth does not read orb jobs, so it cannot tell which image it "
            "pulls or with which credential.",
            boundary.name(name),
            what,
        )
        for inv in invs:
            entry = inv.entry[inv.entry_index]
            line, col = yamlfile.position(inv.entry, inv.entry_index)
            if isinstance(entry, dict):
                line, col = yamlfile.position(entry)
            self._unresolved({"job": name}, Position(self.path, line, col), "", [problem], inv)

    def _unresolved(
        self, context: dict, where: Position, text: str, reasons: list[Safe], inv: Invocation
    ) -> None:
        spec = PullSpec(
            image=None,
            image_text=text,
            credential=Credential(kind=CredentialKind.UNKNOWN),
            position=where,
            context=context,
            platform=NAME,
            unresolved=tuple(reasons),
        )
        self._add(spec, inv)

    # -- one container -----------------------------------------------------------------------

    def _container(self, base: dict, index: int, c: dict, scope: Scope, owner: str, inv: Invocation) -> None:
        written = c.get("image")
        image_text = substitute(written, scope)
        unresolved, assumptions = list(image_text.problems), list(image_text.notes)
        image: ImageRef | None = None
        problem: RefProblem | None = None
        if image_text.complete:
            try:
                image = refs.parse(image_text.text)
            except refs.RefError as err:
                problem = err.problem
        context = {**base, "container": str(index), "role": "primary" if index == 0 else "secondary"}
        if c.get("name"):
            context["name"] = str(c["name"])
        if image_text.text != written:
            context["written"] = str(written)
        facts = _Credentials(self, c, scope, image)
        credential = facts.credential()
        spec = PullSpec(
            image=image,
            image_text=image_text.text,
            credential=credential,
            position=self.loc(c, "image"),
            context=context,
            platform=NAME,
            image_problem=problem,
            unresolved=_dedupe(unresolved + facts.unresolved),
            assumptions=_dedupe(assumptions + facts.assumptions),
            defined_in_file={
                name: tuple(self.env[name])
                for names in credential.variables.values()
                for name in names
                if name in self.env
            },
        )
        self._add(spec, inv)

    def _add(self, spec: PullSpec, inv: Invocation) -> None:
        key = (
            spec.position,
            spec.context.get("job"),
            spec.image_text,
            repr(spec.credential),
            spec.unresolved,
        )
        draft = self.drafts.setdefault(key, _Draft(spec))
        draft.add(inv)


class _Credentials:
    """What one container says about its credential: auth:, gcp_auth:, aws_auth:, or none."""

    def __init__(self, reader: _Reader, c: dict, scope: Scope, image: ImageRef | None):
        self.reader, self.c, self.scope, self.image = reader, c, scope, image
        self.unresolved: list[Safe] = []
        self.assumptions: list[Safe] = []
        self.variables: dict[str, tuple[str, ...]] = {}
        self.positions: dict[str, Position] = {}

    def credential(self) -> Credential:
        c = self.c
        blocks = tuple(b for b in BLOCKS if b in c)
        if "auth" in c:
            cred = self._basic(c["auth"])
        elif "gcp_auth" in c:
            cred = self._gcp(c["gcp_auth"])
        elif "aws_auth" in c:
            cred = self._aws(c["aws_auth"])
        elif self.image is not None and self.image.ar is not None:
            cred = self._implicit()
        else:
            cred = Credential(kind=CredentialKind.NONE)
        return Credential(**{**cred.__dict__, "blocks": blocks})

    def _value(self, block: Any, key: str, field_name: str) -> tuple[str, bool]:
        """A field's text after parameter substitution, and whether it is complete."""
        value = block.get(key) if isinstance(block, dict) else None
        out = substitute(value, self.scope)
        self.unresolved += out.problems
        self.assumptions += out.notes
        names = tuple(m.group(1) or m.group(2) for m in _VAR.finditer(out.text))
        if names:
            self.variables[field_name] = names
        if isinstance(block, dict) and key in block:
            self.positions[field_name] = self.reader.loc(block, key)
        return out.text, out.complete

    def _basic(self, auth: dict) -> Credential:
        user, _ = self._value(auth, "username", "username")
        password, complete = self._value(auth, "password", "password")
        username_var = _whole_variable(user)
        password_var = _whole_variable(password)
        if password_var:
            source, kind = SecretSource.ENV, None
        elif not complete:
            source, kind = SecretSource.UNRESOLVED, None
        elif "password" in self.variables:
            source, kind = SecretSource.MIXED, None
        else:
            source, kind = SecretSource.LITERAL, kind_of_secret(password)
        return Credential(
            kind=CredentialKind.BASIC,
            username=None if username_var else user,
            username_var=username_var,
            password_source=source,
            password_ref=password_var,
            password_kind=kind,
            variables=dict(self.variables),
            positions=dict(self.positions),
            position=self.reader.loc(self.c, "auth"),
            sees_file_variables=False,
        )

    def _gcp(self, gcp: dict) -> Credential:
        fields = {key: self._value(gcp, key, key)[0] for key in IMPLICIT_GCP_VARIABLES}
        return Credential(
            kind=CredentialKind.GCP_AUTH,
            password_source=SecretSource.OIDC,
            fields=fields,
            variables=dict(self.variables),
            positions=dict(self.positions),
            position=self.reader.loc(self.c, "gcp_auth"),
            sees_file_variables=False,
        )

    def _aws(self, aws: dict) -> Credential:
        fields: dict[str, str] = {}
        source, kind, ref = SecretSource.ENV, None, None
        for key in aws if isinstance(aws, dict) else ():
            text, complete = self._value(aws, key, str(key))
            if key == "aws_secret_access_key":
                ref = _whole_variable(text)
                if ref is None and complete:
                    source, kind = SecretSource.LITERAL, kind_of_secret(text)
                text = f"${ref}" if ref else ""  # a secret key written in the file is never kept
            fields[str(key)] = text
        if isinstance(aws, dict) and "oidc_role_arn" in aws:
            source = SecretSource.OIDC
        return Credential(
            kind=CredentialKind.AWS_AUTH,
            password_source=source,
            password_ref=ref,
            password_kind=kind,
            fields=fields,
            variables=dict(self.variables),
            positions=dict(self.positions),
            position=self.reader.loc(self.c, "aws_auth"),
            sees_file_variables=False,
        )

    def _implicit(self) -> Credential:
        return Credential(
            kind=CredentialKind.GCP_AUTH,
            password_source=SecretSource.OIDC,
            fields={k: f"${v}" for k, v in IMPLICIT_GCP_VARIABLES.items()},
            variables={k: (v,) for k, v in IMPLICIT_GCP_VARIABLES.items()},
            implicit=True,
            sees_file_variables=False,
        )


def _whole_variable(text: str) -> str | None:
    """The variable name when the value is exactly `$VAR` or `${VAR}`."""
    whole = _VAR.fullmatch(text)
    return (whole.group(1) or whole.group(2)) if whole else None


def _environment_definitions(doc: Any, path: str) -> dict[str, list[Position]]:
    """Every variable the config defines under an `environment:` key: name -> [position]."""
    found: dict[str, list[Position]] = {}

    def visit(node: Any) -> None:
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "environment":
                        for name, line in _env_names(value):
                            found.setdefault(name, []).append(Position(path, line, 1))
                    elif isinstance(value, (dict, list)):
                        stack.append(value)
            elif isinstance(node, list):
                stack.extend(item for item in node if isinstance(item, (dict, list)))

    for top in ("jobs", "executors", "orbs"):
        visit(doc.get(top))
    for places in found.values():
        places.sort(key=lambda p: p.line)
    return found


def _env_names(env: Any) -> list[tuple[str, int]]:
    if isinstance(env, dict):
        return [(str(k), yamlfile.key_position(env, k)[0]) for k in env]
    if isinstance(env, list):
        out = []
        for i, item in enumerate(env):
            line = yamlfile.position(env, i)[0]
            if isinstance(item, dict):
                out += [(str(k), line) for k in item]
            elif isinstance(item, str) and "=" in item:
                out.append((item.split("=", 1)[0], line))
        return out
    return []


def _dedupe(items: list[Safe]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class RunStep:
    """One `run:` step of a job: the shell command CircleCI runs, as written."""

    job: str
    name: str | None
    command: str
    position: Position


def run_steps(path: str | Path, text: str | None = None) -> list[RunStep]:
    """Every `run:` step of the config's top-level jobs, in file order.

    Used to execute login steps (`docker login ... --password-stdin`) exactly as written.
    Parameters in commands are left as written; steps from orbs are not included.
    """
    path = str(path)
    return steps_of(path, yamlfile.load(path, text))


def steps_of(path: str, doc: Any) -> list[RunStep]:
    """The `run:` steps of an already loaded config (see run_steps)."""
    out: list[RunStep] = []
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    for job_name, job in (jobs or {}).items():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps or []:
            if not isinstance(step, dict) or "run" not in step:
                continue
            run = step["run"]
            name = None
            if isinstance(run, dict):
                command, name = run.get("command"), run.get("name")
                line, col = yamlfile.position(run, "command")
            else:
                command = run
                line, col = yamlfile.position(step, "run")
            if isinstance(command, str):
                out.append(RunStep(str(job_name), name, command, Position(path, line, col)))
    return out

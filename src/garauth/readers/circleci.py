"""Read a CircleCI config into the images CircleCI pulls before each job starts.

Public API
    read(path, text=None) -> ReadResult          (ReadResult and ConfigError: garauth.readers)
        .pullspecs  one PullSpec per image a `docker` executor pulls: per job, per container
                    (index 0 is the primary container), per distinct image once parameters are
                    substituted. Sorted by file position.
        .errors     CircleCI schema errors (file:line:col, JSON path, message). When there are
                    any, .pullspecs is empty: CircleCI rejects such a config and pulls nothing.
    Raises UserError when the file cannot be read, is not YAML, or is empty.

Each PullSpec has:
    image / image_text  the parsed reference (None when it cannot be parsed or resolved; the
                        reason is in problems) and the text after parameter substitution;
    location            file:line:col of the `image:` value (of `executor:` when the image
                        comes from an orb);
    context             "job", "container" (index), "role" (primary/secondary), and when they
                        apply "executor", "name", "workflows", "contexts" (comma-separated),
                        "written" (the image text before substitution);
    credential          kind "basic" (auth:), "gcp_auth" (explicit, or implicit=True),
                        "aws_auth", "none", or "unknown" (image not determinable); variable
                        NAMES only, never values;
    problems / notes    what will fail or cannot be determined / facts worth knowing.

CircleCI rules applied (sources: https://circleci.com/docs/configuration-reference/#docker,
https://circleci.com/docs/private-images/ and https://circleci.com/docs/env-vars/; §N names the
section of the project's research notes, artifact-registry.md, that quotes them):
- §7.1 `docker:` containers have `image`, `name`, `entrypoint`, `command`, `user`,
  `environment`, `auth` (username, password), `aws_auth` (access keys or oidc_role_arn) and
  `gcp_auth` (oidc_service_account, workload_identity_pool, workload_identity_provider);
- §7.1 with no gcp_auth, an image on Artifact Registry is pulled with OIDC when the project or
  context variables GCP_OIDC_SERVICE_ACCOUNT, GCP_WORKLOAD_IDENTITY_POOL and
  GCP_WORKLOAD_IDENTITY_PROVIDER are set (reported as an implicit gcp_auth credential);
- §7.2 in `auth:` only project and context variables are interpolated (`$VAR`, `${VAR}`): a
  variable the config defines only under an `environment:` key is not available there;
- §7.2 "To protect the password, place it in a context, or use a per-project Environment
  Variable": a password written literally is a problem (its value is never repeated);
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

from garauth import refs, schemas, yamlfile
from garauth.errors import UserError
from garauth.model import Credential, CredentialKind, ImageRef, Position, PullSpec, SecretSource
from garauth.readers import ConfigError, ReadResult
from garauth.readers.circleci_params import (
    Invocation,
    Scope,
    declared,
    invocations,
    substitute,
    whole_parameter,
)
from garauth.secretlike import kind_of_secret

LITERAL = "<written in the file>"  # stands in for a secret value the reader does not keep
IMPLICIT_GCP_VARIABLES = {
    "oidc_service_account": "GCP_OIDC_SERVICE_ACCOUNT",
    "workload_identity_pool": "GCP_WORKLOAD_IDENTITY_POOL",
    "workload_identity_provider": "GCP_WORKLOAD_IDENTITY_PROVIDER",
}
# Usernames Artifact Registry reserves (they say what the password is); shown as written.
RESERVED_USERNAMES = {"_json_key", "_json_key_base64", "oauth2accesstoken", "_token", "_dcgcloud_token"}
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
SCHEMA_HINT = "Fix it as CircleCI's configuration reference describes: https://circleci.com/docs/configuration-reference"


def read(path: str | Path, text: str | None = None) -> ReadResult:
    """Read a CircleCI config; see the module docstring."""
    path = str(path)
    doc = yamlfile.load(path, text)
    if doc is None:
        raise UserError("the file is empty. A CircleCI config starts with `version: 2.1`.", file=path)
    errors = [
        ConfigError(Position(path, e.line, e.column), f"{e.path}: {e.message}.", SCHEMA_HINT)
        for e in _unique(schemas.validate(doc, "circleci"))
    ]
    if errors:
        return ReadResult([], errors)
    return ReadResult(_Reader(path, doc).pullspecs(), [])


def _unique(errors):
    seen, out = set(), []
    for e in errors:
        if (e.line, e.column, e.message) not in seen:
            seen.add((e.line, e.column, e.message))
            out.append(e)
    return out


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
        return PullSpec(
            image=self.spec.image,
            image_text=self.spec.image_text,
            credential=self.spec.credential,
            position=self.spec.position,
            context=context,
            problems=self.spec.problems,
            notes=self.spec.notes,
        )


class _Reader:
    def __init__(self, path: str, doc: Any) -> None:
        self.path = path
        self.doc = doc
        self.pipeline = declared(doc)
        self.orbs = doc.get("orbs") or {}
        self.executors = doc.get("executors") or {}
        self.env = _environment_definitions(doc)
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
        return sorted(specs, key=lambda s: (s.position.line, s.position.column, s.context.get("job", "")))

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

    def _executor(self, name: str, namespace: str | None) -> tuple[dict | None, str, str]:
        """The executor's body and its config path, or None and why it cannot be read.

        Inside an inline orb, a bare name is one of the orb's own executors."""
        orb, slash, exec_name = name.partition("/")
        if not slash and namespace:
            body = (self.orbs[namespace].get("executors") or {}).get(name)
            owner = f"orbs.{namespace}.executors.{name}"
            why = f"The executor '{name}' is not defined under orbs.{namespace}.executors:."
        elif not slash:
            body, owner = self.executors.get(name), f"executors.{name}"
            why = f"The executor '{name}' is not defined under executors:. Define it or fix its name."
        elif isinstance(self.orbs.get(orb), dict):  # an inline orb, written in this file
            body = (self.orbs[orb].get("executors") or {}).get(exec_name)
            owner = f"orbs.{orb}.executors.{exec_name}"
            why = f"The inline orb '{orb}' defines no executor '{exec_name}'."
        elif orb not in self.orbs:
            body, owner = None, ""
            why = f"The executor '{name}' names the orb '{orb}', which is not declared under orbs:."
        else:
            body, owner = None, ""
            why = (
                f"The executor '{name}' comes from the orb {self.orbs[orb]}; garauth does not fetch orb "
                "sources, so it cannot tell which image it pulls or with which credential. Look the "
                "executor up on the orb's page in the CircleCI orb registry."
            )
        if isinstance(body, dict):
            return body, owner, ""
        return None, "", why

    def _orb_job(self, name: str, invs: list[Invocation]) -> None:
        orb = name.partition("/")[0]
        source = self.orbs.get(orb)
        what = f"the orb {source}" if isinstance(source, str) else f"the orb '{orb}'"
        problem = (
            f"The job '{name}' comes from {what}; garauth does not read orb jobs, so it cannot tell "
            "which image it pulls or with which credential."
        )
        for inv in invs:
            entry = inv.entry[inv.entry_index]
            line, col = yamlfile.position(inv.entry, inv.entry_index)
            if isinstance(entry, dict):
                line, col = yamlfile.position(entry)
            self._unresolved({"job": name}, Position(self.path, line, col), "", [problem], inv)

    def _unresolved(self, context: dict, where: Position, text: str, problems: list[str], inv) -> None:
        spec = PullSpec(None, text, Credential(kind=CredentialKind.UNKNOWN), where, context, tuple(problems))
        self._add(spec, inv)

    # -- one container -----------------------------------------------------------------------

    def _container(self, base: dict, index: int, c: dict, scope: Scope, owner: str, inv: Invocation) -> None:
        written = c.get("image")
        image_text = substitute(written, scope)
        problems, notes = list(image_text.problems), list(image_text.notes)
        image: ImageRef | None = None
        if image_text.complete:
            try:
                image = refs.parse(image_text.text)
            except refs.RefError as err:
                problems.append(f"{err.message} {err.hint}".strip())
        context = {**base, "container": str(index), "role": "primary" if index == 0 else "secondary"}
        if c.get("name"):
            context["name"] = str(c["name"])
        if image_text.text != written:
            context["written"] = str(written)
        where = f"{owner}.docker[{index}]"
        credential = _Credentials(self, c, scope, image, where).credential()
        spec = PullSpec(
            image=image,
            image_text=image_text.text,
            credential=credential.value,
            position=self.loc(c, "image"),
            context=context,
            problems=_dedupe(problems + credential.problems),
            notes=_dedupe(notes + credential.notes),
        )
        self._add(spec, inv)

    def _add(self, spec: PullSpec, inv: Invocation) -> None:
        key = (spec.position, spec.context.get("job"), spec.image_text, repr(spec.credential), spec.problems)
        draft = self.drafts.setdefault(key, _Draft(spec))
        draft.add(inv)


@dataclass
class _Cred:
    value: Credential
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Credentials:
    """The credential of one container: auth:, gcp_auth:, aws_auth:, implicit gcp_auth, or none."""

    def __init__(self, reader: _Reader, c: dict, scope: Scope, image: ImageRef | None, where: str):
        self.reader, self.c, self.scope, self.image, self.where = reader, c, scope, image, where
        self.problems: list[str] = []
        self.notes: list[str] = []

    def credential(self) -> _Cred:
        c = self.c
        if "auth" in c and "gcp_auth" in c:
            self.problems.append(
                f"{self.where} has both auth: and gcp_auth:; CircleCI does not document which one it "
                "uses. Keep one."
            )
        if "auth" in c:
            value = self._basic(c["auth"])
        elif "gcp_auth" in c:
            value = self._gcp(c["gcp_auth"])
        elif "aws_auth" in c:
            value = self._aws(c["aws_auth"])
        elif self.image is not None and self.image.ar is not None:
            value = self._implicit()
        else:
            value = Credential(kind=CredentialKind.NONE)
        return _Cred(value, self.problems, self.notes)

    def _basic(self, auth: dict) -> Credential:
        user = substitute(auth.get("username"), self.scope)
        password = substitute(auth.get("password"), self.scope)
        self.problems += user.problems + password.problems
        self.notes += user.notes + password.notes
        username_var = self._variable("auth.username", user.text)
        password_var = self._variable("auth.password", password.text)
        if password_var is None and password.complete and "$" not in password.text:
            kind = kind_of_secret(password.text)
            if kind is None:
                self.problems.append(f"{self.where}.auth.password is empty. Write password: $VARIABLE.")
            else:
                self.problems.append(
                    f"{self.where}.auth.password is written in the file: it looks like {kind}. Anyone who "
                    "can read the repository can read it. Treat it as leaked and replace it; store the new "
                    "one as a project or context variable and write password: $NAME."
                )
        username = None if username_var else user.text
        if username is not None and username not in RESERVED_USERNAMES:
            kind = kind_of_secret(username)
            if kind not in (None, "a literal password"):
                # Never repeat it: a key or token in the username field is a leaked secret.
                username = "<a secret, not shown>"
                self.problems.append(
                    f"{self.where}.auth.username is written in the file and looks like {kind}: are "
                    "username and password swapped? Treat it as leaked and replace it."
                )
        return Credential(
            kind=CredentialKind.BASIC,
            username=username,
            username_var=username_var,
            password_source=SecretSource.ENV if password_var else SecretSource.LITERAL,
            password_ref=password_var,
            position=self.reader.loc(self.c, "auth"),
        )

    def _gcp(self, gcp: dict) -> Credential:
        fields = {}
        for key in IMPLICIT_GCP_VARIABLES:
            value = substitute(gcp.get(key), self.scope)
            self.problems += value.problems
            self.notes += value.notes
            fields[key] = value.text
            if _VAR.search(value.text):
                self.notes.append(
                    f"gcp_auth.{key} uses a variable; CircleCI documents variable interpolation only for "
                    "auth:, so check that it is expanded here."
                )
        self._not_ar("gcp_auth")
        return Credential(
            kind=CredentialKind.GCP_AUTH,
            password_source=SecretSource.OIDC,
            fields=fields,
            position=self.reader.loc(self.c, "gcp_auth"),
        )

    def _aws(self, aws: dict) -> Credential:
        fields = {}
        for key, value in aws.items():
            text = substitute(value, self.scope).text
            fields[str(key)] = text
            if key == "aws_secret_access_key" and not _VAR.fullmatch(text):
                fields[str(key)] = LITERAL  # never keep the value
                self.problems.append(
                    f"{self.where}.aws_auth.aws_secret_access_key is written in the file. Treat it as "
                    "leaked; store it as a project or context variable."
                )
        self.notes.append("aws_auth authenticates to Amazon ECR; garauth does not check ECR pulls.")
        if self.image is not None and self.image.ar is not None:
            self.problems.append(
                f"{self.where} uses aws_auth:, which is for Amazon ECR, but the image is on Artifact "
                "Registry. Use auth: (username _json_key) or gcp_auth: instead."
            )
        return Credential(
            kind=CredentialKind.AWS_AUTH,
            password_source=SecretSource.OIDC if "oidc_role_arn" in aws else SecretSource.ENV,
            fields=fields,
            position=self.reader.loc(self.c, "aws_auth"),
        )

    def _implicit(self) -> Credential:
        for name in IMPLICIT_GCP_VARIABLES.values():
            self._env_only(name, "implicit gcp_auth")
        self.notes.append(
            "No auth: or gcp_auth: is given. CircleCI pulls with OIDC (gcp_auth) if the project or context "
            "variables " + ", ".join(IMPLICIT_GCP_VARIABLES.values()) + " are set; otherwise it pulls "
            "anonymously, which works only for a public repository."
        )
        return Credential(
            kind=CredentialKind.GCP_AUTH,
            password_source=SecretSource.OIDC,
            fields={k: f"${v}" for k, v in IMPLICIT_GCP_VARIABLES.items()},
            implicit=True,
        )

    def _not_ar(self, what: str) -> None:
        if self.image is not None and self.image.ar is None:
            host = self.image.host
            self.notes.append(f"{what} is for images on Artifact Registry; {host} is not an AR host.")

    def _variable(self, field_name: str, text: str) -> str | None:
        """The variable name when the value is `$VAR` or `${VAR}`; reports other uses of `$`."""
        whole = _VAR.fullmatch(text)
        if whole:
            name = whole.group(1) or whole.group(2)
            self._env_only(name, field_name)
            return name
        names = [m.group(1) or m.group(2) for m in _VAR.finditer(text)]
        if names:
            self.problems.append(
                f"{self.where}.{field_name} mixes text with ${names[0]}; CircleCI documents only a whole "
                "value such as $NAME. Put the whole value in one project or context variable."
            )
            for name in names:
                self._env_only(name, field_name)
        return None

    def _env_only(self, name: str, field_name: str) -> None:
        places = self.reader.env.get(name)
        if not places:
            return
        where, line = places[0]
        more = f" and {len(places) - 1} other place(s)" if len(places) > 1 else ""
        if field_name.startswith("auth."):
            rule = "CircleCI does not interpolate it in auth:"
        else:
            rule = "CircleCI reads it for the implicit gcp_auth only from project or context variables"
        self.problems.append(
            f"${name} is defined only under {where} (line {line}){more}; {rule}. "
            "Store it as a project or context variable."
        )


def _environment_definitions(doc: Any) -> dict[str, list[tuple[str, int]]]:
    """Every variable the config defines under an `environment:` key: name -> [(path, line)]."""
    found: dict[str, list[tuple[str, int]]] = {}

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else str(key)
                if key == "environment":
                    for name, line in _env_names(node, value):
                        found.setdefault(name, []).append((sub, line))
                else:
                    visit(value, sub)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, f"{path}[{i}]")

    for top in ("jobs", "executors", "orbs"):
        visit(doc.get(top), top)
    return found


def _env_names(parent: Any, env: Any) -> list[tuple[str, int]]:
    if isinstance(env, dict):
        return [(str(k), yamlfile.position(env, k)[0]) for k in env]
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


def _dedupe(items: list[str]) -> tuple[str, ...]:
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
    doc = yamlfile.load(path, text)
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

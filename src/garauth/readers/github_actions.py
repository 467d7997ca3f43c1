"""Read a GitHub Actions workflow (.github/workflows/*.yml) into what it pulls and how it logs in.

Public API
    NAME, detect(path, doc), read(path, text=None), read_doc(path, doc) -> ReadResult
    steps_of(path, doc) -> list[Step]     every step of every job, as written (tests run them)

    .errors     GitHub's workflow schema (check-jsonschema's `github-workflows`), file:line:col.
                When there are any, .pullspecs is empty: GitHub rejects such a workflow.
    .pullspecs  sorted by file position:
      - the job container (`jobs.<id>.container`, context role "container") and each service
        container (`jobs.<id>.services.<id>`, role "service", "service" its ID): images the
        runner pulls through its Docker Engine before any step, with `credentials:`
        (username, password) when given. Every key written under `credentials:` is kept in
        Credential.positions as "key:NAME", so a rule can judge keys the schema lets through;
      - each `docker/login-action` step (context "login": "docker/login-action"; image None,
        image_text the `registry` input, docker.io when it is left out, as the action does);
      - each `google-github-actions/auth` step (context "action"; image None, image_text ""):
        kind GCP_AUTH, fields workload_identity_provider, service_account, token_format,
        credentials_json (never its value: password_source and password_ref say where it
        comes from, context "credentials_json_lines" over how many lines it is written), and
        context "id_token" ("write" or "none") with "permissions_at" ("job", "workflow" or
        "default"): the `id-token` permission the job gets;
      - the registry logins written in `run:` steps (garauth.readers.shell.logins).

Where a value comes from (username, password, credentials_json), as GitHub evaluates `${{ }}`:
    ${{ secrets.NAME }}, ${{ vars.NAME }}, ${{ env.NAME }}, ${{ inputs.NAME }}
        SecretSource.ENV, password_ref / username_var NAME, context "<field>_context" the
        context's name (secrets, vars, env, inputs)
    ${{ steps.ID.outputs.NAME }}
        SecretSource.STEP_OUTPUT, password_ref "steps.ID.outputs.NAME"; context "output_step",
        "output_name", "output_action" (the step's action, or "run"), "output_produced":
        "yes" / "no" (google-github-actions/auth gives access_token only with
        token_format: access_token, id_token only with token_format: id_token) / "unknown"
        (another action, or a value garauth cannot evaluate) / "no-step" (no earlier step of
        the job has that ID); Credential.positions["output_step"] is where that step is written
    any other expression, or text around one: UNRESOLVED or MIXED; text: LITERAL (described
        by password_kind, never kept).

GitHub rules applied (sources: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax,
https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#context-availability,
https://docs.github.com/en/actions/reference/security/oidc, the actions' READMEs):
- `permissions` at job level replaces the workflow's; any permission not named is `none`;
  `write-all` grants id-token: write, `read-all` does not (id-token is write or none); with no
  `permissions` anywhere, id-token is `none` (the default GITHUB_TOKEN permissions);
- google-github-actions/auth's outputs (README "Outputs"): project_id and auth_token always,
  credentials_file_path unless create_credentials_file is false, access_token / id_token only
  with that token_format;
- docker/login-action logs in to `registry` (default Docker Hub) with `username` and `password`.
The reader says what the file says; garauth.rules judges it (garauth.rules.github).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from garauth import boundary, data, refs, yamlfile
from garauth.boundary import fmt, own
from garauth.errors import UserError
from garauth.model import Credential, CredentialKind, ImageRef, Position, PullSpec, RefProblem, SecretSource
from garauth.readers import ReadResult, schema_errors, shell
from garauth.secretlike import kind_of_secret

NAME = "github_actions"
LOGIN_ACTION = "docker/login-action"
AUTH_ACTION = "google-github-actions/auth"
CREDENTIAL_KEYS = ("username", "password")
DEFAULT_REGISTRY = "docker.io"
SCHEMA_HINT = own(
    "Fix it as GitHub's workflow syntax reference describes: "
    "https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax"
)

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_CONTEXT_VALUE = re.compile(r"(secrets|vars|env|inputs)\.([A-Za-z_][A-Za-z0-9_]*)")
_STEP_OUTPUT = re.compile(r"steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)")


def detect(path: str, doc: Any) -> bool:
    """A workflow: under .github/workflows/, or a mapping with both `on` and `jobs`."""
    parts = Path(path).parts
    if len(parts) >= 3 and parts[-3:-1] == (".github", "workflows"):
        return True
    return isinstance(doc, dict) and "on" in doc and isinstance(doc.get("jobs"), dict)


def read(path: str | Path, text: str | None = None) -> ReadResult:
    path = str(path)
    return read_doc(path, yamlfile.load(path, text))


def read_doc(path: str, doc: Any) -> ReadResult:
    if doc is None:
        raise UserError(own("the file is empty. A workflow has at least `on:` and `jobs:`."), file=path)
    errors = schema_errors(path, doc, "github-workflows", SCHEMA_HINT)
    if errors:
        return ReadResult([], errors, NAME)
    jobs = doc.get("jobs") or {}
    limit = data.limits()["github"]["max_jobs"]
    if len(jobs) > limit:
        line, col = yamlfile.position(doc, "jobs")
        raise UserError(
            fmt(
                "the workflow defines {} jobs; garauth reads workflows of up to {}.",
                boundary.number(len(jobs)),
                boundary.number(limit),
            ),
            file=path,
            line=line,
            column=col,
        )
    workflow = (_id_token(doc), Position(path, *yamlfile.key_position(doc, "permissions")))
    specs: list[PullSpec] = []
    for job_id, job in jobs.items():
        if isinstance(job, dict) and "uses" not in job:  # a reusable workflow's jobs are in its own file
            specs += _Job(path, str(job_id), job, workflow).pullspecs()
    specs.sort(key=lambda s: (s.position.line, s.position.column))
    return ReadResult(specs, [], NAME)


# -- values, as GitHub evaluates ${{ }} ---------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """Where a field's value comes from."""

    source: SecretSource
    ref: str | None = None  # a variable name, or steps.ID.outputs.NAME
    context: str | None = None  # secrets, vars, env, inputs, steps
    names: tuple[str, ...] = ()  # the contexts' values the text uses
    kind: str | None = None  # a literal: what it looks like (never the literal itself)
    step: str | None = None
    output: str | None = None


def value_of(text: Any) -> Value:
    if text is None:
        return Value(SecretSource.NONE)
    if not isinstance(text, str):
        return Value(SecretSource.LITERAL, kind=kind_of_secret(str(text)))
    found = list(_EXPRESSION.finditer(text))
    if not found:
        return Value(SecretSource.LITERAL, kind=kind_of_secret(text))
    names = tuple(m.group(2) for e in found for m in [_CONTEXT_VALUE.fullmatch(e.group(1).strip())] if m)
    whole = found[0] if len(found) == 1 and found[0].span() == (0, len(text.strip())) else None
    if whole is None or text != text.strip():
        return Value(SecretSource.MIXED, names=names)
    inner = whole.group(1).strip()
    m = _CONTEXT_VALUE.fullmatch(inner)
    if m:
        return Value(SecretSource.ENV, m.group(2), m.group(1), (m.group(2),))
    m = _STEP_OUTPUT.fullmatch(inner)
    if m:
        return Value(SecretSource.STEP_OUTPUT, inner, "steps", step=m.group(1), output=m.group(2))
    return Value(SecretSource.UNRESOLVED)


def _has_expression(text: Any) -> bool:
    return isinstance(text, str) and "${{" in text


# -- permissions -----------------------------------------------------------------------------------


def _id_token(node: dict) -> str | None:
    """The id-token permission a `permissions:` key grants ("write" or "none"); None when absent."""
    if "permissions" not in node:
        return None
    value = node["permissions"]
    if value == "write-all":
        return "write"
    if isinstance(value, dict):
        return "write" if value.get("id-token") == "write" else "none"
    return "none"  # read-all, {} or an expression garauth does not evaluate


# -- steps -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a job, as written."""

    job: str
    index: int  # 0-based, in the job's steps
    id: str | None
    name: str | None
    uses: str | None  # e.g. docker/login-action@v3
    inputs: dict  # `with:` (the loaded mapping: positions through garauth.yamlfile)
    run: str | None
    position: Position  # of `uses:` or `run:` (its first line of script for a block)
    node: Any = field(default=None, compare=False, repr=False)

    @property
    def action(self) -> str | None:
        """The action's repository, lower case, without the ref (GitHub names are case-insensitive)."""
        if not isinstance(self.uses, str) or self.uses.startswith(("./", "docker://")):
            return None
        return self.uses.split("@", 1)[0].lower()

    @property
    def label(self) -> str:
        return self.id or f"#{self.index + 1}"


def steps_of(path: str, doc: Any) -> list[Step]:
    """Every step of every job of a loaded workflow, in file order."""
    out: list[Step] = []
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    for job_id, job in (jobs or {}).items():
        steps = job.get("steps") if isinstance(job, dict) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if not isinstance(step, dict):
                continue
            run = step.get("run") if isinstance(step.get("run"), str) else None
            key = "uses" if "uses" in step else "run" if "run" in step else None
            line, col = yamlfile.position(step, key) if key else yamlfile.position(step)
            if run is not None and "\n" in run.rstrip("\n"):
                line, col = line + 1, 1  # a block scalar's text starts on the next line
            inputs = step.get("with") if isinstance(step.get("with"), dict) else {}
            out.append(
                Step(
                    job=str(job_id),
                    index=index,
                    id=str(step["id"]) if step.get("id") is not None else None,
                    name=step.get("name") if isinstance(step.get("name"), str) else None,
                    uses=step.get("uses") if isinstance(step.get("uses"), str) else None,
                    inputs=inputs,
                    run=run,
                    position=Position(path, line, col),
                    node=step,
                )
            )
    return out


def auth_outputs(step: Step) -> set[str] | None:
    """The outputs google-github-actions/auth gives for these inputs (None: cannot be told)."""
    inputs = step.inputs
    token_format = inputs.get("token_format", "")
    create_file = inputs.get("create_credentials_file", True)
    if _has_expression(token_format) or _has_expression(create_file):
        return None
    outputs = {"project_id", "auth_token"}
    if str(create_file).lower() != "false":
        outputs.add("credentials_file_path")
    if token_format == "access_token":
        outputs.add("access_token")
    elif token_format == "id_token":
        outputs.add("id_token")
    return outputs


# -- one job ---------------------------------------------------------------------------------------


class _Job:
    def __init__(self, path: str, job_id: str, job: dict, workflow: tuple[str | None, Position]) -> None:
        self.path, self.id, self.job = path, job_id, job
        own_permission = _id_token(job)
        self.permissions_position: Position | None = None
        if own_permission is not None:
            self.id_token, self.permissions_at = own_permission, "job"
            self.permissions_position = Position(path, *yamlfile.key_position(job, "permissions"))
        elif workflow[0] is not None:
            self.id_token, self.permissions_at = workflow[0], "workflow"
            self.permissions_position = workflow[1]
        else:
            self.id_token, self.permissions_at = "none", "default"

    def loc(self, node: Any, key: Any = None) -> Position:
        line, col = yamlfile.position(node, key)
        return Position(self.path, line, col)

    def pullspecs(self) -> list[PullSpec]:
        out: list[PullSpec] = []
        container = self.job.get("container")
        if container is not None:
            out.append(self._container(self.job, "container", container, {"role": "container"}))
        services = self.job.get("services")
        for service_id, service in (services if isinstance(services, dict) else {}).items():
            context = {"role": "service", "service": str(service_id)}
            out.append(self._container(services, service_id, service, context))
        earlier: dict[str, Step] = {}
        doc = {"jobs": {self.id: self.job}}
        for step in steps_of(self.path, doc):
            if step.action == LOGIN_ACTION:
                out.append(self._login(step, earlier))
            elif step.action == AUTH_ACTION:
                out.append(self._auth(step))
            elif step.run is not None:
                out += self._run_logins(step, earlier)
            if step.id:
                earlier.setdefault(step.id, step)
        return out

    # -- containers

    def _container(self, parent: Any, key: Any, node: Any, context: dict) -> PullSpec:
        context = {"job": self.id, **context}
        if isinstance(node, dict):
            written = node.get("image")
            where = self.loc(node, "image") if "image" in node else self.loc(parent, key)
            creds = node.get("credentials")
        else:
            written, where, creds = node, self.loc(parent, key), None
        image, problem, unresolved = _image(written)
        if creds is None:
            credential = Credential(kind=CredentialKind.NONE)
        else:
            credential = self._basic(creds, creds.get("username") if isinstance(creds, dict) else None,
                                     creds.get("password") if isinstance(creds, dict) else None,
                                     self.loc(node, "credentials"), context)  # fmt: skip
            if isinstance(creds, dict):
                for k in creds:
                    credential.positions[f"key:{k}"] = Position(self.path, *yamlfile.key_position(creds, k))
        return PullSpec(
            image=image,
            image_text=written if isinstance(written, str) else "",
            credential=credential,
            position=where,
            context=context,
            platform=NAME,
            image_problem=problem,
            unresolved=unresolved,
        )

    def _basic(self, node: Any, username: Any, password: Any, where: Position, context: dict,
               earlier: dict[str, Step] | None = None) -> Credential:  # fmt: skip
        user = value_of(username)
        pw = value_of(password)
        variables: dict[str, tuple[str, ...]] = {}
        positions: dict[str, Position] = {}
        for name, val in (("username", user), ("password", pw)):
            if val.names:
                variables[name] = val.names
            if val.context:
                context[f"{name}_context"] = val.context
            if isinstance(node, dict) and name in node:
                positions[name] = self.loc(node, name)
        if pw.source is SecretSource.STEP_OUTPUT:
            self._step_output(pw, earlier or {}, context, positions)
        literal_user = username if user.source is SecretSource.LITERAL and isinstance(username, str) else None
        return Credential(
            kind=CredentialKind.BASIC,
            username=literal_user,
            username_var=user.ref if user.source is SecretSource.ENV else None,
            password_source=pw.source,
            password_ref=pw.ref,
            password_kind=pw.kind,
            variables=variables,
            positions=positions,
            position=where,
        )

    def _step_output(self, val: Value, earlier: dict[str, Step], context: dict, positions: dict) -> None:
        context["output_step"] = str(val.step)
        context["output_name"] = str(val.output)
        producer = earlier.get(str(val.step))
        if producer is None:
            context["output_produced"] = "no-step"
            return
        positions["output_step"] = producer.position
        context["output_action"] = producer.action or ("run" if producer.run is not None else "uses")
        if producer.action == AUTH_ACTION:
            outputs = auth_outputs(producer)
            produced = "unknown" if outputs is None else "yes" if val.output in outputs else "no"
            if "token_format" in producer.inputs:
                positions["token_format"] = self.loc(producer.inputs, "token_format")
        else:
            produced = "unknown"
        context["output_produced"] = produced

    # -- steps

    def _step_context(self, step: Step) -> dict:
        context = {"job": self.id, "step": step.label}
        if step.uses:
            context["uses"] = step.uses
        return context

    def _login(self, step: Step, earlier: dict[str, Step]) -> PullSpec:
        inputs = step.inputs
        context = {**self._step_context(step), "login": LOGIN_ACTION}
        registry = inputs.get("registry", DEFAULT_REGISTRY)
        if not isinstance(registry, str) or _has_expression(registry):
            registry = ""
            context["registry"] = "expression"
        where = self.loc(inputs, "registry") if "registry" in inputs else step.position
        credential = self._basic(inputs, inputs.get("username"), inputs.get("password"), step.position,
                                 context, earlier)  # fmt: skip
        return PullSpec(
            image=None,
            image_text=registry,
            credential=credential,
            position=where,
            context=context,
            platform=NAME,
        )

    def _auth(self, step: Step) -> PullSpec:
        inputs = step.inputs
        context = {
            **self._step_context(step),
            "action": AUTH_ACTION,
            "id_token": self.id_token,
            "permissions_at": self.permissions_at,
        }
        fields: dict[str, str] = {}
        variables: dict[str, tuple[str, ...]] = {}
        positions: dict[str, Position] = {}
        for key in ("workload_identity_provider", "service_account", "token_format"):
            if key not in inputs:
                continue
            text = inputs[key]
            fields[key] = text if isinstance(text, str) else str(text)
            positions[key] = self.loc(inputs, key)
            names = value_of(text).names
            if names or _has_expression(text):
                variables[key] = names or ("${{ }}",)
        source, ref, kind = SecretSource.OIDC, None, None
        if "credentials_json" in inputs:
            text = inputs["credentials_json"]
            val = value_of(text)
            source, ref, kind = val.source, val.ref, val.kind
            fields["credentials_json"] = f"${{{{ {val.context}.{val.ref} }}}}" if val.ref else ""
            positions["credentials_json"] = positions["password"] = self.loc(inputs, "credentials_json")
            written = text if isinstance(text, str) else ""
            context["credentials_json_lines"] = str(len(written.strip("\n").split("\n")) if written else 0)
            context["credentials_json_form"] = "json" if written.lstrip().startswith("{") else "other"
            if val.context:
                context["password_context"] = val.context
        if self.permissions_position is not None:
            positions["permissions"] = self.permissions_position
        return PullSpec(
            image=None,
            image_text="",
            credential=Credential(
                kind=CredentialKind.GCP_AUTH,
                password_source=source,
                password_ref=ref,
                password_kind=kind,
                fields=fields,
                variables=variables,
                positions=positions,
                position=step.position,
            ),
            position=step.position,
            context=context,
            platform=NAME,
        )

    def _run_logins(self, step: Step, earlier: dict[str, Step]) -> list[PullSpec]:
        """Logins in a `run:` script. GitHub puts each ${{ }} value into the script before the
        shell runs it; the shell reader sees a context value as a variable of that name."""
        script, outputs = _shell_text(step.run or "")
        out = []
        for spec in shell.logins(self.path, script, step.position.line, step.position.column):
            cred = spec.credential
            context = {**spec.context, **self._step_context(step)}
            positions = dict(cred.positions)
            if cred.password_ref in outputs:  # ${{ steps.ID.outputs.NAME }} in the script
                val = value_of("${{ " + outputs[cred.password_ref] + " }}")
                self._step_output(val, earlier, context, positions)
                cred = Credential(**{**cred.__dict__, "password_source": val.source,
                                     "password_ref": val.ref, "positions": positions})  # fmt: skip
            out.append(
                PullSpec(**{**spec.__dict__, "credential": cred, "context": context, "platform": NAME})
            )
        return out


def _shell_text(script: str) -> tuple[str, dict[str, str]]:
    """The script as the shell reader should see it: ${{ secrets.NAME }} (and vars, env,
    inputs) as $NAME, ${{ steps.ID.outputs.NAME }} as a variable standing for that output."""
    outputs: dict[str, str] = {}

    def replace(m: re.Match) -> str:
        inner = m.group(1).strip()
        ctx = _CONTEXT_VALUE.fullmatch(inner)
        if ctx:
            return "${" + ctx.group(2) + "}"
        out = _STEP_OUTPUT.fullmatch(inner)
        if out:
            name = f"GARAUTH_STEP_OUTPUT_{len(outputs)}"
            outputs[name] = inner
            return "${" + name + "}"
        return "GARAUTH_EXPRESSION"

    return _EXPRESSION.sub(replace, script), outputs


def _image(written: Any) -> tuple[ImageRef | None, RefProblem | None, tuple[str, ...]]:
    if not isinstance(written, str) or not written:
        return None, None, (own("The container has no image written."),)
    if _has_expression(written):
        return (
            None,
            None,
            (
                own(
                    "The image is written with a ${{ }} expression; garauth does not evaluate GitHub "
                    "expressions, so it cannot tell which image is pulled."
                ),
            ),
        )
    try:
        return refs.parse(written), None, ()
    except refs.RefError as err:
        return None, err.problem, ()

"""Read a Bitbucket Pipelines configuration (bitbucket-pipelines.yml) into the images Bitbucket
pulls for each step, the credential each is pulled with, and the registry logins its scripts run.

Public API
    NAME, detect(path, doc), read(path, text=None), read_doc(path, doc) -> ReadResult
    steps_of(path, doc) / run_steps(path, text=None) -> list[Script]   each step's script, as
                Bitbucket runs it (one shell), for tests to run

    .errors     Bitbucket's schema (check-jsonschema's built-in `bitbucket-pipelines`),
                file:line:col. When there are any, .pullspecs is empty.
    .pullspecs  sorted by file position:
      - the build image of each step (context role "build-image", "from" "step" or "global"):
        the step's `image:` or else the top-level one; a step with neither runs Bitbucket's default
        image, which is not reported. Steps are found under every pipeline (`default`,
        `branches`, `tags`, `pull-requests`, `custom`), inside `parallel:` and `stage:`, and as
        the `final:` step. One image written once and pulled alike by several steps is one pull;
        context "steps" names them ("pipelines.default[0]" or the step's name).
      - each service image a step names under `services:` (role "service", "service" its name):
        the `image:` of `definitions.services.NAME` (Bitbucket's own `docker` service, when it is
        not redefined, is not reported);
      - the credential, from the image's block form
        (https://support.atlassian.com/bitbucket-cloud/docs/docker-image-options/):
        `username`/`password` as kind BASIC (a `$NAME` value is a repository, workspace or
        deployment variable: SecretSource.ENV; written out: LITERAL, described by
        password_kind, never kept), `aws:` as kind AWS_AUTH (SecretSource.OIDC with
        `oidc-role`, which Bitbucket documents for Amazon ECR images only:
        https://support.atlassian.com/bitbucket-cloud/docs/use-aws-ecr-images-in-pipelines-with-openid-connect/),
        neither as kind NONE (an anonymous pull);
      - context "oidc": "true" when the steps that pull it have `oidc: true`: those steps get
        $BITBUCKET_STEP_OIDC_TOKEN for their commands
        (https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/);
        Bitbucket pulls the step's images before its script runs;
      - the registry logins written in `script:` and `after-script:`
        (garauth.readers.shell.logins), context "job" the steps that run them.
The reader says what the file says; garauth.rules judges it (garauth.rules.gitlab_bitbucket).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from garauth import boundary, data, refs, yamlfile
from garauth.boundary import fmt, own
from garauth.errors import UserError
from garauth.model import Credential, CredentialKind, ImageRef, Position, PullSpec, RefProblem, SecretSource
from garauth.readers import ReadResult, schema_errors, shell
from garauth.secretlike import kind_of_secret

NAME = "bitbucket_pipelines"
SECTIONS = ("branches", "tags", "pull-requests", "custom", "bookmarks")
SCRIPTS = ("script", "after-script")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
SCHEMA_HINT = own(
    "Fix it as Bitbucket's configuration reference describes: "
    "https://support.atlassian.com/bitbucket-cloud/docs/bitbucket-pipelines-configuration-reference/"
)


def detect(path: str, doc: Any) -> bool:
    """A Bitbucket Pipelines configuration: by its name (bitbucket-pipelines.yml,
    *.bitbucket-pipelines.yml) or a top-level `pipelines:` mapping."""
    if not isinstance(doc, dict):
        return False
    return Path(path).name.endswith("bitbucket-pipelines.yml") or isinstance(doc.get("pipelines"), dict)


def read(path: str | Path, text: str | None = None) -> ReadResult:
    path = str(path)
    return read_doc(path, yamlfile.load(path, text))


def read_doc(path: str, doc: Any) -> ReadResult:
    if doc is None:
        raise UserError(
            own("the file is empty. A Bitbucket Pipelines configuration has a pipelines: section."), file=path
        )
    errors = schema_errors(path, doc, "bitbucket-pipelines", SCHEMA_HINT)
    if errors:
        return ReadResult([], errors, NAME)
    return ReadResult(_Reader(path, doc).pullspecs(), [], NAME)


@dataclass(frozen=True)
class Step:
    label: (
        str  # the step's name, or where it is: pipelines.default[0], pipelines.branches.main[1].parallel[0]
    )
    node: dict


@dataclass(frozen=True)
class Script:
    """One step's script as Bitbucket runs it (`job` is the step's label)."""

    job: str
    name: str
    command: str
    position: Position


def steps(path: str, doc: Any) -> list[Step]:
    """Every step of every pipeline, in file order."""
    out: list[Step] = []
    pipelines = doc.get("pipelines") if isinstance(doc, dict) else None
    if not isinstance(pipelines, dict):
        return out
    for section, value in pipelines.items():
        if section == "default":
            out += _items(value, "pipelines.default")
        elif section in SECTIONS and isinstance(value, dict):
            for name, items in value.items():
                out += _items(items, f"pipelines.{section}.{name}")
    limit = data.limits()["bitbucket_pipelines"]["max_steps"]
    if len(out) > limit:
        line, col = yamlfile.position(out[limit].node)
        raise UserError(
            fmt(
                "the configuration has {} steps; garauth reads configurations of up to {}.",
                boundary.number(len(out)),
                boundary.number(limit),
            ),
            file=path,
            line=line,
            column=col,
        )
    return out


def _items(items: Any, where: str) -> list[Step]:
    out: list[Step] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        here = f"{where}[{index}]"
        for kind in ("step", "final"):
            step = item.get(kind)
            if isinstance(step, dict):
                name = step.get("name")
                out.append(Step(str(name) if isinstance(name, str) and name else here, step))
        parallel = item.get("parallel")
        if isinstance(parallel, dict):
            parallel = parallel.get("steps")
        if isinstance(parallel, list):
            out += _items(parallel, f"{here}.parallel")
        stage = item.get("stage")
        if isinstance(stage, dict):
            out += _items(stage.get("steps"), f"{here}.stage")
    return out


class _Reader:
    def __init__(self, path: str, doc: dict) -> None:
        self.path = path
        self.doc = doc
        definitions = doc.get("definitions") if isinstance(doc.get("definitions"), dict) else {}
        services = definitions.get("services")
        self.services = services if isinstance(services, dict) else {}
        self.groups: dict[tuple, PullSpec] = {}

    def pos(self, node: Any, key: Any) -> Position:
        line, col = yamlfile.position(node, key)
        return Position(self.path, line, col)

    def pullspecs(self) -> list[PullSpec]:
        logins: dict[tuple, PullSpec] = {}
        for step in steps(self.path, self.doc):
            node = step.node
            oidc = node.get("oidc") is True
            if "image" in node:
                self._pull(step, node, "image", {"role": "build-image", "from": "step"}, oidc)
            elif "image" in self.doc:
                self._pull(step, self.doc, "image", {"role": "build-image", "from": "global"}, oidc)
            for name in node.get("services") or []:
                definition = self.services.get(name)
                if isinstance(definition, dict) and "image" in definition:
                    self._pull(step, definition, "image", {"role": "service", "service": str(name)}, oidc)
            for spec in self._logins(step):
                place = (spec.position, spec.context.get("login"))
                if place in logins:
                    old = logins[place]
                    logins[place] = PullSpec(
                        **{**old.__dict__, "context": _with_step(old.context, "job", step.label)}
                    )
                else:
                    logins[place] = spec
        specs = list(self.groups.values()) + list(logins.values())
        return sorted(specs, key=lambda s: (s.position.line, s.position.column, s.context.get("steps", "")))

    def _pull(self, step: Step, owner: dict, key: str, context: dict[str, str], oidc: bool) -> None:
        value = owner[key]
        if isinstance(value, dict):
            written, position = value.get("name"), self.pos(value, "name")
        else:
            written, position = value, self.pos(owner, key)
        if not isinstance(written, str):
            return
        group = (position, oidc)
        if group in self.groups:
            old = self.groups[group]
            self.groups[group] = PullSpec(
                **{**old.__dict__, "context": _with_step(old.context, "steps", step.label)}
            )
            return
        image: ImageRef | None = None
        problem: RefProblem | None = None
        unresolved: tuple[str, ...] = ()
        names = [m.group(1) or m.group(2) for m in _VAR.finditer(written)]
        if names:
            unresolved = (
                fmt(
                    "The image name uses {}, a variable set outside the file; garauth cannot tell which image is pulled.",
                    boundary.join(boundary.fmt("${}", boundary.var(n)) for n in names),
                ),
            )
        else:
            try:
                image = refs.parse(written)
            except refs.RefError as err:
                problem = err.problem
        context = {**context, "steps": step.label}
        if oidc:
            context["oidc"] = "true"
        self.groups[group] = PullSpec(
            image=image,
            image_text=written,
            credential=self._credential(value),
            position=position,
            context=context,
            platform=NAME,
            image_problem=problem,
            unresolved=unresolved,
        )

    def _credential(self, block: Any) -> Credential:
        if not isinstance(block, dict) or not ({"username", "password", "aws"} & block.keys()):
            return Credential(kind=CredentialKind.NONE)
        where = self.pos(block, "name") if "name" in block else Position(self.path, *yamlfile.position(block))
        positions = {k: self.pos(block, k) for k in ("username", "password", "aws") if k in block}
        variables: dict[str, tuple[str, ...]] = {}
        if "aws" in block:
            return self._aws(block["aws"], where, positions)
        user = block.get("username") if isinstance(block.get("username"), str) else ""
        password = block.get("password") if isinstance(block.get("password"), str) else ""
        for field, text in (("username", user), ("password", password)):
            names = tuple(m.group(1) or m.group(2) for m in _VAR.finditer(text))
            if names:
                variables[field] = names
        user_var, password_var = _whole_variable(user), _whole_variable(password)
        if password_var:
            source, kind = SecretSource.ENV, None
        elif "password" in variables:
            source, kind = SecretSource.MIXED, None
        else:
            source, kind = SecretSource.LITERAL, kind_of_secret(password)
        return Credential(
            kind=CredentialKind.BASIC,
            username=None if user_var else user,
            username_var=user_var,
            password_source=source,
            password_ref=password_var,
            password_kind=kind,
            variables=variables,
            positions=positions,
            position=where,
            sees_file_variables=False,
        )

    def _aws(self, aws: Any, where: Position, positions: dict[str, Position]) -> Credential:
        fields: dict[str, str] = {}
        source, kind, ref = SecretSource.ENV, None, None
        for key in aws if isinstance(aws, dict) else ():
            text = aws[key] if isinstance(aws[key], str) else ""
            positions[str(key)] = self.pos(aws, key)
            if key == "secret-key":
                ref = _whole_variable(text)
                if ref is None and not _VAR.search(text):
                    source, kind = SecretSource.LITERAL, kind_of_secret(text)
                text = f"${ref}" if ref else ""  # a secret key written in the file is never kept
            fields[str(key)] = text
        if isinstance(aws, dict) and "oidc-role" in aws:
            source = SecretSource.OIDC
        return Credential(
            kind=CredentialKind.AWS_AUTH,
            password_source=source,
            password_ref=ref,
            password_kind=kind,
            fields=fields,
            positions=positions,
            position=positions.get("aws", where),
            sees_file_variables=False,
        )

    def _logins(self, step: Step) -> Iterator[PullSpec]:
        for key in SCRIPTS:
            for text, line, col in _script_lines(step.node.get(key)):
                start = line + (1 if "\n" in text.rstrip("\n") else 0)
                for spec in shell.logins(self.path, text, start, col):
                    yield PullSpec(
                        **{**spec.__dict__, "platform": NAME, "context": {**spec.context, "job": step.label}}
                    )


def _with_step(context: dict[str, str], key: str, label: str) -> dict[str, str]:
    labels = context.get(key, "").split(",") if context.get(key) else []
    if label not in labels:
        labels.append(label)
    return {**context, key: ",".join(labels)}


def _whole_variable(text: str) -> str | None:
    whole = _VAR.fullmatch(text)
    return (whole.group(1) or whole.group(2)) if whole else None


def _script_lines(script: Any) -> Iterator[tuple[str, int, int]]:
    """(command, line, column) of each string command of a script (pipes are skipped)."""
    for index, item in enumerate(script if isinstance(script, list) else []):
        if isinstance(item, str):
            line, col = yamlfile.position(script, index)
            yield item, line, col


def steps_of(path: str, doc: Any) -> list[Script]:
    """Each step's script, joined as Bitbucket runs it in one shell, in file order."""
    out: list[Script] = []
    for step in steps(path, doc):
        lines = list(_script_lines(step.node.get("script")))
        if lines:
            first = Position(path, lines[0][1], lines[0][2])
            out.append(Script(step.label, "script", "\n".join(t for t, _, _ in lines), first))
    return out


def run_steps(path: str | Path, text: str | None = None) -> list[Script]:
    path = str(path)
    return steps_of(path, yamlfile.load(path, text))

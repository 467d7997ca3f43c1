"""Read a GitLab CI/CD configuration (.gitlab-ci.yml) into the images its runner pulls, the
credential each is pulled with, and the registry logins its scripts run.

Public API
    NAME, detect(path, doc), read(path, text=None), read_doc(path, doc) -> ReadResult
    steps_of(path, doc) / run_steps(path, text=None) -> list[Script]   each job's script, as
                the runner runs it (before_script and script in one shell), for tests to run

    .errors     GitLab's schema (check-jsonschema's built-in `gitlab-ci`), file:line:col. When
                there are any, .pullspecs is empty: GitLab rejects such a configuration.
    .pullspecs  sorted by file position:
      - per job (hidden jobs, named `.x`, are templates and run nothing): its `image:` (context
        role "image") and each of its `services:` (role "service", "service" its index, "alias"),
        string or `{name: ...}` form, taken from the job, from the jobs it `extends` (merged as
        GitLab merges them: mappings key by key, anything else replaced), from `default:` (unless
        `inherit: default:` says otherwise) or from the deprecated top-level keywords; context
        "from" says which ("job", the extended job's name, "default", "global"). Variables in
        an image name are filled in from the file's own `variables:` (context "written" keeps
        the text as written); one the file does not define leaves the image undetermined
        (`unresolved`). Images named from GitLab's own registry variables ($CI_REGISTRY...) are
        GitLab's registry, pulled with the job's own credentials, and are not reported.
      - the credential: GitLab Runner pulls `image:` and `services:` with DOCKER_AUTH_CONFIG
        (https://docs.gitlab.com/ci/docker/using_docker_images/#access-an-image-from-a-private-container-registry).
        Its value is a CI/CD variable the file does not hold, so by default the credential is
        kind BASIC with password_source ENV and password_ref "DOCKER_AUTH_CONFIG", no username
        (context "auth_config": "variable"). When the file itself defines DOCKER_AUTH_CONFIG
        under `variables:` (the runner reads it from there too), its value is decoded with
        garauth.readers.docker_config.entries and the entry the runner would pick for the image
        (garauth.readers.gitlab_auth_config.match) is reported: username, what the password
        looks like (password_kind; never the value), `credHelpers`/`credsStore` as kind HELPER,
        no entry as kind NONE; context "auth_config": "file" (or "invalid" when the runner cannot
        read it), "auth_config_key", "auth_config_form", "auth_config_keys", "auth_config_line",
        "auth_config_secret" ("literal" when a password or key is written out),
        "auth_config_variables" (variables the runner expands in it), "auth_undecodable".
        defined_in_file names where the file defines it.
      - context "id_tokens" (the job's ID token names) and "identity" (`identity: google_cloud`,
        GitLab.com's Google Cloud IAM integration, beta) on each of the job's pulls: they give the
        job's commands Google credentials, not the runner's pull.
      - the registry logins in `before_script:`, `script:` and `after_script:`
        (garauth.readers.shell.logins), context "job" the jobs that run them;
      - each `include:` entry, as an undetermined pull (`unresolved`): garauth does not fetch
        included files, so what their jobs pull is not known.
`!reference [JOB, KEY, ...]` tags are replaced, before anything else, by the value they name in
this file, as GitLab does (nested up to GitLab's 10 levels,
https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags); one that names a value
the file does not hold (an included file's) is left as written, and its script lines are not
read as commands. A file with a `spec:` header (two YAML documents) is not read.
The reader says what the file says; garauth.rules judges it (garauth.rules.gitlab_bitbucket).
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
from garauth.readers import ReadResult, docker_config, gitlab_auth_config, schema_errors, shell

NAME = "gitlab_ci"
AUTH_VARIABLE = "DOCKER_AUTH_CONFIG"
GLOBAL_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}
    | {"before_script", "after_script", "types", "spec"}
)
DEFAULTABLE = ("image", "services", "before_script", "after_script", "id_tokens", "identity")
GLOBAL_FALLBACK = ("image", "services", "before_script", "after_script")  # deprecated top-level forms
SCRIPTS = ("before_script", "script", "after_script")
GITLAB_REGISTRY = re.compile(r"^\$\{?CI_(REGISTRY|DEPENDENCY_PROXY|TEMPLATE_REGISTRY_HOST|SERVER_HOST)")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
SCHEMA_HINT = own("Fix it as GitLab's CI/CD YAML reference describes: https://docs.gitlab.com/ci/yaml/")
_JOB_KEYS = frozenset({"script", "trigger", "extends", "run", "stage", "image"})


def detect(path: str, doc: Any) -> bool:
    """A GitLab CI/CD configuration: by its name (.gitlab-ci.yml, *.gitlab-ci.yml) or, for a
    mapping with no CircleCI, GitHub or Bitbucket top-level key, by a job holding `script:`,
    `trigger:`, `extends:` or `run:`."""
    if not isinstance(doc, dict):
        return False
    if Path(path).name.endswith(".gitlab-ci.yml"):
        return True
    if {"jobs", "pipelines", "on", "version", "apiVersion"} & doc.keys():
        return False
    return any(
        isinstance(value, dict) and bool({"script", "trigger", "extends", "run"} & value.keys())
        for key, value in doc.items()
        if key not in GLOBAL_KEYWORDS
    )


def read(path: str | Path, text: str | None = None) -> ReadResult:
    path = str(path)
    return read_doc(path, yamlfile.load(path, text))


def read_doc(path: str, doc: Any) -> ReadResult:
    if doc is None:
        raise UserError(
            own("the file is empty. A GitLab CI/CD configuration defines at least one job."), file=path
        )
    resolve_references(doc)
    errors = schema_errors(path, doc, "gitlab-ci", SCHEMA_HINT)
    if errors:
        return ReadResult([], errors, NAME)
    jobs = [k for k in doc if k not in GLOBAL_KEYWORDS and isinstance(doc[k], dict)]
    limit = data.limits()["gitlab_ci"]["max_jobs"]
    if len(jobs) > limit:
        line, col = yamlfile.position(doc, jobs[limit])
        raise UserError(
            fmt(
                "the configuration defines {} jobs; garauth reads configurations of up to {}.",
                boundary.number(len(jobs)),
                boundary.number(limit),
            ),
            file=path,
            line=line,
            column=col,
        )
    return ReadResult(_Reader(path, doc).pullspecs(), [], NAME)


# -- !reference tags ---------------------------------------------------------------------------


REFERENCE = "!reference"


def _is_reference(node: Any) -> bool:
    return isinstance(node, list) and getattr(node, "tag", None) == REFERENCE


def _lookup(doc: dict, names: list, depth: int) -> Any:
    """The value `!reference [names...]` names in this file, its own references resolved; None
    when the file does not hold it or references nest deeper than GitLab allows."""
    if depth > data.limits()["gitlab_ci"]["max_reference_depth"] or not names:
        return None
    node: Any = doc
    for name in names:
        if not isinstance(name, str) or not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    if _is_reference(node):
        return _lookup(doc, list(node), depth + 1)
    return node


def resolve_references(doc: Any) -> None:
    """Replace each `!reference` the file can resolve by the value it names, in place."""
    if not isinstance(doc, dict):
        return
    stack: list[Any] = [doc]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        slots = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(slots):
            if _is_reference(value):
                found = _lookup(doc, list(value), 1)
                if found is not None:
                    node[key] = found
                    value = found
            if isinstance(value, (dict, list)) and not _is_reference(value):
                stack.append(value)


# -- jobs as GitLab resolves them ---------------------------------------------------------------


class _Merged(dict):
    """A mapping merged from several written ones; `owner[key]` is the mapping that wrote key."""

    __slots__ = ("owner",)

    def __init__(self) -> None:
        super().__init__()
        self.owner: dict[Any, Any] = {}


def _owner(node: Any, key: Any) -> Any:
    return node.owner.get(key, node) if isinstance(node, _Merged) else node


def _merge(into: _Merged, source: dict) -> None:
    """GitLab's `extends` merge: mappings merged key by key (recursively), anything else replaced.
    Never changes a mapping it did not make."""
    for key, value in source.items():
        if key == "extends" and not isinstance(source, _Merged):
            continue
        current = into.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = _Merged()
            _merge(merged, current)
            _merge(merged, value)
            into[key] = merged
        else:
            into[key] = value
        into.owner[key] = _owner(source, key)


def where(node: Any, key: Any) -> tuple[int, int]:
    """(line, column) of node[key], in the mapping that wrote it."""
    return yamlfile.position(_owner(node, key), key)


@dataclass(frozen=True)
class _Var:
    name: str
    value: str | None  # None when the value is not a string or number
    expand: bool
    position: Position
    value_position: Position


@dataclass(frozen=True)
class Script:
    """One job's shell script as the runner runs it: before_script and script in one shell."""

    job: str
    name: str
    command: str
    position: Position
    variables: dict[str, str] = field(default_factory=dict)  # the file's variables for the job


class _Reader:
    def __init__(self, path: str, doc: dict) -> None:
        self.path = path
        self.doc = doc
        self.default = doc.get("default") if isinstance(doc.get("default"), dict) else {}
        self.names = {id(v): k for k, v in doc.items() if isinstance(v, dict)}
        self.resolved: dict[str, tuple[_Merged, list[Safe]]] = {}
        self.max_depth = data.limits()["gitlab_ci"]["max_extends_depth"]

    def pos(self, node: Any, key: Any) -> Position:
        line, col = where(node, key)
        return Position(self.path, line, col)

    def jobs(self) -> list[str]:
        return [
            str(k)
            for k, v in self.doc.items()
            if k not in GLOBAL_KEYWORDS and isinstance(v, dict) and not str(k).startswith(".")
        ]

    def job(self, name: str, chain: tuple[str, ...] = ()) -> tuple[_Merged, list[Safe]]:
        """The job with everything it `extends` merged in, and why parts of it cannot be read."""
        if name in self.resolved:
            return self.resolved[name]
        node = self.doc[name]
        merged, problems = _Merged(), []
        parents = node.get("extends")
        for parent in [parents] if isinstance(parents, str) else parents or []:
            if not isinstance(parent, str):
                continue
            target = self.doc.get(parent)
            if parent in chain or parent == name:
                problems.append(
                    fmt("The job {} extends itself through {}.", job_name(name), job_name(parent))
                )
            elif len(chain) >= self.max_depth:
                problems.append(
                    fmt(
                        "The jobs {} extends are nested more than {} levels deep.",
                        job_name(name),
                        boundary.number(self.max_depth),
                    )
                )
            elif not isinstance(target, dict):
                where_from = own(
                    "; it may come from an include:, which garauth does not fetch"
                    if "include" in self.doc
                    else ", or is not a mapping"
                )
                problems.append(
                    fmt(
                        "The job {} extends {}, which is not defined in this file{}.",
                        job_name(name),
                        job_name(parent),
                        where_from,
                    )
                )
            else:
                inherited, more = self.job(parent, (*chain, name))
                _merge(merged, inherited)
                problems += more
        _merge(merged, node)
        self.resolved[name] = (merged, problems)
        return merged, problems

    def effective(self, name: str, job: _Merged, key: str) -> tuple[Any, Any, str] | None:
        """(value, the mapping it is read from, where it comes from: "job", the name of the job it
        extends, "default" or "global") for a keyword `default:` or the top level can give a job."""
        if key in job:
            written_in = self.names.get(id(_owner(job, key)))
            return job[key], job, "job" if written_in in (None, name) else written_in
        inherit = job.get("inherit") if isinstance(job.get("inherit"), dict) else {}
        allowed = inherit.get("default", True)
        if allowed is True or (isinstance(allowed, list) and key in allowed):
            if key in self.default:
                return self.default[key], self.default, "default"
        if key in GLOBAL_FALLBACK and key in self.doc:
            return self.doc[key], self.doc, "global"
        return None

    def variables(self, job: _Merged) -> dict[str, _Var]:
        """The variables the file defines for a job: the top-level ones it inherits, then its own."""
        out: dict[str, _Var] = {}
        inherit = job.get("inherit") if isinstance(job.get("inherit"), dict) else {}
        allowed = inherit.get("variables", True)
        top = self.doc.get("variables")
        if isinstance(top, dict) and allowed is not False:
            for name in top:
                if allowed is True or (isinstance(allowed, list) and name in allowed):
                    out[str(name)] = self._var(top, name)
        own_vars = job.get("variables")
        if isinstance(own_vars, dict):
            for name in own_vars:
                out[str(name)] = self._var(own_vars, name)
        return out

    def _var(self, node: Any, name: Any) -> _Var:
        value, expand = node[name], True
        value_owner, value_key = node, name
        if isinstance(value, dict):
            expand = value.get("expand", True) is not False
            value_owner, value_key = value, "value"
            value = value.get("value")
        text = None if isinstance(value, (dict, list)) or value is None else str(value)
        if isinstance(value, bool):
            text = "true" if value else "false"
        key_line, key_col = yamlfile.key_position(_owner(node, name), name)
        return _Var(
            str(name),
            text,
            expand,
            Position(self.path, key_line, key_col),
            self.pos(value_owner, value_key)
            if value_key in value_owner
            else Position(self.path, key_line, key_col),
        )

    # -- what is pulled -------------------------------------------------------------------------

    def pullspecs(self) -> list[PullSpec]:
        specs: list[PullSpec] = []
        seen: dict[tuple, int] = {}
        for name in self.jobs():
            job, problems = self.job(name)
            if "trigger" in job:
                continue  # a trigger job starts another pipeline; it runs no image
            variables = self.variables(job)
            auth = _AuthConfig(self, variables.get(AUTH_VARIABLE))
            keyless = self._keyless(name, job)
            image = self.effective(name, job, "image")
            if image is not None:
                value, owner, origin = image
                self._pull(
                    specs,
                    seen,
                    name,
                    value,
                    owner,
                    "image",
                    {"role": "image", "from": origin},
                    variables,
                    auth,
                    keyless,
                    problems,
                )
            elif problems:  # the image may come from what could not be read: say so
                line, col = yamlfile.key_position(self.doc, name)
                specs.append(
                    PullSpec(
                        image=None,
                        image_text="",
                        credential=Credential(kind=CredentialKind.UNKNOWN),
                        position=Position(self.path, line, col),
                        context={"job": name, "role": "image"},
                        platform=NAME,
                        unresolved=tuple(dict.fromkeys(problems)),
                    )
                )
            services = self.effective(name, job, "services")
            if services is not None and isinstance(services[0], list):
                value, owner, origin = services
                for index, service in enumerate(value):
                    context = {"role": "service", "service": str(index), "from": origin}
                    if isinstance(service, dict) and isinstance(service.get("alias"), str):
                        context["alias"] = service["alias"]
                    self._pull(
                        specs, seen, name, service, value, index, context, variables, auth, keyless, problems
                    )
        specs += self._logins()
        specs += self._includes()
        return sorted(specs, key=lambda s: (s.position.line, s.position.column, s.context.get("job", "")))

    def _keyless(self, name: str, job: _Merged) -> dict[str, str]:
        out = {}
        tokens = self.effective(name, job, "id_tokens")
        if tokens is not None and isinstance(tokens[0], dict) and tokens[0]:
            out["id_tokens"] = ",".join(str(k) for k in tokens[0])
        identity = self.effective(name, job, "identity")
        if identity is not None and isinstance(identity[0], str):
            out["identity"] = identity[0]
        return out

    def _pull(
        self,
        specs: list[PullSpec],
        seen: dict[tuple, int],
        job: str,
        value: Any,
        owner: Any,
        key: Any,
        context: dict[str, str],
        variables: dict[str, _Var],
        auth: _AuthConfig,
        keyless: dict[str, str],
        problems: list[Safe],
    ) -> None:
        if isinstance(value, dict):
            written, position = value.get("name"), self.pos(value, "name")
        else:
            written, position = value, self.pos(owner, key)
        if not isinstance(written, str) or GITLAB_REGISTRY.match(written):
            return
        text, missing = _substitute(written, variables)
        unresolved = list(problems)
        image: ImageRef | None = None
        problem: RefProblem | None = None
        if missing:
            unresolved.append(
                fmt(
                    "The image name uses {}, which this file does not define (a CI/CD variable, or one GitLab "
                    "predefines); garauth cannot tell which image is pulled.",
                    boundary.join(boundary.fmt("${}", boundary.var(m)) for m in missing),
                )
            )
        else:
            try:
                image = refs.parse(text)
            except refs.RefError as err:
                problem = err.problem
        context = {"job": job, **context, **keyless}
        if text != written:
            context["written"] = written
        credential, auth_context = auth.credential_for(text if not missing else "")
        context.update(auth_context)
        spec = PullSpec(
            image=image,
            image_text=text,
            credential=credential,
            position=position,
            context=context,
            platform=NAME,
            image_problem=problem,
            unresolved=tuple(dict.fromkeys(unresolved)),
            defined_in_file=auth.defined_in_file(),
        )
        # the same image, written once and pulled the same way by several jobs, is one pull
        same = (position, text, repr(credential), tuple(sorted(auth_context.items())), spec.unresolved)
        if same in seen:
            old = specs[seen[same]]
            jobs = old.context["job"].split(",")
            if job not in jobs:
                specs[seen[same]] = PullSpec(
                    **{**old.__dict__, "context": {**old.context, "job": ",".join([*jobs, job])}}
                )
            return
        seen[same] = len(specs)
        specs.append(spec)

    def _logins(self) -> list[PullSpec]:
        found: dict[tuple, PullSpec] = {}
        for name in self.jobs():
            job, _ = self.job(name)
            for key in SCRIPTS:
                entry = self.effective(name, job, key)
                if entry is None:
                    continue
                for text, line, col in _script_lines(self, entry[0], entry[1], key):
                    start = line + (1 if "\n" in text.rstrip("\n") else 0)
                    for spec in shell.logins(self.path, text, start, col):
                        place = (spec.position, spec.context.get("login"))
                        if place in found:
                            old = found[place]
                            jobs = old.context["job"].split(",")
                            if name not in jobs:
                                found[place] = PullSpec(
                                    **{
                                        **old.__dict__,
                                        "context": {**old.context, "job": ",".join([*jobs, name])},
                                    }
                                )
                            continue
                        found[place] = PullSpec(
                            **{**spec.__dict__, "platform": NAME, "context": {**spec.context, "job": name}}
                        )
        return list(found.values())

    def _includes(self) -> list[PullSpec]:
        include = self.doc.get("include")
        if include is None:
            return []
        items = include if isinstance(include, list) else [include]
        owner = include if isinstance(include, list) else self.doc
        out = []
        for index, item in enumerate(items):
            position = self.pos(owner, index if isinstance(include, list) else "include")
            kind = next(
                (
                    k
                    for k in ("local", "project", "remote", "template", "component")
                    if isinstance(item, dict) and k in item
                ),
                "local",
            )
            reason = fmt(
                "The configuration includes a file ({} include); garauth does not fetch included files, so it "
                "cannot tell which images their jobs pull or with which credentials. Check that file too.",
                own(kind),
            )
            out.append(
                PullSpec(
                    image=None,
                    image_text="",
                    credential=Credential(kind=CredentialKind.UNKNOWN),
                    position=position,
                    context={"include": kind},
                    platform=NAME,
                    unresolved=(reason,),
                )
            )
        return out


def _substitute(text: str, variables: dict[str, _Var]) -> tuple[str, list[str]]:
    """The image name with the file's own variables filled in, and the variables it does not define."""
    missing: list[str] = []

    def fill(m: re.Match, depth: int = 0) -> str:
        name = m.group(1) or m.group(2)
        var = variables.get(name)
        if var is None or var.value is None:
            if name not in missing:
                missing.append(name)
            return m.group(0)
        if var.expand and depth < 10 and "$" in var.value:
            return _VAR.sub(lambda inner: fill(inner, depth + 1), var.value)
        return var.value

    return _VAR.sub(fill, text), missing


def _script_lines(reader: _Reader, value: Any, owner: Any, key: str):
    """(text, line, column) of each command of a script keyword (a string, or a list of strings
    and nested lists)."""
    if isinstance(value, str):
        line, col = where(owner, key)
        yield value, line, col
        return
    if not isinstance(value, list):
        return
    stack = [(value, iter(range(len(value))))]  # in written order: nested lists are flattened
    while stack:
        seq, indexes = stack[-1]
        index = next(indexes, None)
        if index is None:
            stack.pop()
            continue
        item = seq[index]
        if isinstance(item, str):
            line, col = yamlfile.position(seq, index)
            yield item, line, col
        elif isinstance(item, list) and not _is_reference(item):  # unresolved: not commands
            stack.append((item, iter(range(len(item)))))


class _AuthConfig:
    """DOCKER_AUTH_CONFIG as a job sees it: a CI/CD variable, or a value the file defines."""

    def __init__(self, reader: _Reader, var: _Var | None) -> None:
        self.var = var
        self.config = None
        self.entries: dict[str, PullSpec] = {}
        self.store: PullSpec | None = None
        self.expands: tuple[str, ...] = ()
        self.lines: list[str] = []
        if var is None or var.value is None:
            return
        text = var.value
        self.lines = text.split("\n")
        self.expands = gitlab_auth_config.variables_in(text) if var.expand else ()
        self.config = gitlab_auth_config.parse(text)
        if self.config.doc is None:
            return
        for spec in docker_config.entries(
            self.config.doc, var.value_position, SecretSource.LITERAL, AUTH_VARIABLE
        ):
            form = spec.context.get("config")
            if form == "credsStore":
                self.store = spec
            elif form == "credHelpers":
                self.entries[spec.image_text] = (
                    spec  # a helper for a key replaces its auths entry, as in the runner
                )
            else:
                self.entries.setdefault(spec.image_text, spec)

    def defined_in_file(self) -> dict[str, tuple[Position, ...]]:
        return {AUTH_VARIABLE: (self.var.position,)} if self.var is not None else {}

    def _line_of(self, key: str) -> Position:
        """Where an entry's key is written, when the value spans several lines (a block scalar)."""
        pos = self.var.value_position
        if len(self.lines) > 1:
            for offset, line in enumerate(self.lines):
                if f'"{key}"' in line:
                    return Position(pos.file, pos.line + 1 + offset, line.index(f'"{key}"') + 1)
        return pos

    def credential_for(self, image: str) -> tuple[Credential, dict[str, str]]:
        if self.var is None:
            return (
                Credential(
                    kind=CredentialKind.BASIC,
                    password_source=SecretSource.ENV,
                    password_ref=AUTH_VARIABLE,
                    fields={"variable": AUTH_VARIABLE},
                ),
                {"auth_config": "variable"},
            )
        context = {"auth_config": "file", "auth_config_line": str(self.var.position.line)}
        if self.expands:
            context["auth_config_variables"] = ",".join(self.expands)
        base = {
            "password_ref": AUTH_VARIABLE,
            "position": self.var.value_position,
            "fields": {"variable": AUTH_VARIABLE},
        }
        if self.config is None or self.config.doc is None:
            if self.expands and self.var.value is not None:
                context["auth_config"] = "unresolved"  # it may read once the runner fills in the variables
                return Credential(
                    kind=CredentialKind.UNKNOWN, password_source=SecretSource.MIXED, **base
                ), context
            context["auth_config"] = "invalid"
            if self.config is not None:
                context["auth_config_problem"] = self.config.problem
            return Credential(kind=CredentialKind.NONE, **base), context
        key = gitlab_auth_config.match(tuple(self.entries), image) if image else None
        if key is None:
            if self.store is not None:
                context["auth_config_form"] = "credsStore"
                fields = {**base["fields"], **self.store.credential.fields}
                return Credential(kind=CredentialKind.HELPER, **{**base, "fields": fields}), context
            context["auth_config_match"] = "none"
            context["auth_config_keys"] = ",".join(self.entries)
            return Credential(kind=CredentialKind.NONE, **base), context
        entry = self.entries[key]
        context["auth_config_key"] = key
        where_key = self._line_of(key)
        if entry.credential.kind is CredentialKind.HELPER:
            context["auth_config_form"] = "credHelpers"
            fields = {**base["fields"], **entry.credential.fields}
            return Credential(
                kind=CredentialKind.HELPER, **{**base, "fields": fields, "position": where_key}
            ), context
        context["auth_config_form"] = "auths"
        raw = self.config.doc["auths"][key] if isinstance(self.config.doc.get("auths"), dict) else {}
        raw = raw if isinstance(raw, dict) else {}
        referenced = {
            field: gitlab_auth_config.variables_in(raw.get(field)) if self.var.expand else ()
            for field in ("auth", "username", "password", "identitytoken")
        }
        cred = entry.credential
        username, username_var = cred.username, None
        variables: dict[str, tuple[str, ...]] = {}
        kind = cred.password_kind
        if referenced["auth"] or referenced["password"] or referenced["identitytoken"]:
            variables["password"] = referenced["auth"] + referenced["password"] + referenced["identitytoken"]
            kind = None
        if referenced["auth"]:
            username = None
        if referenced["username"]:
            variables["username"] = referenced["username"]
            whole = _VAR.fullmatch(raw.get("username", ""))
            username, username_var = (None, whole.group(1) or whole.group(2)) if whole else (username, None)
        if entry.context.get("auth_undecodable") and _undecodable(raw.get("auth"), referenced["auth"]):
            context["auth_undecodable"] = "true"
        if kind is not None and cred.password_source is SecretSource.LITERAL:
            context["auth_config_secret"] = "literal"
        return (
            Credential(
                kind=CredentialKind.BASIC,
                username=username,
                username_var=username_var,
                password_source=SecretSource.ENV,
                password_ref=AUTH_VARIABLE,
                password_kind=kind,
                fields=dict(base["fields"]),
                variables=variables,
                positions={"username": where_key, "password": where_key},
                position=where_key,
            ),
            context,
        )


def _undecodable(auth: Any, variables: tuple[str, ...]) -> bool:
    """Whether an `auth` value cannot be base64 of USER:PASSWORD, even once the runner fills in
    its variables (one whole variable could hold anything)."""
    if not isinstance(auth, str) or not variables:
        return True
    if _VAR.fullmatch(auth):
        return False
    return re.search(r"[^A-Za-z0-9+/=]", _VAR.sub("", auth)) is not None


def job_name(name: str) -> Safe:
    """A job's name for a message (hidden jobs start with a dot)."""
    if name.startswith("."):
        return fmt(".{}", boundary.name(name[1:]))
    return boundary.name(name)


def steps_of(path: str, doc: Any) -> list[Script]:
    """Each job's before_script and script, joined as the runner runs them in one shell, and its
    after_script (a shell of its own), in file order, with the variables the file defines for
    the job (as written: the runner fills in references to other variables)."""
    resolve_references(doc)
    reader = _Reader(path, doc)
    out: list[Script] = []
    for name in reader.jobs():
        job, _ = reader.job(name)
        variables = {k: v.value for k, v in reader.variables(job).items() if v.value is not None}
        main: list[tuple[str, int, int]] = []
        for key in ("before_script", "script"):
            entry = reader.effective(name, job, key)
            if entry is not None:
                main += list(_script_lines(reader, entry[0], entry[1], key))
        after = reader.effective(name, job, "after_script")
        lines = list(_script_lines(reader, after[0], after[1], "after_script")) if after is not None else []
        for part, found in (("script", main), ("after_script", lines)):
            if found:
                first = Position(path, found[0][1], found[0][2])
                out.append(Script(name, part, "\n".join(t for t, _, _ in found), first, dict(variables)))
    return out


def run_steps(path: str | Path, text: str | None = None) -> list[Script]:
    path = str(path)
    return steps_of(path, yamlfile.load(path, text))

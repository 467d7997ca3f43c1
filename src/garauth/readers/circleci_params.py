"""CircleCI parameters: `<< parameters.x >>` and `<< pipeline.parameters.x >>` in config values.

Part of the CircleCI reader (`garauth.readers.circleci`); it works on the already loaded config
and never parses YAML itself.

What CircleCI documents (configuration reference, "parameters" and "executors"; reusable
config reference) and this module follows:
- a job or an executor declares `parameters:` with an optional `default:`; a value passed where
  it is used (`executor: {name: e, tag: "1.0"}`, or a workflow's `- build: {tag: "1.0"}`)
  replaces the default; `<< parameters.x >>` inside the body is replaced by that value;
- `<< pipeline.parameters.x >>` is a pipeline parameter: its default, unless the pipeline is
  triggered with another value (that case is reported as a note);
- a workflow job entry may carry `matrix: {parameters: {x: [a, b]}, exclude: [...]}`: the job
  runs once per combination;
- booleans render as `true`/`false`.
Anything else in `<< ... >>` (e.g. `<< pipeline.git.branch >>`) is only known when the pipeline
runs, and is reported, not guessed.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from garauth import boundary, data
from garauth.boundary import fmt, number
from garauth.yamlfile import position

_EXPR = re.compile(r"<<\s*([^<>]*?)\s*>>")
_WHOLE_PARAM = re.compile(r"\s*<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>\s*")

MISSING = object()  # a declared parameter with no default and no value passed


@dataclass
class Scope:
    """The parameter values visible in one job or executor body."""

    owner: str  # where the parameters are declared, e.g. "jobs.build" or "executors.gar"
    params: dict[str, Any] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)


@dataclass
class Substituted:
    text: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return "<<" not in self.text


def declared(body: Any) -> dict[str, Any]:
    """The parameters a job or executor declares, each with its default or MISSING."""
    out: dict[str, Any] = {}
    params = body.get("parameters") if isinstance(body, dict) else None
    for name, spec in (params or {}).items():
        out[str(name)] = spec.get("default", MISSING) if isinstance(spec, dict) else MISSING
    return out


def render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: Any, scope: Scope) -> Substituted:
    """Replace every determinable `<< ... >>` in a string value; say why the others remain."""
    if not isinstance(text, str):
        return Substituted(render(text))
    out = Substituted(text)

    def replace(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("parameters."):
            param = expr.removeprefix("parameters.")
            if param not in scope.params:
                out.problems.append(
                    fmt(
                        "<< {} >> is not declared under {}.parameters.",
                        boundary.name(expr),
                        boundary.name(scope.owner),
                    )
                )
                return match.group(0)
            value = scope.params[param]
            if value is MISSING:
                out.problems.append(
                    fmt(
                        "<< {} >> has no value: {}.parameters.{} has no default and no value is passed for it.",
                        boundary.name(expr),
                        boundary.name(scope.owner),
                        boundary.name(param),
                    )
                )
                return match.group(0)
            return render(value)
        if expr.startswith("pipeline.parameters."):
            value = scope.pipeline.get(expr.removeprefix("pipeline.parameters."), MISSING)
            if value is MISSING:
                out.problems.append(
                    fmt("<< {} >> has no default under the top-level parameters:.", boundary.name(expr))
                )
                return match.group(0)
            out.notes.append(
                fmt(
                    "<< {} >> is taken as its default; a pipeline triggered with another value pulls something else.",
                    boundary.name(expr),
                )
            )
            return render(value)
        out.problems.append(
            fmt(
                "<< {} >> is only known when the pipeline runs; garauth cannot resolve it.",
                boundary.name(expr),
            )
        )
        return match.group(0)

    out.text = _EXPR.sub(replace, text)
    return out


def whole_parameter(text: Any, scope: Scope) -> Any:
    """The raw value when `text` is exactly `<< parameters.x >>` (it may be a mapping), else None."""
    if not isinstance(text, str):
        return None
    m = _WHOLE_PARAM.fullmatch(text)
    if not m:
        return None
    value = scope.params.get(m.group(1), MISSING)
    return None if value is MISSING else value


@dataclass(frozen=True)
class Invocation:
    """One run of a job in a workflow, with the parameter values passed to it."""

    workflow: str | None
    args: tuple[tuple[str, Any], ...] = ()
    contexts: tuple[str, ...] = ()
    entry: Any = None  # the workflow's job entry node (for positions)
    entry_index: int = 0


def invocations(doc: Any) -> dict[str, list[Invocation]]:
    """Every job invocation in the config's workflows, by job name, matrices expanded."""
    out: dict[str, list[Invocation]] = {}
    workflows = doc.get("workflows") if isinstance(doc, dict) else None
    limit = data.limits()["circleci"]["max_workflow_jobs"]
    total = 0
    for wf_name, wf in (workflows or {}).items():
        if not isinstance(wf, dict):
            continue  # e.g. `version: 2` inside a 2.0 config's workflows
        entries = wf.get("jobs") or []
        for index, entry in enumerate(entries):
            if isinstance(entry, str):
                total = _counted(total, limit, entries, index)
                out.setdefault(entry, []).append(Invocation(str(wf_name), entry=entries, entry_index=index))
                continue
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            ((job, body),) = entry.items()
            body = body if isinstance(body, dict) else {}
            contexts = body.get("context") or ()
            contexts = (contexts,) if isinstance(contexts, str) else tuple(str(c) for c in contexts)
            for args in _matrix(body):
                total = _counted(total, limit, entries, index)
                out.setdefault(str(job), []).append(
                    Invocation(str(wf_name), tuple(args.items()), contexts, entries, index)
                )
    return out


def _counted(total: int, limit: int, entries: Any, index: int) -> int:
    if total >= limit:
        message = fmt("the workflows run more than {} jobs, garauth's limit.", number(limit))
        raise OverLimit(message, position(entries, index))
    return total + 1


class OverLimit(Exception):
    """The workflows expand to more job runs than garauth reads; `message` is Safe."""

    def __init__(self, message: str, position: tuple[int, int]) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


_RESERVED = {
    "requires",
    "context",
    "name",
    "filters",
    "matrix",
    "type",
    "pre-steps",
    "post-steps",
    "serial-group",
    "override-with",
}


def _matrix(body: dict) -> list[dict[str, Any]]:
    base = {str(k): v for k, v in body.items() if k not in _RESERVED}
    matrix = body.get("matrix")
    if not isinstance(matrix, dict) or not isinstance(matrix.get("parameters"), dict):
        return [base]
    names = [str(n) for n in matrix["parameters"]]
    lists = [v if isinstance(v, list) else [v] for v in matrix["parameters"].values()]
    limit = data.limits()["circleci"]["max_matrix_jobs"]
    if math.prod(len(v) for v in lists) > limit:
        message = fmt("this matrix expands to more than {} jobs, garauth's limit.", number(limit))
        raise OverLimit(message, position(matrix))
    excluded = [dict(e) for e in matrix.get("exclude") or [] if isinstance(e, dict)]
    combos = []
    for values in itertools.product(*lists):
        combo = dict(zip(names, values, strict=True))
        if any(all(combo.get(k) == v for k, v in ex.items()) for ex in excluded):
            continue
        combos.append({**base, **combo})
    return combos or [base]

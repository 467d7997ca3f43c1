"""Validate CI configs against the target system's own schema, in-process.

The schemas are the ones check-jsonschema ships (vendored from SchemaStore and the vendors), read
from its package data, so validation needs no network. They are applied by jsonschema-rs, a JSON
Schema validator written in Rust that uses ECMA-262 regular expressions as the schemas expect; a
5 MB config is checked in tens of milliseconds, where the pure-Python validator took 20 seconds.

Each error comes back with the line and column of the offending node and a message built from
the error's kind, never from the value: a schema message about an `auth:` block, an unexpected
key or an orb reference says what is wrong without repeating what was written.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from garauth import boundary
from garauth.boundary import Safe, fmt, own
from garauth.yamlfile import position_of_path

# garauth's name for a schema -> file in check_jsonschema/builtin_schemas/vendor/
BUILTIN = {
    "circleci": "circle-ci.json",
    "github-workflows": "github-workflows.json",
    "gitlab-ci": "gitlab-ci.json",
    "bitbucket-pipelines": "bitbucket-pipelines.json",
}
MAX_ERRORS = 20  # a file with more reports the first ones


@dataclass(frozen=True)
class SchemaError:
    line: int
    column: int
    path: Safe  # JSON path, e.g. $.jobs.build.docker[0].auth
    message: Safe

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.path}: {self.message}"


@cache
def _validator(name: str) -> Any:
    return jsonschema_rs.validator_for(json.loads(schema_path(name).read_text("utf-8")))


def schema_path(name: str) -> Path:
    """The vendored schema file, found without importing check-jsonschema (its package imports
    its whole command line, which costs more than a check of a small file)."""
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("check-jsonschema is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "builtin_schemas" / "vendor" / BUILTIN[name]


def json_path(parts: list[Any]) -> Safe:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{boundary.name(p)}"
    return Safe(out)


def _candidates(err: Any) -> list[Any]:
    out, stack = [], [err]
    while stack:
        e = stack.pop()
        out.append(e)
        for branch in getattr(e.kind, "context", None) or ():
            stack.extend(branch)
    return out


_UNION = ("OneOfNotValid", "AnyOf", "Not")
_SHAPE = ("Type", "Pattern", "Format", "OneOfMultipleValid")


def _deepest(err: Any) -> list[Any]:
    """The errors, through oneOf/anyOf branches, that reach deepest into the document.

    A union's own error ("is not valid under any of the given schemas") hides the useful ones: a
    typo `passwrd:` in a CircleCI `auth:` gives "password is required" and "passwrd was
    unexpected" three levels down."""
    found = _candidates(err)
    depth = max(len(e.instance_path) for e in found)
    deepest = [e for e in found if len(e.instance_path) == depth]
    specific = [e for e in deepest if type(e.kind).__name__ not in _UNION + _SHAPE]
    return specific or [e for e in deepest if type(e.kind).__name__ not in _UNION] or deepest


def _value_at(doc: Any, path: list[Any]) -> Any:
    node = doc
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _message(err: Any, doc: Any) -> Safe:
    kind = err.kind
    name = type(kind).__name__
    if name == "Required":
        return fmt("{} is a required property", boundary.name(getattr(kind, "property", None)))
    if name == "AdditionalProperties":
        keys = boundary.join(boundary.name(k) for k in getattr(kind, "unexpected", ()))
        return fmt("these keys are not allowed here: {}", keys)
    if name in ("Enum", "Constant"):
        options = getattr(kind, "options", None)
        if options is None:
            options = [getattr(kind, "expected_value", None)]
        allowed = boundary.join(boundary.name(o) for o in options if isinstance(o, (str, int)))
        return fmt("the value must be one of: {}", allowed)
    if name == "Type":
        types = boundary.join((own(str(t)) for t in getattr(kind, "types", ())), " or ")
        return fmt(
            "the value must be of type {}, not {}",
            types,
            boundary.describe(_value_at(doc, list(err.instance_path))),
        )
    limits = {
        "MinItems": "the list must have at least {} items",
        "MaxItems": "the list must have at most {} items",
        "MinLength": "the value must be at least {} characters long",
        "MaxLength": "the value must be at most {} characters long",
        "MinProperties": "the mapping must have at least {} keys",
        "MaxProperties": "the mapping must have at most {} keys",
        "Minimum": "the value must be at least {}",
        "Maximum": "the value must be at most {}",
    }
    if name in limits:
        return fmt(limits[name], own(str(getattr(kind, "limit", "?"))))
    if name in ("Pattern", "Format"):
        return own("the value does not have the form the schema requires here")
    if name == "OneOfMultipleValid":
        return own("the value matches more than one of the forms allowed here")
    if name == "UniqueItems":
        return own("the list holds the same item twice")
    return fmt("the value is not valid here ({})", own(name))


def validate(doc: Any, schema: str) -> list[SchemaError]:
    """All schema errors of a loaded YAML document (empty when valid), at most MAX_ERRORS."""
    validator = _validator(schema)
    if validator.is_valid(doc):
        return []
    out: list[SchemaError] = []
    for err in validator.iter_errors(doc):
        by_path: dict[tuple, list[Any]] = {}
        for deep in _deepest(err):
            by_path.setdefault(tuple(deep.instance_path), []).append(deep)
        for path, errs in by_path.items():
            line, col = position_of_path(doc, list(path))
            kinds = {type(e.kind).__name__ for e in errs}
            if kinds <= set(_SHAPE) and len(errs) > 1:
                messages = [own("the value has none of the forms the schema allows here")]
            else:
                messages = [_message(e, doc) for e in errs]
            for message in messages:
                found = SchemaError(line, col, json_path(list(path)), message)
                if found not in out:
                    out.append(found)
        if len(out) >= MAX_ERRORS:
            break
    return out[:MAX_ERRORS]

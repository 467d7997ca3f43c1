"""Validate CI configs against the target system's own schema, in-process.

The schemas are the ones check-jsonschema ships (vendored from SchemaStore and the vendors);
they are read from its package data, so validation needs no network. Each error comes back with
the line and column of the offending node in the YAML file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import regress

from garauth.secretlike import kind_of_secret
from garauth.yamlfile import position_of_path

# garauth's name for a schema -> file in check_jsonschema/builtin_schemas/vendor/
BUILTIN = {
    "circleci": "circle-ci.json",
    "github-workflows": "github-workflows.json",
    "gitlab-ci": "gitlab-ci.json",
    "bitbucket-pipelines": "bitbucket-pipelines.json",
}


@dataclass(frozen=True)
class SchemaError:
    line: int
    column: int
    path: str  # JSON path, e.g. $.jobs.build.docker[0].auth
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.path}: {self.message}"


@cache
def _ecma(pattern: str) -> regress.Regex:
    return regress.Regex(pattern, flags="u")


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _ecma(pattern).find(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _ecma(pattern).find(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for a built-in schema.

    JSON Schema patterns are ECMA-262 regular expressions, and the vendored schemas use ECMA-only
    syntax (the CircleCI schema's orb-reference pattern has `\\p{Cc}`, which Python's `re` rejects),
    so `pattern` and `patternProperties` go through `regress`, as check-jsonschema does by default.
    """
    filename = BUILTIN[name]
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(filename).read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(cls, {"pattern": _pattern, "patternProperties": _pattern_properties})
    return cls(schema)


def _json_path(parts) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _deepest_all(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The sub-errors (through anyOf/oneOf branches) whose path reaches deepest into the document.

    A union schema's top error ("... is not of type 'string'") hides the useful ones: a typo
    `passwrd:` in a CircleCI `auth:` gives both "'password' is a required property" and
    "Additional properties are not allowed ('passwrd' was unexpected)"; this digs them out.
    """
    candidates = [err]
    stack = list(err.context or ())
    while stack:
        sub = stack.pop(0)
        candidates.append(sub)
        stack.extend(sub.context or ())
    depth = max(len(c.absolute_path) for c in candidates)
    deepest = [c for c in candidates if len(c.absolute_path) == depth]
    # "is not valid under any of the given schemas" / "is not of type 'string'" from the other
    # branches of a union only hide the specific message when there is one.
    specific = [c for c in deepest if c.validator not in _UNION_NOISE]
    return specific or deepest


_UNION_NOISE = {"oneOf", "anyOf", "type", "if", "else", "then", "not"}

# Keys whose values are secrets: a schema message about them must not repeat the value.
SECRET_KEYS = {"auth", "password", "aws_auth", "aws_secret_access_key", "credentials", "DOCKER_AUTH_CONFIG"}


def _message(err: jsonschema.ValidationError) -> str:
    """The schema's message, without repeating anything that could hold a secret.

    Under a secret key the value is never shown; elsewhere a mapping or list (which may contain
    an auth: block) and a string that looks like a key or token are named, not printed.
    """
    instance = repr(err.instance)
    if any(part in SECRET_KEYS for part in err.absolute_path):
        return err.message.replace(instance, "the value")
    if isinstance(err.instance, dict):
        return err.message.replace(instance, "this mapping")
    if isinstance(err.instance, list):
        return err.message.replace(instance, "this list")
    if isinstance(err.instance, str) and kind_of_secret(err.instance) not in (None, "a literal password"):
        return err.message.replace(instance, "this value")
    return err.message


def validate(doc: Any, schema: str) -> list[SchemaError]:
    """All schema errors of a loaded YAML document (empty when valid), best match first."""
    validator = _validator(schema)
    errors = list(validator.iter_errors(doc))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    ordered = [best] + [e for e in errors if e is not best]
    out: list[SchemaError] = []
    for err in ordered:
        for deepest in _deepest_all(err):
            path = list(deepest.absolute_path)
            line, col = position_of_path(doc, path)
            found = SchemaError(line, col, _json_path(path), _message(deepest))
            if found not in out:
                out.append(found)
    return out

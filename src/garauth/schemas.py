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
def _validator(name: str) -> jsonschema.protocols.Validator:
    filename = BUILTIN[name]
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(filename).read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _json_path(parts) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _deepest(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The sub-error (through anyOf/oneOf branches) whose path reaches deepest into the document.

    A union schema's top error ("... is not of type 'string'") hides the useful one
    ("'password' is a required property" on the auth block); this digs it out.
    """
    best = err
    for sub in err.context or ():
        cand = _deepest(sub)
        if len(cand.absolute_path) > len(best.absolute_path):
            best = cand
    return best


def validate(doc: Any, schema: str) -> list[SchemaError]:
    """All schema errors of a loaded YAML document (empty when valid), best match first."""
    validator = _validator(schema)
    errors = list(validator.iter_errors(doc))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    ordered = [best] + [e for e in errors if e is not best]
    out = []
    for err in ordered:
        deepest = _deepest(err)
        path = list(deepest.absolute_path)
        line, col = position_of_path(doc, path)
        out.append(SchemaError(line, col, _json_path(path), deepest.message))
    return out

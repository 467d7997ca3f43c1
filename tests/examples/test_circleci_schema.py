"""Every CircleCI example validates against CircleCI's schema (check-jsonschema's built-in copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from garauth import schemas, yamlfile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "circleci"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_validates_against_the_circleci_schema(path):
    errors = schemas.validate(yamlfile.load(path), "circleci")
    assert errors == [], "\n".join(f"{path.name}:{e}" for e in errors)


def test_the_schema_check_catches_a_misspelt_password(tmp_path):
    good = (EXAMPLES / "json-key-raw.yml").read_text()
    bad = tmp_path / "bad.yml"
    bad.write_text(good.replace("password:", "passwrd:"))
    errors = schemas.validate(yamlfile.load(bad), "circleci")
    assert errors and {e.message for e in errors} == {
        "password is a required property",
        "these keys are not allowed here: passwrd",
    }
    assert errors[0].path == "$.jobs.build.docker[0].auth"
    assert errors[0].line == good.splitlines().index("        auth:") + 1

"""GA0xx: files the platform itself rejects."""

from __future__ import annotations

from collections.abc import Iterator

from garauth.model import Severity
from garauth.readers import ConfigError
from garauth.rules import Hit, Rule


def rejected(error: ConfigError) -> Iterator[Hit]:
    yield Hit(error.position, error.message)  # type: ignore[arg-type]


RULES = [
    Rule(
        id="GA001",
        name="config-rejected",
        severity=Severity.ERROR,
        summary="The platform's own schema rejects the file, so nothing in it runs.",
        fix="Fix the key or value the message names, as the platform's configuration reference describes.",
        why=(
            "garauth validates each config with the schema the platform publishes, as vendored by "
            "[check-jsonschema](https://github.com/python-jsonschema/check-jsonschema) (CircleCI's "
            "comes from SchemaStore; GitHub's, GitLab's and Bitbucket's are its built-in ones), and "
            "Kubernetes manifests with the API's OpenAPI schemas as "
            "[kubernetes-validate](https://github.com/willthames/kubernetes-validate) bundles them. "
            "A config the platform rejects pulls nothing, so garauth reports "
            "the rejection and stops there. Messages name the key, never the value."
        ),
        bad="rules/GA001/bad.yml",
        good="circleci/json-key-raw.yml",
        check=rejected,
        subject="config",
    ),
]

"""GA4xx: files that hold a service-account key."""

from __future__ import annotations

from collections.abc import Iterator

from garauth import boundary, keyfile
from garauth.boundary import Safe, fmt, own
from garauth.model import Severity
from garauth.readers.keyfile import KeyFile
from garauth.rules import Hit, Rule

KEY_RISKS = "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys"


def private_key_in_file(key: KeyFile) -> Iterator[Hit]:
    facts = key.facts
    if not facts.private_key_material:
        return
    email = facts.key.get("client_email") if facts.key else None
    whose = fmt(" for {}", boundary.name(email)) if isinstance(email, str) else own("")
    yield Hit(key.position, fmt("This file holds a service-account private key{}.", whose))


def key_unusable(key: KeyFile) -> Iterator[Hit]:
    facts = key.facts
    if facts.username is not None:
        return
    if facts.key is None and not facts.layers and not facts.private_key_material:
        return  # not a key file at all
    if (
        facts.key is not None
        and facts.key.get("type") == "external_account"
        and not facts.private_key_material
    ):
        return  # a Workload Identity Federation credential configuration: no secret, and not meant as a key
    yield Hit(
        key.position,
        fmt("Not usable as a registry password: {}.", Safe(keyfile.describe_problems(facts))),
    )


RULES = [
    Rule(
        id="GA401",
        name="private-key-in-file",
        severity=Severity.ERROR,
        summary="A file holds a service-account private key.",
        fix="If it is committed, treat the key as leaked: disable it, delete it, and keep keys in a CI secret store or go keyless.",
        why=(
            "Anyone who can read a repository, or its history, can use a key committed to it, until "
            f"the key is deleted: keys do not expire by default ([managing keys]({KEY_RISKS})). "
            "Run `garauth check` (or its pre-commit hook) before committing to catch one."
        ),
        bad="rules/GA401/bad.json",
        good="circleci/json-key-raw.yml",
        check=private_key_in_file,
        subject="keyfile",
    ),
    Rule(
        id="GA402",
        name="key-unusable",
        severity=Severity.ERROR,
        summary="A key file would not work as a registry password.",
        fix="Store the key file exactly as downloaded (username _json_key), or its base64 on one line (_json_key_base64).",
        why=(
            "Secret stores and copy-paste add layers around a key: quotes, escaped quotes, base64 "
            "twice, a lost end. Artifact Registry then answers `Unable to parse json key`. garauth "
            "takes the layers off one by one and names each. A Workload Identity Federation "
            'credential configuration (`"type": "external_account"`) holds no secret and is not '
            "judged here; `garauth key check` still says it is not a key."
        ),
        bad="rules/GA402/bad.json",
        good="circleci/json-key-base64.yml",
        check=key_unusable,
        subject="keyfile",
    ),
]

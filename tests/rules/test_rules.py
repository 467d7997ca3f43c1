"""Every rule: its metadata, its bad example (exactly that rule), its good example (nothing), and
its generated page and stored `garauth check` output.

After a deliberate change to a rule, rewrite the generated files with
    GARAUTH_UPDATE_OUTPUTS=1 make test PYTEST_ARGS=tests/rules
and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from garauth.commands.check import examine
from garauth.model import Severity
from garauth.rules import pages, rules

RULES = list(rules().values())
UPDATE = os.environ.get("GARAUTH_UPDATE_OUTPUTS") == "1"
EXPECTED = pages.expected_files()  # made once: it runs every rule's bad example


def test_ids_are_stable_and_well_formed():
    for rule in RULES:
        assert re.fullmatch(r"GA\d\d\d", rule.id)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert isinstance(rule.severity, Severity)
        for line in (rule.summary, rule.fix):
            assert line and "\n" not in line and line.endswith("."), f"{rule.id}: one line, a sentence"
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_the_bad_example_yields_exactly_this_rule(rule):
    fmt, found = examine(rule.bad, pages.example_text(rule.bad))
    assert fmt is not None, f"{rule.bad} is not a format garauth reads"
    assert {f.rule for f in found} == {rule.id}, [f"{f.rule}: {f.message}" for f in found]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_the_good_example_yields_nothing(rule):
    fmt, found = examine(rule.good, pages.example_text(rule.good))
    assert fmt is not None
    assert found == [], [f"{f.rule}: {f.message}" for f in found]


def test_a_placeholder_key_is_the_only_key_in_the_examples():
    """No private key is committed: key examples hold a placeholder the tests fill in."""
    for path in pages.EXAMPLES.rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8", errors="replace")
            for block in re.findall(r"-----BEGIN PRIVATE KEY-----(.*?)-----END", text, re.S):
                assert "placeholder" in block, f"{path} holds a private key"


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: str(p.relative_to(pages.EXAMPLES.parent)))
def test_generated_file_is_up_to_date(path: Path):
    want = EXPECTED[path]
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(want)
    assert path.is_file() and path.read_text() == want, (
        f"{path} is out of date: run GARAUTH_UPDATE_OUTPUTS=1 make test PYTEST_ARGS=tests/rules"
    )


def test_no_stray_rule_page_or_output():
    expected = set(EXPECTED)
    docs = pages.EXAMPLES.parent / "docs" / "reference" / "rules"
    found = {p for p in docs.glob("GA*.md")} | {p for p in (pages.EXAMPLES / "rules").glob("*/check.txt")}
    assert found <= expected, sorted(str(p) for p in found - expected)


# The troubleshooting page's failures that can be seen in the file, and the rule that flags each:
# `garauth check` must catch every one of them before anything runs.
TROUBLESHOOTING = {
    "double-underscore": ("circleci/broken/double-underscore.yml", "GA101"),
    "location-typo": ("circleci/broken/location-typo.yml", "GA202"),
    "no-repository": ("circleci/broken/no-repository.yml", "GA205"),
    "environment-only": ("circleci/broken/environment-only.yml", "GA107"),
    "access-token-stored": ("circleci/broken/access-token.yml", "GA106"),
    "pool-with-project-id": ("circleci/broken/pool-with-project-id.yml", "GA301"),
    "unauthenticated-request": ("circleci/broken/no-auth.yml", "GA109"),
}


@pytest.mark.parametrize("case", sorted(TROUBLESHOOTING))
def test_every_file_visible_troubleshooting_mistake_is_flagged(case):
    example, rule_id = TROUBLESHOOTING[case]
    _, found = examine(example, pages.example_text(example))
    assert [f.rule for f in found] == [rule_id]


def test_every_broken_example_is_in_the_troubleshooting_map():
    broken = {f"circleci/broken/{p.name}" for p in (pages.EXAMPLES / "circleci" / "broken").glob("*.yml")}
    visible = {example for example, _ in TROUBLESHOOTING.values()}
    # wrong-location.yml names a real location; only the registry can tell the repository is elsewhere.
    assert broken - visible == {"circleci/broken/wrong-location.yml"}


def test_a_workload_identity_credential_configuration_is_not_judged_as_a_key():
    """A credential configuration holds no secret and is meant to be committed: `garauth check`
    reads it as a key-file candidate and finds nothing (GA402 is for keys that will not work)."""
    config = (
        '{"type": "external_account", "audience": "//iam.googleapis.com/projects/123456789012/'
        'locations/global/workloadIdentityPools/ci/providers/ci", "subject_token_type": '
        '"urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token", '
        '"credential_source": {"file": "/tmp/oidc_token"}}'
    )
    fmt, found = examine("credential-config.json", config)
    assert fmt is not None
    assert found == [], [f"{f.rule}: {f.message}" for f in found]
    fmt, found = examine("broken-key.json", config.replace("external_account", "service_account"))
    assert {f.rule for f in found} == {"GA402"}

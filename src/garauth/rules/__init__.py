"""Rules: every judgement garauth makes about a file, one module per concern.

Readers say what a file says (`garauth.readers`); rules judge it. A rule has a stable ID, a
severity, a one-line summary and fix, a paragraph for its page (docs/reference/rules/ID.md,
generated from this metadata), and a bad and a good example file under examples/rules/ that the
tests run: the bad one yields exactly this rule, the good one yields nothing.

    findings(pullspecs)        every finding on a list of PullSpecs, in file order
    file_findings(facts)       every finding on a file-level fact (e.g. a key file)
    RULES                      ID -> Rule, in ID order

Families: GA0xx files the platform rejects, GA1xx credentials (usernames, passwords, variables),
GA2xx image references and hosts, GA3xx keyless (gcp_auth / Workload Identity Federation) and
other credential blocks, GA4xx service-account key files; platform-specific rules: GA5xx GitHub
Actions, GA6xx GitLab CI and Bitbucket Pipelines, GA7xx Kubernetes, GA8xx registry clients and
credential helpers. A new module is one line in _collect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from garauth import data
from garauth.boundary import Safe, own
from garauth.model import Finding, Position, PullSpec, Severity


@dataclass(frozen=True)
class Hit:
    """What a rule's check found: where, what (Safe), and a fix when it differs from the rule's."""

    position: Position
    message: Safe
    fix: Safe | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    name: str  # a short kebab-case name, e.g. "username-not-accepted"
    severity: Severity
    summary: str  # one line: what is wrong
    fix: str  # one line: what to do
    why: str  # the page's explanation (Markdown), with links to primary sources
    bad: str  # example file under examples/ that yields exactly this rule
    good: str  # example file under examples/ that yields no finding
    check: Callable[[Any], Iterable[Hit]]
    subject: str = (
        "pull"  # "pull" (a PullSpec), "config" (a ConfigError), "keyfile" (readers.keyfile.KeyFile)
    )

    @property
    def page(self) -> str:
        """The rule's page, relative to the site root."""
        return f"reference/rules/{self.id}/"

    @property
    def url(self) -> str:
        return data.site_url() + self.page


def _collect() -> dict[str, Rule]:
    from garauth.rules import (
        clients,
        config,
        credentials,
        github,
        gitlab_bitbucket,
        image,
        keyfiles,
        keyless,
        kubernetes,
    )

    found: dict[str, Rule] = {}
    for module in (
        config,
        credentials,
        image,
        keyless,
        keyfiles,
        kubernetes,
        github,
        gitlab_bitbucket,
        clients,
    ):
        for rule in module.RULES:
            if rule.id in found:
                raise RuntimeError(f"two rules share the ID {rule.id}")
            found[rule.id] = rule
    return dict(sorted(found.items()))


RULES: dict[str, Rule] = {}


def rules() -> dict[str, Rule]:
    if not RULES:
        RULES.update(_collect())
    return RULES


def _run(rule: Rule, subject: Any) -> Iterator[Finding]:
    for hit in rule.check(subject):
        yield Finding(
            rule=rule.id,
            severity=rule.severity,
            message=hit.message,
            position=hit.position,
            fix=hit.fix if hit.fix is not None else own(rule.fix),
        )


def findings(pullspecs: Iterable[PullSpec]) -> list[Finding]:
    """Every finding of every pull rule on these PullSpecs (duplicates dropped), in file order."""
    out: dict[tuple, Finding] = {}
    pull_rules = [r for r in rules().values() if r.subject == "pull"]
    for spec in pullspecs:
        for rule in pull_rules:
            for f in _run(rule, spec):
                out.setdefault((f.rule, f.position, f.message), f)
    return sorted(out.values(), key=_order)


def findings_of(spec: PullSpec) -> list[Finding]:
    """The findings of one PullSpec."""
    return findings([spec])


def file_findings(subject: str, facts: Any) -> list[Finding]:
    """Every finding of the rules for a file-level subject (e.g. "keyfile")."""
    out = [f for rule in rules().values() if rule.subject == subject for f in _run(rule, facts)]
    return sorted(out, key=_order)


def _order(f: Finding) -> tuple:
    return (f.position.file, f.position.line, f.position.column, f.rule)

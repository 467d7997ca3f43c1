"""Findings as garauth prints them: a text line, a JSON object, a SARIF 2.1.0 log.

Every string here is garauth.boundary.Safe; `garauth check` and `garauth pulls` print what these
return through the boundary.
"""

from __future__ import annotations

from typing import Any

from garauth import __version__, boundary, data
from garauth.boundary import Safe, fmt, own
from garauth.model import Finding, Position
from garauth.rules import rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def text_line(f: Finding) -> Safe:
    """`file:line:col: ID severity message` and, indented, the fix and the rule's page."""
    rule = rules()[f.rule]
    return fmt(
        "{}: {} {} {}\n    fix: {}\n    see: {}",
        boundary.position(f.position),
        boundary.rule(f.rule),
        own(f.severity.value),
        Safe(f.message),
        Safe(f.fix),
        own(rule.url),
    )


def position_json(pos: Position | None) -> dict[str, Any] | None:
    """A position as JSON; line and column are null when unknown (stored as 0)."""
    if pos is None:
        return None
    return {"file": boundary.path(pos.file), "line": pos.line or None, "column": pos.column or None}


def finding_json(f: Finding) -> dict[str, Any]:
    rule = rules()[f.rule]
    return {
        "rule": boundary.rule(f.rule),
        "name": own(rule.name),
        "severity": own(f.severity.value),
        "message": Safe(f.message),
        "fix": Safe(f.fix),
        "url": own(rule.url),
        **(position_json(f.position) or {}),
    }


def sarif(findings: list[Finding], errors: list[tuple[Position, Safe]] | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, the rules that fired, one result per finding."""
    used = sorted({f.rule for f in findings})
    index = {rule_id: i for i, rule_id in enumerate(used)}
    catalogue = rules()
    driver = {
        "name": own("garauth"),
        "version": own(__version__),
        "informationUri": own(data.site_url()),
        "rules": [
            {
                "id": boundary.rule(rule_id),
                "name": own(catalogue[rule_id].name),
                "shortDescription": {"text": own(catalogue[rule_id].summary)},
                "help": {"text": own(catalogue[rule_id].fix)},
                "helpUri": own(catalogue[rule_id].url),
                "defaultConfiguration": {"level": own(SARIF_LEVEL[catalogue[rule_id].severity.value])},
            }
            for rule_id in used
        ],
    }
    results = [
        {
            "ruleId": boundary.rule(f.rule),
            "ruleIndex": index[f.rule],
            "level": own(SARIF_LEVEL[f.severity.value]),
            "message": {"text": fmt("{} Fix: {}", Safe(f.message), Safe(f.fix))},
            "locations": [_sarif_location(f.position)],
        }
        for f in findings
    ]
    notifications = [
        {"level": own("error"), "message": {"text": message}, "locations": [_sarif_location(pos)]}
        for pos, message in errors or []
    ]
    run: dict[str, Any] = {"tool": {"driver": driver}, "results": results}
    if notifications:
        run["invocations"] = [{"executionSuccessful": False, "toolExecutionNotifications": notifications}]
    return {own("$schema"): own(SARIF_SCHEMA), "version": own("2.1.0"), "runs": [run]}


def _sarif_location(pos: Position) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if pos.line:
        region["startLine"] = pos.line
        if pos.column:
            region["startColumn"] = pos.column
    physical: dict[str, Any] = {"artifactLocation": {"uri": boundary.path(pos.file)}}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}

"""Each rule's docs page (docs/reference/rules/ID.md) and the `garauth check` output it shows
(examples/rules/ID/check.txt), made from the rule's metadata and its examples.

The files are committed, so the site builds without running anything; tests/rules compares them
with what this module makes and rewrites them under GARAUTH_UPDATE_OUTPUTS=1.
"""

from __future__ import annotations

from pathlib import Path

from garauth import keyfile
from garauth.rules import Rule, rules

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PLACEHOLDER = "-----BEGIN PRIVATE KEY-----\n(placeholder: the test puts a key it generates here)\n-----END PRIVATE KEY-----\n"
LANGUAGES = {".yml": "yaml", ".yaml": "yaml", ".json": "json", ".sh": "sh"}


def example_text(relative: str) -> str:
    """An example file's text; a key file's placeholder is replaced by a key made here and now
    (no private key is ever committed)."""
    text = (EXAMPLES / relative).read_text("utf-8")
    if PLACEHOLDER.replace("\n", "\\n") in text:
        new = keyfile.new_key_file("demo-project", "reader@demo-project.iam.gserviceaccount.com", "1")
        pem = new.key_file["private_key"].replace("\n", "\\n")
        text = text.replace(PLACEHOLDER.replace("\n", "\\n"), pem)
    return text


def check_output(relative: str) -> str:
    """What `garauth check` prints for an example (its findings, one block each)."""
    from garauth import report
    from garauth.boundary import scrub
    from garauth.commands.check import examine

    _, found = examine(relative, example_text(relative))
    return "\n".join(scrub(report.text_line(f)) for f in found) + "\n"


def page(rule: Rule) -> str:
    bad_lang = LANGUAGES[Path(rule.bad).suffix]
    good_lang = LANGUAGES[Path(rule.good).suffix]
    placeholder = ""
    if PLACEHOLDER.replace("\n", "\\n") in (EXAMPLES / rule.bad).read_text("utf-8"):
        placeholder = (
            "\nThe private key in this example is a placeholder: no key is ever committed to this "
            "project. The test that checks this page puts a key it generates in its place.\n"
        )
    return f"""---
title: "{rule.id} {rule.name}"
---

<!-- Made by garauth.rules.pages from the rule's metadata: edit src/garauth/rules/, then run
     GARAUTH_UPDATE_OUTPUTS=1 make test PYTEST_ARGS=tests/rules -->

# {rule.id} {rule.name}

**Severity:** {rule.severity.value}

{rule.summary}

## Why

{rule.why}

## What to do

{rule.fix}

## Example

=== "Flagged"

    ```{bad_lang} title="{rule.bad}"
    --8<-- "{rule.bad}"
    ```
{_indent(placeholder)}
    ```text title="Output of garauth check"
    --8<-- "rules/{rule.id}/check.txt"
    ```

=== "Not flagged"

    ```{good_lang} title="{rule.good}"
    --8<-- "{rule.good}"
    ```

To silence this rule for one line, add `# garauth: ignore[{rule.id}]` on it or the line above;
for a whole project, list it under `ignore` in `[tool.garauth]` (see
[the garauth command](../cli.md#garauth-check)).
"""


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line else "" for line in text.splitlines())


def expected_files() -> dict[Path, str]:
    """Every generated file and its content."""
    docs = EXAMPLES.parent / "docs" / "reference" / "rules"
    out: dict[Path, str] = {}
    for rule in rules().values():
        out[docs / f"{rule.id}.md"] = page(rule)
        out[EXAMPLES / "rules" / rule.id / "check.txt"] = check_output(rule.bad)
    return out

"""Reader pages and contributor pages are apart (issue 11, defect 11).

- Contributor material (the stand-in's fidelity table) has its own navigation section, and no
  reader section (Tutorial, How-to, Reference, Explanation) holds a contributor page.
- How-to pages hold steps, not background: a heading that explains ("Why ...", "How it ...",
  "... works") belongs on an explanation page.
"""

from __future__ import annotations

import re

from docpages import DOCS, ROOT
from ruamel.yaml import YAML

READER_SECTIONS = ("Tutorial", "How-to", "Reference", "Explanation")
CONTRIBUTING = "Contributing"
EXPLAINING = re.compile(r"^#{2,3} (?:Why\b|How it\b|.*\bworks?$)", re.IGNORECASE)


def nav() -> dict[str, list[str]]:
    """Top-level section -> the page files under it."""
    config = YAML(typ="safe").load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def files(node) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [f for item in node for f in files(item)]
        return [f for value in node.values() for f in files(value)]

    out = {}
    for entry in config["nav"]:
        (title, value), *_ = entry.items() if isinstance(entry, dict) else [(entry, entry)]
        out[title] = files(value)
    return out


def test_contributor_pages_have_their_own_section():
    sections = nav()
    assert CONTRIBUTING in sections
    contributor = {str(p.relative_to(DOCS)) for p in (DOCS / "contributing").rglob("*.md")}
    assert "contributing/fake-registry.md" in contributor
    assert contributor <= set(sections[CONTRIBUTING])
    for name in READER_SECTIONS:
        assert not [
            f for f in sections[name] if f.startswith("contributing/") or f.endswith("fake-registry.md")
        ]


def test_how_to_pages_hold_no_explanation_sections():
    found = [
        f"{page.relative_to(DOCS)}: {line}"
        for page in sorted((DOCS / "how-to").glob("*.md"))
        for line in page.read_text(encoding="utf-8").splitlines()
        if EXPLAINING.match(line) and "tested" not in line
    ]
    assert found == []

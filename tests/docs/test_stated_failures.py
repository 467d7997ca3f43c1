"""What a page says a failure prints is what the failure prints.

A page that sends the reader to a troubleshooting section for a failure quotes that failure's
message; the quote must be in the stored output the troubleshooting section shows (produced by
a real client against the stand-in, see tests/examples/test_circleci_troubleshooting.py), so the
two pages cannot drift apart. Issue 11, defect 2: the rotation page said a deleted key fails
"with the same permission-denied message", while the section it linked shows `authentication
failed`.
"""

from __future__ import annotations

import re

import pytest
from docpages import DOCS, EXAMPLES

# (page, troubleshooting anchor it links, stored outputs that section shows)
STATED = [
    (
        "how-to/rotate-key.md",
        "deleted-key",
        ["circleci/errors/deleted-key.registry.txt", "circleci/errors/deleted-key.podman.txt"],
    ),
]


def paragraph_linking(page: str, anchor: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    for paragraph in re.split(r"\n\s*\n", text):
        if f"troubleshoot-circleci.md#{anchor}" in paragraph:
            return paragraph
    raise AssertionError(f"{page} does not link troubleshoot-circleci.md#{anchor}")


@pytest.mark.parametrize(("page", "anchor", "outputs"), STATED, ids=[s[0] for s in STATED])
def test_the_stated_message_is_the_one_the_failure_prints(page, anchor, outputs):
    paragraph = paragraph_linking(page, anchor)
    shown = "\n".join((EXAMPLES / o).read_text(encoding="utf-8") for o in outputs)
    quoted = [q for q in re.findall(r"`([^`]+)`", paragraph) if not q.endswith((".md", ".json"))]
    assert quoted, f"{page}: the paragraph linking #{anchor} quotes no message"
    assert [q for q in quoted if q not in shown] == [], f"{page}: quotes a message #{anchor} does not show"
    assert "permission" not in paragraph.lower() or "permission" in shown.lower(), (
        f"{page}: calls the #{anchor} failure a permission denial; the stored output is not one"
    )

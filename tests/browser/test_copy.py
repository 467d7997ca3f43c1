"""Copying: each code block's copy button puts exactly its example on the clipboard.

The expected text comes from the example file itself (the section the page includes, as
pymdownx.snippets cuts it), not from the page; blocks that are not shown are copied after
opening their collapsed admonition or choosing their tab. Copied lines carry no trailing whitespace (issue 11, defect 9: an
annotated line left two spaces, which YAML linters flag).
"""

from __future__ import annotations

import pytest
from served import copy_text, page_fences, pages, url_of

BLOCKS = "article.md-content__inner div.highlight"


def show(block):
    """Bring a block that is not shown into view, as a reader would: open the collapsed
    admonition (`??? example`) that holds it, or choose its tab."""
    if block.is_visible():
        return
    closed = block.locator("xpath=ancestor::details[not(@open)]")
    for i in reversed(range(closed.count())):  # outermost first
        closed.nth(i).locator(":scope > summary").click()
    if block.is_visible():
        return
    tab = block.locator("xpath=ancestor::div[contains(@class,'tabbed-block')][1]")
    index = tab.evaluate("t => [...t.parentNode.children].indexOf(t)")
    tab.locator("xpath=../..").locator(":scope > .tabbed-labels > label").nth(index).click()


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().split("\n")]


@pytest.mark.parametrize("md", pages(), ids=lambda p: url_of(p) or "home")
def test_every_copy_button_copies_its_example_exactly(visit, md):
    fences = page_fences(md)
    page = visit(url_of(md))
    blocks = page.locator(BLOCKS)
    assert blocks.count() == len(fences), f"{md.name}: {blocks.count()} code blocks for {len(fences)} fences"
    wrong = []
    for i, fence in enumerate(fences):
        button = blocks.nth(i).locator('button.md-code__button[data-md-type="copy"]')
        assert button.count() == 1, f"{fence}: no copy button"
        page.evaluate("navigator.clipboard.writeText('')")
        show(blocks.nth(i))
        button.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        trailing = [n for n, line in enumerate(copied.split("\n"), 1) if line != line.rstrip()]
        if trailing:
            wrong.append(f"{fence}: trailing whitespace on copied line(s) {trailing}")
        expected = copy_text(fence).expandtabs(4)  # Python-Markdown expands tabs (tab_length 4)
        if _lines(copied) != _lines(expected):
            wrong.append(f"{fence}: copied {copied!r}, expected {expected!r}")
    assert wrong == []

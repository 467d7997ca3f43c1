"""Copying: each code block's copy button puts exactly its example on the clipboard.

The expected text comes from the example file itself (the section the page includes, as
pymdownx.snippets cuts it), not from the page; blocks in tabs that are not shown are copied too.
"""

from __future__ import annotations

import pytest
from served import copy_text, page_fences, pages, url_of

BLOCKS = "article.md-content__inner div.highlight"


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
        if button.is_visible():
            button.click()
        else:  # in a tab that is not shown: the reader would switch tabs first
            button.dispatch_event("click")
        copied = page.evaluate("navigator.clipboard.readText()")
        if _lines(copied) != _lines(copy_text(fence)):
            wrong.append(f"{fence}: copied {copied!r}, expected {copy_text(fence)!r}")
    assert wrong == []

"""Program output on a phone and on a desktop: every output block (stored client messages, the
`garauth` reports) shows each line whole, so the reason at the end of an error is on screen
without scrolling sideways, and the copy button does not cover the text."""

from __future__ import annotations

import pytest
from served import is_output, page_fences, pages, url_of

BLOCKS = "article.md-content__inner div.highlight"
WIDTHS = (1280, 390)


def output_pages():
    return [md for md in pages() if any(is_output(f) for f in page_fences(md))]


def test_the_guide_has_output_blocks():
    assert any(md.name == "troubleshoot-circleci.md" for md in output_pages())


def hidden_lines(page, block) -> dict:
    """How far the block's text runs past its box, and whether the buttons cover its first line."""
    return block.evaluate(
        """b => {
            const code = b.querySelector('pre > code');
            const nav = b.querySelector('.md-code__nav');
            const r = document.createRange();
            r.selectNodeContents(code);
            const first = [...r.getClientRects()].find(x => x.width > 0);
            const n = nav ? nav.getBoundingClientRect() : null;
            const covered = !!(first && n && n.width > 0 && n.left < first.right && n.right > first.left
                               && n.top < first.bottom && n.bottom > first.top);
            return {overflow: code.scrollWidth - code.clientWidth, covered};
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("md", output_pages(), ids=lambda p: url_of(p))
def test_output_lines_are_visible_without_scrolling(visit, md, width):
    page = visit(url_of(md), width=width)
    blocks = page.locator(BLOCKS)
    wrong = []
    for i, fence in enumerate(page_fences(md)):
        if not is_output(fence):
            continue
        block = blocks.nth(i)
        tab = block.locator("xpath=ancestor::div[contains(@class,'tabbed-block')][1]")
        if tab.count() and not block.is_visible():  # show its tab, as a reader would
            index = tab.evaluate("t => [...t.parentNode.children].indexOf(t)")
            tab.locator("xpath=../..").locator(":scope > .tabbed-labels > label").nth(index).click()
        found = hidden_lines(page, block)
        if found["overflow"] > 0:
            wrong.append(f"{fence}: {found['overflow']} px of text past the right edge at {width} px")
        if found["covered"]:
            wrong.append(f"{fence}: the code buttons cover the first line at {width} px")
    assert wrong == []

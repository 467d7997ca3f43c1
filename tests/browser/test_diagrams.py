"""Diagrams read on a phone and on a desktop (issue 11, defect 7): no two pieces of text in an
SVG overlap, none runs outside the drawing, and the smallest text is at least 11 CSS px as
rendered in the page at 390 px (it was about 6 px) and at 1280 px."""

from __future__ import annotations

import pytest
from served import DOCS, url_of

MIN_PX = 11
DIAGRAMS = sorted(DOCS.rglob("*.svg"))


def pages_showing(svg):
    return [md for md in DOCS.rglob("*.md") if f"]({svg.name})" in md.read_text(encoding="utf-8")]


def test_there_are_diagrams():
    assert DIAGRAMS and all(pages_showing(svg) for svg in DIAGRAMS)


def text_boxes(page) -> dict:
    """Each <text>'s box in the drawing's own units, its font size, and the drawing's viewBox."""
    return page.evaluate(
        """() => {
            const svg = document.querySelector('svg');
            const vb = svg.viewBox.baseVal;
            const texts = [...svg.querySelectorAll('text')].map(t => {
                const b = t.getBBox();
                return {text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height,
                        size: parseFloat(getComputedStyle(t).fontSize)};
            });
            return {width: vb.width, height: vb.height, texts};
        }"""
    )


@pytest.mark.parametrize("svg", DIAGRAMS, ids=lambda p: p.name)
def test_no_text_overlaps_or_leaves_the_drawing(visit, svg):
    page = visit(url_of(svg.parent / "x.md").removesuffix("x/") + svg.name)
    found = text_boxes(page)
    texts = found["texts"]
    outside = [
        t["text"]
        for t in texts
        if t["x"] < 0 or t["y"] < 0 or t["x"] + t["w"] > found["width"] or t["y"] + t["h"] > found["height"]
    ]
    assert outside == []
    overlaps = [
        (a["text"], b["text"])
        for i, a in enumerate(texts)
        for b in texts[i + 1 :]
        if a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    ]
    assert overlaps == []


@pytest.mark.parametrize("width", (390, 1280))
@pytest.mark.parametrize("svg", DIAGRAMS, ids=lambda p: p.name)
def test_the_smallest_text_is_readable_in_the_page(visit, svg, width):
    drawing = text_boxes(visit(url_of(svg.parent / "x.md").removesuffix("x/") + svg.name))
    smallest = min(t["size"] for t in drawing["texts"])
    for md in pages_showing(svg):
        page = visit(url_of(md), width=width)
        img = page.locator(f'article img[src$="{svg.name}"]')
        shown = img.evaluate("i => i.getBoundingClientRect().width")
        px = smallest * shown / drawing["width"]
        assert px >= MIN_PX, f"{md.name} at {width} px: the smallest text is {px:.1f} CSS px"

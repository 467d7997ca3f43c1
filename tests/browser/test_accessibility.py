"""Accessibility: axe-core (bundled in axe-playwright-python) on every page at desktop width, and
on a sample at phone width. The theme's own violations are listed, with reasons, in axe-allowed.toml; anything else
serious or critical, and anything at all inside the page's own content, fails."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from served import pages, url_of

ALLOWED = tomllib.loads((Path(__file__).parent / "axe-allowed.toml").read_text())["allow"]
SEEN: set[str] = set()  # allowed rules the page tests met, for test_every_allowance_is_the_theme_s


def allowed(rule: str, target: str) -> bool:
    return any(a["rule"] == rule and re.search(a["target"], target) for a in ALLOWED)


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # Colours are judged as they end, not mid-transition (a navigation label fading in once read
    # as #040404 on #212121).
    page.add_style_tag(
        content="*, *::before, *::after { transition: none !important; animation: none !important; }"
    )
    page.wait_for_timeout(50)
    found = []
    for v in Axe().run(page).response["violations"]:
        for node in v["nodes"]:
            target = " ".join(t if isinstance(t, str) else " ".join(t) for t in node["target"])
            if allowed(v["id"], target):
                SEEN.add(v["id"])
                continue
            inside = page.locator(target).first.evaluate("e => !!e.closest('article')")
            if inside or (node.get("impact") or v["impact"]) in ("serious", "critical"):
                summary = node.get("failureSummary", "").replace("\n", " ")[:200]
                found.append(f"{v['id']} ({node.get('impact') or v['impact']}) {target}: {summary}")
    return found


# Every page at desktop width; at phone width (the theme's drawer layout; the content's colours,
# names and structure do not change with width) the pages with the most kinds of content: home,
# tabs and annotations, the troubleshooting outputs, wide tables, the generator's form.
PHONE = ("index.md", "circleci-json-key.md", "troubleshoot-circleci.md", "hosts.md", "snippet-generator.md")
CASES = [(md, 1280) for md in pages()] + [(md, 390) for md in pages() if md.name in PHONE]


@pytest.mark.parametrize(
    ("md", "width"), CASES, ids=lambda v: v if isinstance(v, int) else url_of(v) or "home"
)
def test_no_violation_from_the_guide(visit, md, width):
    page = visit(url_of(md), width=width, wait="networkidle")
    assert violations(page) == []


def test_every_allowance_is_still_needed(visit):
    """Each allowance matches a violation some page still has: one nothing needs is removed.
    Uses what the page tests above met; run alone, it checks the pages itself."""
    if not SEEN:
        for md in pages():
            violations(visit(url_of(md), width=390, wait="networkidle"))
    assert {a["rule"] for a in ALLOWED} - SEEN == set()


def _luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_annotation_markers_stand_out_from_the_code(visit):
    """WCAG 1.4.11 (non-text contrast, 3:1), which axe does not check: the circled marker that
    opens an annotation, against the code block behind it (it was 2.06:1)."""
    page = visit("how-to/circleci-json-key/")
    page.locator(".md-annotation__index").first.wait_for()
    colours = page.locator(".md-annotation__index").first.evaluate(
        """m => {
            const rgba = s => s.match(/[\\d.]+/g).map(Number);
            const fg = rgba(getComputedStyle(m, '::after').backgroundColor);
            const bg = rgba(getComputedStyle(m.closest('code')).backgroundColor);
            const a = fg.length > 3 ? fg[3] : 1;
            return {mark: fg.slice(0, 3).map((c, i) => c * a + bg[i] * (1 - a)), code: bg.slice(0, 3)};
        }"""
    )
    assert _contrast(colours["mark"], colours["code"]) >= 3, colours

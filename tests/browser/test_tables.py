"""Tables on a phone and a desktop (issue 11, defect 8): at 390 and 1280 px every column is on
screen (none hidden past the right edge of a scroll box), and a host name or other code in a
cell is never broken inside a word (`europe-west1-docker.pk` / `g.dev`); it may break after a
hyphen, dot or slash."""

from __future__ import annotations

import pytest
from served import pages, url_of

SCREENS = [{"width": 390, "height": 800}, {"width": 1280, "height": 800}]


def table_pages():
    return [
        md
        for md in pages()
        if "| ---" in md.read_text(encoding="utf-8")
        or "garauth:hosts-table" in md.read_text(encoding="utf-8")
    ]


def problems(page) -> list[str]:
    # Material's script wraps each table in a scroll box after load: measure once it has.
    page.wait_for_function(
        "() => [...document.querySelectorAll('article table')].every(t => t.closest('.md-typeset__scrollwrap'))"
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page.locator("article table").evaluate_all(
        """tables => tables.flatMap((t, n) => {
            const found = [];
            const box = t.closest('.md-typeset__scrollwrap') || t.parentElement;
            const view = document.documentElement.clientWidth;
            const right = Math.max(...[...t.querySelectorAll('td, tbody th')].map(c => c.getBoundingClientRect().right));
            if (right > view + 1 || box.scrollWidth > box.clientWidth + 1)
                found.push(`table ${n + 1}: cells reach ${Math.round(right)} px on a ${view} px screen`);
            for (const code of t.querySelectorAll('td code, th code')) {
                // Where does each line start? A break is fine after '-', '.', '/' or a space.
                const text = code.textContent;
                const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
                let top = null, before = '';
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (let i = 0; i < node.length; i++) {
                        const r = document.createRange();
                        r.setStart(node, i); r.setEnd(node, i + 1);
                        const rect = [...r.getClientRects()][0];
                        if (!rect) continue;
                        if (top !== null && rect.top > top + 2 && !/[-./\\s_:]/.test(before))
                            found.push(`table ${n + 1}: ${text} is broken inside a word, after '${before}'`);
                        top = rect.top;
                        before = node.data[i];
                    }
                }
            }
            return found;
        })"""
    )


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}px")
@pytest.mark.parametrize("md", table_pages(), ids=lambda p: url_of(p) or "home")
def test_tables_fit_the_screen_without_breaking_code(visit, md, screen):
    page = visit(url_of(md), **screen)
    assert problems(page) == []

"""Search as a reader uses it: open the search box, type (or paste) a string, read the results."""

from __future__ import annotations

from urllib.parse import urlsplit


def results(page, query: str, server: str) -> list[str]:
    """The pages Material's search lists for a query, best first, as site paths ('how-to/x/')."""
    box = page.locator("input.md-search__input")
    toggle = page.locator('label.md-header__button[for="__search"]').first
    (toggle if toggle.is_visible() else box).click()  # a phone shows an icon, a desktop the box
    box.fill("")
    page.keyboard.insert_text(query)  # as a paste: one input event with the whole string
    page.keyboard.press("End")
    meta = page.locator(".md-search-result__meta")
    meta.filter(has_not_text="Type to start searching").wait_for()
    page.wait_for_function(
        "q => document.querySelector('.md-search-result__meta').textContent.includes('matching')"
        " || document.querySelector('.md-search-result__meta').textContent.includes('No matching')",
        arg=query,
    )
    links = page.locator(".md-search-result__item > a.md-search-result__link")
    base = urlsplit(server).path
    out = []
    for href in links.evaluate_all("els => els.map(e => e.href)"):
        path = urlsplit(href).path
        out.append(path[len(base) :] if path.startswith(base) else path)
    return out

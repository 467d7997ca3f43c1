"""MkDocs hook: keep contributor pages out of the reader's search.

Readers paste error texts and hosts into the search box; the page that answers them is a how-to
or the troubleshooting page, never the stand-in's fidelity table, which quotes the same texts
row by row. Contributor pages stay in the navigation, under their own section.

Material's search plugin reads `search: {exclude: true}` from a page's front matter (Zensical
reads the same key); this sets it for every page under contributing/ without editing them.
"""

from __future__ import annotations

CONTRIBUTOR_FOLDER = "contributing/"


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.startswith(CONTRIBUTOR_FOLDER):
        page.meta.setdefault("search", {})["exclude"] = True
    return markdown

"""MkDocs hook: keep contributor pages, and the one-page-per-rule pages, out of the reader's search.

Readers paste error texts and hosts into the search box; the page that answers them is a how-to
or the troubleshooting page, never the stand-in's fidelity table, which quotes the same texts
row by row. Contributor pages stay in the navigation, under their own section.

The rule pages (reference/rules/GA*.md, generated) repeat the guide's examples; the rules index,
which stays in the search, lists every rule's ID, name and message, and `garauth check` links
each finding to its rule's page directly. Keeping them out keeps the index (which every page
loads) within the page-weight budget (tests/browser/test_weight.py).

Material's search plugin reads `search: {exclude: true}` from a page's front matter (Zensical
reads the same key); this sets it for those pages without editing them.
"""

from __future__ import annotations

import re

CONTRIBUTOR_FOLDER = "contributing/"
RULE_PAGE = re.compile(r"^reference/rules/GA\d+\.md$")


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    if uri.startswith(CONTRIBUTOR_FOLDER) or RULE_PAGE.match(uri):
        page.meta.setdefault("search", {})["exclude"] = True
    return markdown

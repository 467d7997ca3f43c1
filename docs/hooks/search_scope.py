"""MkDocs hook: keep contributor pages, and the one-page-per-rule pages, out of the reader's search.

Readers paste error texts and hosts into the search box; the page that answers them is a how-to
or the troubleshooting page, never the stand-in's fidelity table, which quotes the same texts
row by row. Contributor pages stay in the navigation, under their own section.

The rule pages (reference/rules/GA*.md, generated) repeat the guide's examples; the rules index,
which stays in the search, lists every rule's ID, name and message, and `garauth check` links
each finding to its rule's page directly. Keeping them out keeps the index (which every page
loads) within the page-weight budget (tests/browser/test_weight.py).

After the build, the index's text loses its HTML tags (the search matches words; result
previews show plain text), a tenth of the index that every page downloads.

Material's search plugin reads `search: {exclude: true}` from a page's front matter (Zensical
reads the same key); this sets it for those pages without editing them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CONTRIBUTOR_FOLDER = "contributing/"
RULE_PAGE = re.compile(r"^reference/rules/GA\d+\.md$")


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    if uri.startswith(CONTRIBUTOR_FOLDER) or RULE_PAGE.match(uri):
        page.meta.setdefault("search", {})["exclude"] = True
    return markdown


_TAG = re.compile(r"<[^>]+>")


def on_post_build(config):
    index = Path(config["site_dir"]) / "search" / "search_index.json"
    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for doc in data["docs"]:
        doc["text"] = " ".join(_TAG.sub(" ", doc["text"]).split())
    index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

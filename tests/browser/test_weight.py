"""Page weight: no page of the guide costs a reader much more than a stock Material page.

The stock page is built in the same run, the same way (MkDocs and Material at the pinned
versions, the guide's theme settings and search plugin, `mkdocs build --strict`), from a one-page
project. A page's weight is every byte the browser fetches to show it, until the network is
idle (HTML, CSS, scripts, images, and the search index the search worker loads), counted as
sent over the wire: the test server compresses text as GitHub Pages does.
"""

from __future__ import annotations

import re
import textwrap

import pytest
import served
from served import pages, url_of

BUDGET = 1.5  # the largest reader page may weigh at most this many times the stock page
# Contributor pages (the stand-in's fidelity tables) are weighed and printed, not held to the
# budget: they are not what a reader opens on a phone.
CONTRIBUTOR = "contributing/"


def weigh(browser, url: str, server: str) -> int:
    """Bytes of every response body the page's load fetched, as sent (gzip-compressed where the
    server compresses, as GitHub Pages does)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    ctx.route("**/*", lambda r: r.continue_() if served.is_local(r.request.url, server) else r.abort())
    started, done = [], []
    ctx.on("request", lambda r: started.append(r))
    ctx.on("requestfinished", lambda r: done.append(r))
    ctx.on("requestfailed", lambda r: done.append(r))
    page = ctx.new_page()
    page.goto(url, wait_until="networkidle")
    for _ in range(50):  # the search worker's requests may still be reporting
        if len(done) >= len(started):
            break
        page.wait_for_timeout(100)
    total = sum(r.sizes()["responseBodySize"] for r in done if r.response() is not None)
    ctx.close()
    return total


def stock_project(tmp_path):
    """A one-page Material project with the guide's theme block and search plugin."""
    config = (served.ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    theme = re.search(r"^theme:\n(?:[ #].*\n|\n)+", config, re.MULTILINE)[0]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# A stock page\n\nOne paragraph of text.\n")
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            """\
            site_name: stock
            site_url: https://example.invalid/stock/
            plugins:
              - search
            """
        )
        + theme
    )
    return tmp_path


@pytest.fixture(scope="module")
def stock_weight(browser, tmp_path_factory):
    project = stock_project(tmp_path_factory.mktemp("stock"))
    site = served.build(project, project / "site")
    with served.serve(site, "/stock/") as url:
        return weigh(browser, url, url)


def test_largest_page_is_within_budget_of_a_stock_material_page(
    browser, server, stock_weight, record_property
):
    weights = {url_of(md) or "home": weigh(browser, server + url_of(md), server) for md in pages()}
    readers = {name: size for name, size in weights.items() if not name.startswith(CONTRIBUTOR)}
    largest = max(readers, key=readers.get)
    ratio = readers[largest] / stock_weight
    record_property("weights", weights)
    print(f"\nstock Material page: {stock_weight} bytes")
    for name, size in sorted(weights.items(), key=lambda kv: -kv[1]):
        print(f"{size:>9} bytes  {size / stock_weight:.2f}x  {name}")
    assert ratio <= BUDGET, (
        f"{largest} weighs {readers[largest]} bytes, {ratio:.2f}x the stock page ({stock_weight})"
    )

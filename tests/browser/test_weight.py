"""Page weight: no page of the guide costs a reader much more than a stock Material page.

The stock page is built in the same run, the same way (MkDocs and Material at the pinned
versions, the guide's theme settings and search plugin, `mkdocs build --strict`), from a one-page
project. A page's weight is every byte the browser fetches to show it, until the network is
idle (HTML, CSS, scripts, images, and the search index the search worker loads), counted as
sent over the wire: the test server compresses text as GitHub Pages does.

Two budgets, because the two costs grow differently:
- a page without the search index (its HTML and the theme's assets) is at most 1.5x the stock
  page without its index: what a reader pays for each page;
- the search index, one file that every page of a visit shares (fetched by the first, then
  cached), is at most 1.0x the whole stock page. It grows with the guide: six platforms' pages
  made it 53 KB compressed, and issue 11's single budget (1.5x the whole stock page, set when the
  guide had 17 pages of CircleCI) would now hold only by taking error texts out of search.
"""

from __future__ import annotations

import re
import textwrap

import pytest
import served
from served import pages, url_of

BUDGET = 1.5  # the largest reader page, without the search index, against the stock page without its own
INDEX_BUDGET = 1.0  # the search index against the whole stock page
INDEX = "search/search_index.json"
# Contributor pages (the stand-in's fidelity tables) are weighed and printed, not held to the
# budget: they are not what a reader opens on a phone.
CONTRIBUTOR = "contributing/"


def weigh(browser, url: str, server: str) -> dict[str, int]:
    """Bytes of each response body the page's load fetched, by URL, as sent (gzip-compressed
    where the server compresses, as GitHub Pages does)."""
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
    sizes: dict[str, int] = {}
    for r in done:
        if r.response() is not None:
            sizes[r.url] = sizes.get(r.url, 0) + r.sizes()["responseBodySize"]
    ctx.close()
    return sizes


def without_index(sizes: dict[str, int]) -> int:
    return sum(size for url, size in sizes.items() if not url.endswith(INDEX))


def index_of(sizes: dict[str, int]) -> int:
    found = [size for url, size in sizes.items() if url.endswith(INDEX)]
    assert found, "the page did not load the search index"
    return found[0]


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


def test_largest_page_is_within_budget_of_a_stock_material_page(browser, server, stock_weight):
    loads = {url_of(md) or "home": weigh(browser, server + url_of(md), server) for md in pages()}
    weights = {name: without_index(sizes) for name, sizes in loads.items()}
    readers = {name: size for name, size in weights.items() if not name.startswith(CONTRIBUTOR)}
    largest = max(readers, key=readers.get)
    stock = without_index(stock_weight)
    ratio = readers[largest] / stock
    index = index_of(loads["home"])
    print(f"\nstock Material page: {sum(stock_weight.values())} bytes, {stock} without its search index")
    print(f"search index: {index} bytes, {index / sum(stock_weight.values()):.2f}x the whole stock page")
    for name, size in sorted(weights.items(), key=lambda kv: -kv[1]):
        print(f"{size:>9} bytes  {size / stock:.2f}x  {name} (without the index)")
    assert ratio <= BUDGET, (
        f"{largest} weighs {readers[largest]} bytes without the index, {ratio:.2f}x the stock page ({stock})"
    )


def test_search_index_is_within_budget(browser, server, stock_weight):
    index = index_of(weigh(browser, server, server))
    ratio = index / sum(stock_weight.values())
    print(f"\nsearch index: {index} bytes, {ratio:.2f}x the whole stock page")
    assert ratio <= INDEX_BUDGET, (
        f"the search index weighs {index} bytes, {ratio:.2f}x the whole stock page; keep more of the "
        "guide out of search (docs/hooks/search_scope.py, output_blocks.py) or raise INDEX_BUDGET as a "
        "reviewed decision"
    )

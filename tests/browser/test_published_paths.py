"""The site where it is published: under a sub-path (GitHub Pages serves a project site at
https://OWNER.github.io/REPO/), with section URLs, a sitemap and a 404 page that work there
(issue 11, defect 5). The server in served.py answers like Pages: a missing path gets 404.html
with status 404."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
import served
from served import DOCS, url_of

from garauth import data

SECTIONS = ["tutorial/", "how-to/", "reference/", "explanation/"]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_site_url_is_set_and_names_the_sub_path():
    url = served.site_url()
    assert url == data.site_url(), "mkdocs.yml's site_url and src/garauth/data/project.toml differ"
    assert url.startswith("https://") and url.endswith("/")
    assert urlsplit(url).path != "/", "the site is published under a sub-path"


@pytest.mark.parametrize("section", SECTIONS)
def test_a_section_url_is_a_page_that_links_each_page_of_the_section(server, section):
    status, html = fetch(server + section)
    assert status == 200, f"{section} answers {status}"
    folder = DOCS / section.rstrip("/")
    wanted = [
        url_of(md)[len(section) :]
        for md in served.all_pages()
        if md.parent == folder and md.name != "index.md"
    ]
    linked = set(re.findall(r'href="([^"#]+)"', html.split('class="md-content"', 1)[1]))
    assert [w for w in wanted if w not in linked] == []


def test_sitemap_lists_every_page_under_site_url(site):
    listed = set(re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text()))
    wanted = {served.site_url() + url_of(md) for md in served.all_pages()}
    assert wanted - listed == set()


def test_the_404_page_works_under_the_sub_path(visit):
    failed = []
    page = visit("no/such/page/", wait="networkidle")
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.reload(wait_until="networkidle")
    assert page.title().startswith("garauth")
    header = page.locator(".md-header").evaluate("e => getComputedStyle(e).position")
    assert header == "sticky", "Material's stylesheet did not load on the 404 page"
    assert page.evaluate("typeof window.document$") != "undefined", "Material's script did not load"
    assert failed == []


@pytest.mark.parametrize("path", ["", "how-to/rotate-key/", "no/such/page/"])
def test_the_footer_link_reaches_its_page_under_the_sub_path(visit, path):
    page = visit(path)
    href = page.locator(".md-copyright a").first.evaluate("a => a.href")
    status, html = fetch(href)
    assert status == 200, f"the footer link on {path or 'home'} goes to {href} ({status})"
    assert "How this guide knows what it says" in html

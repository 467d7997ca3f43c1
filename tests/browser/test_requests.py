"""No page makes a request to any host but the one that serves it (fonts, scripts, the search
index and its worker included), and the check itself sees such requests."""

from __future__ import annotations

import pytest
from served import pages, url_of


@pytest.mark.parametrize("md", pages(), ids=lambda p: url_of(p) or "home")
def test_page_requests_only_its_own_host(visit, md):
    page = visit(url_of(md), wait="networkidle")
    assert page.elsewhere == []


def test_not_found_page_requests_only_its_own_host(visit):
    page = visit("no/such/page/", wait="networkidle")
    assert page.elsewhere == []


def test_the_check_sees_requests_from_the_page_and_from_a_worker(visit):
    page = visit("", wait="networkidle")
    page.evaluate("fetch('https://example.invalid/from-page').catch(() => 0)")
    page.evaluate(
        """() => new Promise(done => {
            const src = "fetch('https://example.invalid/from-worker').catch(() => 0).then(() => postMessage(1))";
            const w = new Worker(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})));
            w.onmessage = () => done();
        })"""
    )
    seen = list(page.elsewhere)
    page.elsewhere.clear()  # planted on purpose: not a failure of the site
    assert "https://example.invalid/from-page" in seen
    assert "https://example.invalid/from-worker" in seen

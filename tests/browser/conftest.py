"""Browser tests: the built site, served on 127.0.0.1 by the test itself, read in Debian's Chromium.

Playwright drives /usr/bin/chromium through `executable_path`; no browser is ever downloaded.
Chromium is started headless with its background services off (they would try the network),
and Playwright gives every launch a fresh temporary profile (--user-data-dir). Every request a
page makes is routed: the local server's are let through, any other is aborted and recorded,
and a test fails if a page made one.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))

import served  # noqa: E402

CHROMIUM = os.environ.get("GARAUTH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--no-default-browser-check",
]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    ARGS.append("--no-sandbox")  # Chromium refuses to start its sandbox as root


def _chromium_or_skip():
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return
    why = f"{CHROMIUM} is not installed (Debian package chromium; make test installs it as root)"
    if os.environ.get("GARAUTH_REQUIRE_SANDBOX") == "1":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once per session with `mkdocs build --strict` into a temporary folder."""
    return served.build(served.ROOT, tmp_path_factory.mktemp("browser-site"))


@pytest.fixture(scope="session")
def server(site):
    """The built site on http://127.0.0.1:PORT/garauth/ (the sub-path GitHub Pages serves it on)."""
    with served.serve(site, served.base_path()) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def visit(browser, server):
    """visit(path, width=1280, height=800, wait="load") -> a loaded Playwright page of the served site.

    Each call gets a fresh context (clipboard allowed). Requests to any host but the local
    server are aborted; the list of them is checked after the test.
    """
    contexts = []
    elsewhere: list[str] = []

    def _visit(path: str = "", width: int = 1280, height: int = 800, wait: str = "load"):
        ctx = browser.new_context(
            viewport={"width": width, "height": height},
            permissions=["clipboard-read", "clipboard-write"],
            service_workers="block",
        )
        contexts.append(ctx)

        def route(r):
            if served.is_local(r.request.url, server):
                r.continue_()
            else:
                elsewhere.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.elsewhere = elsewhere
        page.goto(server + path, wait_until=wait)
        return page

    _visit.elsewhere = elsewhere
    yield _visit
    for ctx in contexts:
        ctx.close()
    assert elsewhere == [], f"a page requested another host: {elsewhere}"

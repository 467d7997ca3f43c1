"""The site builds with --strict, requests nothing from other hosts, and fails on broken input."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docpages import ROOT

from garauth import data


def mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = mkdocs_build(ROOT, out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of what the site is built from, to break on purpose."""
    for name in ("docs", "examples"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


def test_strict_build_passes(site):
    assert (site / "index.html").is_file()
    assert (site / "reference" / "hosts" / "index.html").is_file()


class _Requests(HTMLParser):
    """Collects every URL a browser would fetch on its own while loading the page."""

    FETCHING = {
        "script": "src",
        "img": "src",
        "iframe": "src",
        "source": "src",
        "audio": "src",
        "video": "src",
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.FETCHING and a.get(self.FETCHING[tag]):
            self.urls.append(a[self.FETCHING[tag]])
        if tag == "link" and a.get("href") and a.get("rel") not in ("canonical", "alternate", "next", "prev"):
            self.urls.append(a["href"])
        if "style" in a:
            self.urls += re.findall(r"url\(['\"]?([^'\")]+)", a["style"] or "")


def _external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE))


def test_built_pages_request_nothing_from_other_hosts(site):
    offenders = []
    for page in site.rglob("*.html"):
        parser = _Requests()
        parser.feed(page.read_text(encoding="utf-8"))
        offenders += [f"{page.relative_to(site)}: {u}" for u in parser.urls if _external(u)]
    for css in site.rglob("*.css"):
        for url in re.findall(r"(?:url\(|@import\s+)['\"]?([^'\")\s]+)", css.read_text(encoding="utf-8")):
            if _external(url):
                offenders.append(f"{css.relative_to(site)}: {url}")
    assert offenders == []


def test_hosts_page_lists_every_host_from_the_data(site):
    # Line-break points (<wbr>, docs/hooks/tables.py) sit inside host names; a reader sees none.
    html = (site / "reference" / "hosts" / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    missing = [h for h in data.registry_hosts() if h not in html]
    assert missing == []
    assert "garauth:" not in html  # every table marker was replaced


def test_contributor_pages_stay_out_of_the_reader_s_search(site):
    import json

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert [d["location"] for d in index["docs"] if d["location"].startswith("contributing/")] == []
    assert (site / "contributing" / "fake-registry" / "index.html").is_file()


def test_missing_include_fails_the_build(project_copy, tmp_path):
    page = project_copy / "docs" / "index.md"
    page.write_text(page.read_text() + '\n```yaml\n--8<-- "circleci/no-such-file.yml"\n```\n')
    result = mkdocs_build(project_copy, tmp_path / "out")
    assert result.returncode != 0
    assert "no-such-file.yml" in result.stderr


def test_missing_section_fails_the_build(project_copy, tmp_path):
    page = project_copy / "docs" / "index.md"
    page.write_text(page.read_text() + '\n```yaml\n--8<-- "circleci/json-key-raw.yml:no-such-section"\n```\n')
    result = mkdocs_build(project_copy, tmp_path / "out")
    assert result.returncode != 0
    assert "no-such-section" in result.stderr


def test_broken_link_and_anchor_fail_the_build(project_copy, tmp_path):
    page = project_copy / "docs" / "index.md"
    page.write_text(
        page.read_text() + "\n[gone](reference/gone.md) [no anchor](reference/hosts.md#no-such-anchor)\n"
    )
    result = mkdocs_build(project_copy, tmp_path / "out")
    assert result.returncode != 0
    assert "reference/gone.md" in result.stderr
    assert "no-such-anchor" in result.stderr

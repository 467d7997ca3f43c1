"""The guide's sources: every link on a built page to a vendor's documentation or to GitHub is
well formed and points at a page a reader reads, never at a raw source file; every page's footer
links the page that explains how the guide knows what it says.

Links are read from the built site (what a reader clicks), not fetched: the test suite makes no
request to other hosts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from docpages import ROOT

KNOWS_PAGE = "explanation/how-this-guide-knows/"

# Hosts whose links this check judges. Anything ending in githubusercontent.com serves raw files.
GOOGLE = {"cloud.google.com", "docs.cloud.google.com"}
CHECKED = GOOGLE | {"circleci.com", "docs.docker.com", "github.com"}
RAW_HOSTS = re.compile(r"(^|\.)githubusercontent\.com$")

# Repositories whose documentation is published elsewhere: link the published page instead.
PUBLISHED = {
    "circleci/circleci-docs": "https://circleci.com/docs/",
    "docker/docs": "https://docs.docker.com/",
}
# Query parameters that make a locale- or user-specific copy of a Google page.
COPY_PARAMS = {"hl", "authuser", "_gl"}
SOURCE_SUFFIXES = (".md", ".md.txt", ".adoc", ".rst")

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_GITHUB_PAGE = re.compile(
    rf"^/(?P<repo>{_NAME}/{_NAME})"
    r"(?:/?$"
    r"|/(?:issues|pull|discussions)/\d+/?$"
    r"|/commit/[0-9a-f]{7,40}/?$"
    r"|/(?:blob|tree)/(?P<path>[^/]+(?:/[^/]+)*)/?$"
    r"|/releases(?:/tag/[^/]+)?/?$)"
)


def problems(url: str) -> list[str]:
    """What is wrong with a link, by the guide's sources rule; [] if nothing (or not judged)."""
    if re.search(r"\s|[<>\"'`]", url):
        return ["has a space or a quote in it"]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if RAW_HOSTS.search(host):
        return ["is a raw file: link the page on github.com or the published documentation"]
    if host not in CHECKED:
        return []
    found = []
    if parts.scheme != "https":
        found.append("is not https")
    if parts.netloc.lower() != host:
        found.append("has a user, a port or an upper-case host")
    if url.endswith(("#", "?")) or re.search(r"[.,;:)\]]$", url):
        found.append("ends in punctuation that belongs to the sentence")
    path = parts.path
    if "//" in path:
        found.append("has an empty path segment")
    if host in GOOGLE:
        copies = sorted({k for k, _ in parse_qsl(parts.query)} & COPY_PARAMS)
        if copies:
            found.append(f"is a locale- or user-specific copy ({', '.join(copies)}=): link the page itself")
        if path.endswith(SOURCE_SUFFIXES):
            found.append("is the page's source text, not the page")
    elif host == "circleci.com":
        if not path.startswith("/docs/"):
            return found  # the docs rule covers circleci.com/docs only
        if path.endswith(SOURCE_SUFFIXES):
            found.append("is the page's source text, not the page")
        if path.startswith("/docs/2.0/"):
            found.append("uses the retired /docs/2.0/ path: link the current page")
    elif host == "docs.docker.com":
        if path.endswith(SOURCE_SUFFIXES):
            found.append("is the page's source text, not the page")
    elif host == "github.com":
        found += _github_problems(parts)
    return found


def _github_problems(parts) -> list[str]:
    if dict(parse_qsl(parts.query)).get("raw") == "true" or re.match(rf"^/{_NAME}/{_NAME}/raw/", parts.path):
        return ["is a raw file: link the page on github.com"]
    m = _GITHUB_PAGE.match(parts.path)
    if not m:
        return ["is not a GitHub repository, issue, pull request, commit, release or file page"]
    repo = m["repo"].lower()
    if repo in PUBLISHED and m["path"] is not None:
        return [f"is the source of a published page: link it under {PUBLISHED[repo]}"]
    return []


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.footer_hrefs: list[str] = []
        self._in_copyright = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._in_copyright:
            self._in_copyright += tag not in ("br", "img", "input", "meta", "link", "hr")
        elif "md-copyright" in (a.get("class") or "").split():
            self._in_copyright = 1
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
            if self._in_copyright:
                self.footer_hrefs.append(a["href"])

    def handle_endtag(self, tag):
        if self._in_copyright:
            self._in_copyright -= 1


def read_links(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def bad_links(site: Path) -> list[str]:
    out = []
    for page in sorted(site.rglob("*.html")):
        for href in read_links(page).hrefs:
            out += [f"{page.relative_to(site)}: {href} {why}" for why in problems(href)]
    return out


def build(project: Path, out: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build(ROOT, tmp_path_factory.mktemp("site"))


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("index.html") if "search" not in p.parts)


def test_every_vendor_and_github_link_is_a_well_formed_page_link(site):
    assert bad_links(site) == []


def test_the_check_sees_the_guide_s_links(site):
    """The rule above is not vacuous: the built pages do link each kind of source it judges."""
    hosts = {urlsplit(h).hostname for p in pages(site) for h in read_links(p).hrefs}
    assert CHECKED - {"docs.cloud.google.com"} <= hosts


def test_a_planted_raw_link_fails_the_check(tmp_path):
    """The whole path (page, build, HTML, rule) reports a bad link someone adds to a page."""
    for name in ("docs", "examples"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "how-to" / "rotate-key.md"
    planted = "https://raw.githubusercontent.com/circleci/circleci-docs/main/docs/env-vars.adoc"
    page.write_text(page.read_text() + f"\n[planted]({planted})\n")
    found = bad_links(build(tmp_path, tmp_path / "out"))
    assert found == [f"how-to/rotate-key/index.html: {planted} {problems(planted)[0]}"]


@pytest.mark.parametrize(
    "url",
    [
        "https://raw.githubusercontent.com/docker/cli/master/docs/reference/commandline/login.md",
        "https://github.com/docker/login-action/raw/master/README.md",
        "https://github.com/docker/login-action/blob/master/README.md?raw=true",
        "https://github.com/circleci/circleci-docs/blob/main/docs/guides/modules/security/pages/env-vars.adoc",
        "https://github.com/docker/docs/blob/main/content/reference/cli/docker/login.md",
        "https://github.com/google-github-actions/auth/issues/fifty",
        "https://github.com/google-github-actions",
        "https://docs.cloud.google.com/iam/docs/key-rotation.md.txt",
        "https://cloud.google.com/artifact-registry/docs/docker/authentication?hl=ja",
        "https://cloud.google.com/iam/docs/keys-create-delete?authuser=1",
        "http://cloud.google.com/artifact-registry/docs/docker/names",
        "https://circleci.com/docs/2.0/private-images/",
        "https://circleci.com/docs/env-vars.adoc",
        "https://docs.docker.com/reference/cli/docker/login.md",
        "https://cloud.google.com/iam/docs/key-rotation).",
        "https://github.com//docker/login-action",
    ],
)
def test_rule_rejects(url):
    assert problems(url), f"{url} passed the sources check"


@pytest.mark.parametrize(
    "url",
    [
        "https://cloud.google.com/artifact-registry/docs/docker/authentication#json-key",
        "https://circleci.com/docs/guides/permissions-authentication/pull-an-image-from-gcp-gar-with-oidc/",
        "https://circleci.com/docs/configuration-reference/#docker",
        "https://docs.docker.com/reference/cli/docker/login/",
        "https://github.com/circleci/circleci-docs/issues/2193",
        "https://github.com/circleci/circleci-docs/pull/2195",
        "https://github.com/docker/login-action#google-artifact-registry-gar",
        "https://github.com/GoogleCloudPlatform/docker-credential-gcr/blob/master/config/const.go",
        "https://github.com/opencontainers/distribution-spec/blob/main/spec.md",
        "https://example.com/anything.md",
    ],
)
def test_rule_accepts(url):
    assert problems(url) == []


def test_every_page_footer_links_how_the_guide_knows(site):
    """The footer link, resolved from each page's own URL (it is relative: the site is served
    under a sub-path), reaches the page."""
    target = site / KNOWS_PAGE / "index.html"
    assert target.is_file(), f"{KNOWS_PAGE} was not built"
    missing = []
    for page in pages(site):
        here = "/" + str(page.parent.relative_to(site)).strip(".") + "/"
        resolved = [urljoin(here.replace("//", "/"), h) for h in read_links(page).footer_hrefs]
        if f"/{KNOWS_PAGE}" not in resolved:
            missing.append(f"{page.relative_to(site)}: {read_links(page).footer_hrefs}")
    assert missing == []


def test_how_the_guide_knows_is_in_the_navigation(site):
    home = read_links(site / "index.html").hrefs
    assert any(h.rstrip("/").endswith(KNOWS_PAGE.rstrip("/")) for h in home)

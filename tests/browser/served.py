"""The built site as a reader gets it: built once, served on 127.0.0.1 under the site's sub-path.

The server behaves like GitHub Pages for what the tests need: `DIR/` serves `DIR/index.html`,
`DIR` without the slash redirects to `DIR/`, a missing path gets the site's `404.html` with
status 404, and text (HTML, CSS, scripts, JSON, SVG) is sent gzip-compressed to a client that
accepts it. It binds port 0 on 127.0.0.1 and stops when the `with` block ends.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from docpages import DOCS, EXAMPLES, ROOT, Fence, fences, split_target

__all__ = [
    "DOCS",
    "ROOT",
    "build",
    "serve",
    "base_path",
    "is_local",
    "pages",
    "url_of",
    "copy_text",
    "is_output",
]


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


def site_url(project: Path = ROOT) -> str | None:
    m = re.search(r"^site_url:\s*[\"']?([^\"'\s#]+)", (project / "mkdocs.yml").read_text(), re.MULTILINE)
    return m[1] if m else None


def base_path(project: Path = ROOT) -> str:
    """The path the site is published under ('/garauth/' on GitHub Pages)."""
    url = site_url(project)
    return urlsplit(url).path if url else "/garauth/"


_COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".xml", ".map"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(self.prefix):
            return self._not_found()
        rel = path[len(self.prefix) :]
        target = Path(self.directory, rel)
        if target.is_dir() and not path.endswith("/"):
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or ".." in Path(rel).parts:
            return self._not_found()
        self.path = "/" + str(target.relative_to(self.directory))
        if target.suffix in _COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", ""):
            return self._gzip(target)
        return super().send_head()

    def _gzip(self, target: Path):
        body = gzip.compress(target.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(target)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _not_found(self):
        body = Path(self.directory, "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


@contextlib.contextmanager
def serve(site: Path, prefix: str = "/"):
    handler = type("Handler", (_Handler,), {"prefix": prefix})

    def make(*args, **kwargs):
        return handler(*args, directory=str(site), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}{prefix}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def is_local(url: str, server: str) -> bool:
    """Whether a request goes to the local server (data: and blob: URLs never leave the page)."""
    parts, own = urlsplit(url), urlsplit(server)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme == "http" and parts.netloc == own.netloc


def all_pages() -> list[Path]:
    """Every Markdown page of the guide (not the hooks, nor the parts pages include)."""
    return sorted(p for p in DOCS.rglob("*.md") if not {"hooks", "includes"} & set(p.parts))


RULE_PAGES = DOCS / "reference" / "rules"


def pages() -> list[Path]:
    """The pages the browser tests open: every written page, and of the per-rule pages (one
    template, garauth.rules.pages, filled from each rule's data and examples; tests/rules checks
    each is up to date) three: the first, the last, and the one with the most text."""
    found = all_pages()
    rules = [p for p in found if p.parent == RULE_PAGES and p.name.startswith("GA")]
    if not rules:
        return found
    sample = {rules[0], rules[-1], max(rules, key=lambda p: len(p.read_text(encoding="utf-8")))}
    return [p for p in found if p not in rules or p in sample]


def url_of(page: Path) -> str:
    """docs/how-to/x.md -> 'how-to/x/'; docs/index.md -> ''; docs/tutorial/index.md -> 'tutorial/'."""
    rel = page.relative_to(DOCS).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "index":
        parts.pop()
    return "".join(f"{p}/" for p in parts)


_SECTION = re.compile(r"--8<-- \[(start|end):[a-z][-_0-9a-z]*\]")
_ANNOTATION = re.compile(r"\s*#\s*\(\d+\)!\s*$")


def _included(target: str) -> list[str]:
    """What pymdownx.snippets puts in a page for one include (markers gone, sections dedented)."""
    path, section = split_target(target)
    lines = (EXAMPLES / path).read_text(encoding="utf-8").splitlines()
    if section:
        start = next(i for i, s in enumerate(lines) if f"[start:{section}]" in s)
        end = next(i for i, s in enumerate(lines) if f"[end:{section}]" in s and i > start)
        lines = textwrap.dedent("\n".join(lines[start + 1 : end])).splitlines()
    return [s for s in lines if not _SECTION.search(s)]


def annotated(fence: Fence) -> bool:
    """Whether Material turns the fence's `# (1)!` comments into annotations: only when a
    numbered list follows the fence, at its indent."""
    lines = fence.page.read_text(encoding="utf-8").splitlines()
    after = [s for s in lines[fence.line + len(fence.body) + 1 :] if s.strip()]
    indent = len(lines[fence.line - 1]) - len(lines[fence.line - 1].lstrip())
    return bool(after) and re.match(rf"^ {{{indent}}}1\.\s", after[0]) is not None


def copy_text(fence: Fence) -> str:
    """What the copy button of a fence should put on the clipboard: the example's section as it
    is in the file, without trailing whitespace, and without its annotation markers (`# (1)!`)
    where Material shows them as annotations."""
    body = textwrap.dedent("\n".join(fence.body)).splitlines()
    out = []
    for line in body:
        targets = fence.includes
        m = re.match(r'^\s*-{2}8<-{2}\s+"([^"]+)"\s*$', line)
        out += _included(m[1]) if m and m[1] in targets else [line]
    strip = annotated(fence)
    return "\n".join((_ANNOTATION.sub("", s) if strip else s).rstrip() for s in out).strip("\n")


def is_output(fence: Fence) -> bool:
    """Program output: a fence marked title="Output...", or one that includes stored output (.txt)."""
    return 'title="Output' in fence.info or any(split_target(t)[0].endswith(".txt") for t in fence.includes)


def page_fences(page: Path) -> list[Fence]:
    return fences(page)

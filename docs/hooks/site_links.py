"""MkDocs hook: links written from the site root in mkdocs.yml work wherever the site is served.

The footer (`copyright:` in mkdocs.yml) is raw HTML, the same on every page, so its link is
written from the site root (`/explanation/how-this-guide-knows/`). Served under a sub-path, as
GitHub Pages serves a project site, a root-relative link misses the site. This rewrites such
links in the footer: relative to the page on every page, and under site_url's path on the 404
page, which the server returns for any missing path.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit

_FOOTER = re.compile(r'(<div class="md-copyright__highlight">)(.*?)(</div>)', re.DOTALL)
_ROOT_LINK = re.compile(r'href="/(?!/)([^"]*)"')


def rewrite(html: str, page_url: str, base_path: str) -> str:
    """Rewrite root-relative hrefs inside the footer's copyright text."""

    def link(m: re.Match) -> str:
        target = m[1]
        if page_url == "404.html":
            return f'href="{base_path.rstrip("/")}/{target}"'
        here = posixpath.dirname(page_url.rstrip("/") + "/x") if page_url else ""
        rel = posixpath.relpath("/" + target, "/" + here) if here else target
        if rel == ".":
            rel = "./"
        elif target.endswith("/") and not rel.endswith("/"):
            rel += "/"
        return f'href="{rel}"'

    return _FOOTER.sub(lambda m: m[1] + _ROOT_LINK.sub(link, m[2]) + m[3], html)


def on_post_page(output, page, config):
    base = urlsplit(config.get("site_url") or "/").path or "/"
    return rewrite(output, page.url, base)


def on_post_template(output_content, template_name, config):
    """404.html is a template, not a page: it gets the same footer through this event."""
    if template_name != "404.html":
        return output_content
    base = urlsplit(config.get("site_url") or "/").path or "/"
    return rewrite(output_content, "404.html", base)

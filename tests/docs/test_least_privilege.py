"""Every how-to page links the page on least privilege and the risk of keys (issue 10: reader on
the repository, keyless first, Google's guidance on keys), and that page links Google's."""

from __future__ import annotations

import pytest
from docpages import DOCS

PAGE = DOCS / "explanation" / "least-privilege.md"
TIP = DOCS / "includes" / "least-privilege-tip.md"  # one tip, included by the pages that show it
INCLUDE = '--8<-- "least-privilege-tip.md"'
KEY_GUIDANCE = "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys"


@pytest.mark.parametrize("page", sorted((DOCS / "how-to").glob("*.md")), ids=lambda p: p.name)
def test_every_how_to_links_least_privilege(page):
    text = page.read_text()
    assert "../explanation/least-privilege.md" in text or INCLUDE in text, (
        f"{page.relative_to(DOCS)} does not link explanation/least-privilege.md: add a line that "
        f"links it, or end the page with {INCLUDE}"
    )


def test_the_included_tip_links_the_page():
    assert "](../explanation/least-privilege.md)" in TIP.read_text()


def test_the_page_links_google_s_key_guidance_and_the_reader_role():
    text = PAGE.read_text()
    assert KEY_GUIDANCE in text
    assert "roles/artifactregistry.reader" in text

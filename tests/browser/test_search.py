"""Search: a reader pastes what they have (an error text, a mistyped host, a username) into the
search box, and the page that answers it comes first."""

from __future__ import annotations

import pytest
from searching import results
from served import is_local

TROUBLESHOOTING = "how-to/troubleshoot-circleci/"

# (what a reader pastes, the page that must come first)
PASTED = [
    ("Unable to parse json key", TROUBLESHOOTING),
    ("No valid credential was supplied", TROUBLESHOOTING),
    ('Permission "artifactregistry.repositories.downloadArtifacts" denied', TROUBLESHOOTING),
    ("downloadArtifacts", TROUBLESHOOTING),
    ("Unauthenticated request", TROUBLESHOOTING),
    ("authentication failed", TROUBLESHOOTING),
    ("no such host", TROUBLESHOOTING),
    ("invalid_grant", TROUBLESHOOTING),
    ("us-central-1", TROUBLESHOOTING),
    ("__json_key", TROUBLESHOOTING),
    ("_json_key_base64", "how-to/circleci-json-key/"),
    ("exceeds the 127 bytes limit", "how-to/circleci-gcp-auth/"),
]


def ranked_pages(page, query, server) -> list[str]:
    """The pages in the order the results list them (a page's sections follow it)."""
    return list(dict.fromkeys(results(page, query, server)))


@pytest.fixture(scope="module")
def ranks(browser, server):
    """Each pasted string's results, read from one page (search runs in a web worker)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    ctx.route("**/*", lambda r: r.continue_() if is_local(r.request.url, server) else r.abort())
    page = ctx.new_page()
    page.goto(server)
    out = {query: ranked_pages(page, query, server) for query, _ in PASTED}
    ctx.close()
    return out


@pytest.mark.parametrize(("query", "expected"), PASTED, ids=[q for q, _ in PASTED])
def test_the_page_that_answers_a_pasted_string_comes_first(ranks, query, expected):
    found = ranks[query]
    assert found and found[0] == expected, (
        f"{query!r}: {expected} is {'#' + str(found.index(expected) + 1) if expected in found else 'missing'}"
        f" in {found[:5]}"
    )

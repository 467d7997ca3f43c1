"""The home page, where a new reader starts (issue 11, defect 3).

- Its description of an image path agrees with the image-paths page: no fixed number of parts
  (an image name may contain `/`), and the tag is optional.
- Its "Start here" list reaches what a reader needs first: the tutorial, the JSON-key and
  keyless how-tos (keyless is the only way for organisations that cannot create keys), the
  troubleshooting page and `garauth pulls`.
(That its CircleCI block is a whole config is checked for every page by test_block_titles.py.)
"""

from __future__ import annotations

import re

from docpages import DOCS

HOME = (DOCS / "index.md").read_text(encoding="utf-8")


def paragraphs() -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", HOME)]


def test_the_path_description_has_no_fixed_part_count_and_an_optional_tag():
    described = [p for p in paragraphs() if "LOCATION-docker.pkg.dev" in p and "tag" in p]
    assert described, "the home page no longer describes the path"
    for p in described:
        assert not re.search(r"\b(?:three|four|five|\d) parts\b", p), f"gives a fixed number of parts: {p}"
        assert "optional" in p, f"does not say the tag is optional: {p}"
        assert "/" in p.split("image", 1)[1], f"does not say an image name may contain '/': {p}"


def test_start_here_links_what_a_new_reader_needs():
    start = HOME.split("Start here:", 1)[1]
    links = set(re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", start))
    needed = {
        "tutorial/private-job-image.md",
        "how-to/circleci-json-key.md",
        "how-to/circleci-gcp-auth.md",
        "how-to/troubleshoot-circleci.md",
        "reference/cli.md",
    }
    assert needed - links == set()
    assert "reference/cli.md#garauth-pulls" in start

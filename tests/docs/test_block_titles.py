"""A CircleCI config block says what it is: the whole `.circleci/config.yml`, or where its part
goes in one.

Pasted as is, a bare `docker:` fragment becomes a top-level key of the reader's config (issue
11, defect 3). So a block titled `.circleci/config.yml` is a whole config that CircleCI's schema
accepts, and a block that shows part of one is titled `.circleci/config.yml, under PATH` (or
`, top level`), and its part really sits at PATH in the example file it comes from. Blocks
titled "Wrong" show a mistake and are judged by the troubleshooting tests instead; a block
titled with its example file's own path (the rule pages) shows that file whole.
"""

from __future__ import annotations

import re
import textwrap

import pytest
from docpages import EXAMPLES, fences, pages, split_target
from ruamel.yaml import YAML

from garauth import schemas, yamlfile

WHOLE = ".circleci/config.yml"
PART = re.compile(r"^\.circleci/config\.yml, (?:under (?P<path>[\w.-]+)|top level)$")


def circleci_blocks():
    return [
        f
        for page in pages()
        for f in fences(page)
        if f.language in ("yaml", "yml")
        and any(split_target(t)[0].startswith("circleci/") for t in f.includes)
    ]


def title(fence) -> str | None:
    m = re.search(r'title="([^"]*)"', fence.info)
    return m[1] if m else None


def section_text(path: str, section: str) -> str:
    lines = (EXAMPLES / path).read_text(encoding="utf-8").splitlines()
    start = next(i for i, s in enumerate(lines) if f"[start:{section}]" in s)
    end = next(i for i, s in enumerate(lines) if f"[end:{section}]" in s)
    return "\n".join(lines[start + 1 : end]) + "\n"


def at(doc, path: str | None):
    for key in path.split(".") if path else []:
        doc = doc[key]
    return doc


@pytest.mark.parametrize("fence", circleci_blocks(), ids=str)
def test_a_circleci_block_is_a_whole_config_or_says_where_it_goes(fence):
    name = title(fence)
    assert name, f"{fence}: untitled: title it {WHOLE!r}, or '{WHOLE}, under PATH' for a part"
    if name == "Wrong":
        return
    (target,) = fence.includes
    path, section = split_target(target)
    if name == path and section is None:
        return  # an example file shown whole under its own name (the rule pages' examples)
    if name == WHOLE:
        assert section is None, f"{fence}: titled {WHOLE} but shows only section {section!r} of {path}"
        doc = yamlfile.load(EXAMPLES / path)
        assert schemas.validate(doc, "circleci") == [], f"{fence}: {path} is not a valid CircleCI config"
        return
    m = PART.match(name)
    assert m, f"{fence}: title {name!r} is neither {WHOLE!r} nor '{WHOLE}, under PATH'"
    assert section, f"{fence}: titled as a part, but includes the whole of {path}"
    part = YAML(typ="safe").load(textwrap.dedent(section_text(path, section)))
    node = at(YAML(typ="safe").load((EXAMPLES / path).read_text(encoding="utf-8")), m["path"])
    if isinstance(part, dict):
        assert {k: node.get(k) for k in part} == part, (
            f"{fence}: section {section!r} is not under {m['path']}"
        )
    else:
        assert all(item in node for item in part), f"{fence}: section {section!r} is not under {m['path']}"

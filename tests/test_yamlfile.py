"""The YAML loader's handling of tags: core-schema tags applied, local tags kept for readers,
others refused with their position."""

from __future__ import annotations

import pytest

from garauth import yamlfile
from garauth.errors import UserError


def load(tmp_path, text: str):
    path = tmp_path / "doc.yml"
    path.write_text(text, encoding="utf-8")
    return yamlfile.load(path)


def test_a_local_tag_is_kept_on_collections_and_never_applied(tmp_path):
    doc = load(
        tmp_path,
        ".setup:\n  script: [echo hi]\njob:\n  script:\n    - !reference [.setup, script]\n"
        "    - !env 0123\n  variables: !custom {A: 1}\n",
    )
    ref, scalar = doc["job"]["script"]
    assert ref == [".setup", "script"] and ref.tag == "!reference"
    assert scalar == "0123" and type(scalar) is str  # a scalar's tag is dropped, its text kept
    assert doc["job"]["variables"] == {"A": 1} and doc["job"]["variables"].tag == "!custom"
    assert doc[".setup"]["script"].tag is None and doc["job"].tag is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("x: !!omap [a: 1]\n", "doc.yml:1:4"),
        ("x: !<tag:example.com,2026:thing> 1\n", "doc.yml:1:4"),
    ],
)
def test_other_tags_are_refused_with_their_position(tmp_path, text, where):
    with pytest.raises(UserError) as err:
        load(tmp_path, text)
    assert where in str(err.value) and "YAML tag" in str(err.value)

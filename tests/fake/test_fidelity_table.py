"""Every test the fake's fidelity tables name exists.

The tables in docs/contributing/fake-registry.md are rendered from records (garauth.fake.fidelity
rows, garauth.fake.errors errors); each names its tests as `FILE::TEST` under tests/fake/ (or
`tests/PATH::TEST`). Rows still written by hand in the page (`| ... | FILE::TEST |`) are read too
(a bare `::TEST` is in the file named before it in the same cell). A renamed or deleted test makes
this fail, so no table points at a test that is not there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from garauth.fake import errors, fidelity

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "contributing" / "fake-registry.md"
TESTS = ROOT / "tests"
HAND_WRITTEN = re.compile(r"`((?:tests/[\w/]+/)?(?:test_\w+\.py)?)::(test_\w+)`")


def resolve(ref: str) -> Path:
    file = ref.partition("::")[0]
    return ROOT / file if file.startswith("tests/") else TESTS / "fake" / file


def record_references() -> list[str]:
    refs = [t for section in fidelity.SECTIONS for row in section.rows for t in row.tests]
    return refs + [t for err in errors.ALL.values() for t in err.tests]


def page_references() -> list[str]:
    refs = []
    for line in PAGE.read_text().splitlines():
        if not line.startswith("| "):
            continue
        current = None
        for path, name in HAND_WRITTEN.findall(line.rstrip(" |").rsplit(" | ", 1)[-1]):
            current = path or current
            assert current, f"{name}: no file named before it"
            refs.append(f"{current}::{name}")
    return refs


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_the_tables_name_exists():
    refs = record_references() + page_references()
    assert len(refs) > 80
    missing = [
        r for r in refs if not resolve(r).exists() or r.partition("::")[2] not in functions_in(resolve(r))
    ]
    assert missing == []


def test_a_test_that_does_not_exist_is_found_missing():
    ref = "test_fidelity.py::test_no_such_thing"
    assert ref.partition("::")[2] not in functions_in(resolve(ref))


def test_every_error_record_says_where_its_text_comes_from():
    for err in errors.ALL.values():
        assert err.source and err.when, err.key
        assert 400 <= err.status < 600, err.key

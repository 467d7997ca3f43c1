"""Every test the fidelity table in docs/reference/fake-registry.md names exists.

The last column of each row names tests as `FILE::TEST` under tests/fake/ (a bare `::TEST` is in
the file named before it in the same cell, and `tests/fake/` may be written out). A renamed or
deleted test makes this fail, so the table cannot point at a test that is not there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "fake-registry.md"
TESTS = ROOT / "tests" / "fake"
REFERENCE = re.compile(r"`((?:tests/fake/)?(?:test_\w+\.py)?)::(test_\w+)`")


def table_references() -> list[tuple[str, str]]:
    refs = []
    for line in PAGE.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| Behaviour") or set(line) <= set("|- "):
            continue
        cell = line.rstrip(" |").rsplit(" | ", 1)[-1]
        current = None
        for path, name in REFERENCE.findall(cell):
            current = path.removeprefix("tests/fake/") or current
            assert current, f"{name}: no file named before it in: {cell[:80]}"
            refs.append((current, name))
    return refs


def functions_in(file: str) -> set[str]:
    tree = ast.parse((TESTS / file).read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_the_table_names_exists():
    refs = table_references()
    assert len(refs) > 50
    missing = [
        f"{file}::{name}"
        for file, name in refs
        if not (TESTS / file).exists() or name not in functions_in(file)
    ]
    assert missing == []

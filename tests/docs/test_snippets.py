"""Docs and examples stay tied together: every example is shown, every include resolves,
and no config or shell is pasted into a page where no test can reach it."""

from __future__ import annotations

import pytest
from docpages import EXAMPLES, ROOT, fences, pages, sections, split_target

# Fenced blocks in these languages must be includes from examples/ (or marked as output).
CONFIG_LANGUAGES = {"yaml", "yml", "json", "toml", "bash", "sh", "shell", "console", "dockerfile"}


def all_fences():
    return [f for page in pages() for f in fences(page)]


def example_files():
    return sorted(p for p in EXAMPLES.rglob("*") if p.is_file())


def included_paths() -> set[str]:
    return {split_target(t)[0] for f in all_fences() for t in f.includes}


@pytest.mark.parametrize("example", example_files(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_is_included_by_a_page(example):
    assert str(example.relative_to(EXAMPLES)) in included_paths(), (
        f"{example.relative_to(ROOT)} is not included by any page under docs/: include it with "
        f'--8<-- "{example.relative_to(EXAMPLES)}" or remove it'
    )


@pytest.mark.parametrize("fence", [f for f in all_fences() if f.includes], ids=str)
def test_every_include_points_at_an_existing_file_and_section(fence):
    for target in fence.includes:
        path, section = split_target(target)
        file = EXAMPLES / path
        assert file.is_file(), f"{fence}: includes {path}, which is not under examples/"
        if section:
            assert section in sections(file), f"{fence}: {path} has no section '{section}'"


def is_output(fence) -> bool:
    """Program output is marked by a title starting with 'Output', e.g. ```console title="Output"."""
    return 'title="Output' in fence.info


@pytest.mark.parametrize("fence", [f for f in all_fences() if f.language in CONFIG_LANGUAGES], ids=str)
def test_config_and_shell_blocks_are_includes(fence):
    if is_output(fence):
        return
    pasted = [line for line in fence.body if line.strip() and not line.strip().startswith("--8<--")]
    assert not pasted, (
        f"{fence}: a {fence.language} block is pasted inline. Put it in a file under examples/ and "
        f'include it (--8<-- "path:section"), or mark it as output with title="Output"'
    )
